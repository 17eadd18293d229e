// Exercise 5's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const FILE = "topup_batch.ts";

export const outsiders: OutsiderCatalogue = {
  folder: "05-batch-topup",
  cases: [
    {
      id: "topup-key-salted-with-pid",
      class: "key stable only within one process",
      scenario: "a top-up made with its answer lost, the endpoint restarted before the retry: a new key, the number topped up twice",
      fast: true,
      patches: [
        {
          file: FILE,
          find: "  topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}`,",
          replace: "  topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}-${process.pid}`,",
        },
      ],
    },
    {
      id: "charge-key-per-day",
      class: "key stable only today",
      scenario: "a charge whose answer was lost before midnight, retried after it (deadline tomorrow): a new key, the card charged twice",
      patches: [
        {
          file: FILE,
          find: "  charge: (batchId: string) => `batch-${batchId}-charge`,",
          replace: "  charge: (batchId: string) => `batch-${batchId}-charge-${new Date().toISOString().slice(0, 10)}`,",
        },
      ],
    },
    {
      id: "item-refund-key-per-attempt",
      class: "lost answer after the happy path",
      scenario: "a failed item's refund is made and its answer lost: the retried step makes a new key, the customer is refunded twice",
      patches: [
        {
          file: FILE,
          find: "  refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}`,",
          // "unique per refund"
          replace: "  refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}-${randomUUID()}`,",
        },
        { file: FILE, find: "import * as restate from \"@restatedev/restate-sdk\";", replace: "import { randomUUID } from \"node:crypto\";\nimport * as restate from \"@restatedev/restate-sdk\";" },
      ],
    },
    {
      id: "charge-refund-key-per-attempt",
      class: "lost answer after the happy path",
      scenario: "past the deadline the found charge is refunded and that refund's answer lost: the retry refunds the whole charge again",
      patches: [
        {
          file: FILE,
          find: "  chargeRefund: (batchId: string) => `batch-${batchId}-charge-refund`,",
          replace: "  chargeRefund: (batchId: string) => `batch-${batchId}-charge-refund-${Date.now()}`,",
        },
      ],
    },
    {
      id: "topup-key-by-phone-number",
      class: "colliding ids",
      scenario: "two batches top up the same number: the second batch's top-up shares the first's key and never happens (refused or replayed)",
      patches: [
        {
          file: FILE,
          find: "key.topUp(batchId, index));",
          // "one top-up per number"
          replace: "`topup-${item.phoneNumber}`);",
        },
      ],
    },
    {
      id: "lost-topup-answer-counted-as-failed",
      class: "error swallowed",
      scenario: "a top-up made with its answer lost is reported failed and its amount refunded: the number got the credit and the customer the money back",
      patches: [
        {
          file: FILE,
          find: "              if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key\n              return { topUpId: null, failure: error.message };",
          replace: "              // Whatever went wrong, this item did not go through: it is refunded below.\n              return { topUpId: null, failure: error instanceof ProviderRejection ? error.message : `the provider did not answer: ${String(error)}` };",
        },
      ],
    },
    {
      id: "shared-run-exclusive-execute",
      class: "concurrency judged by the ledger",
      scenario: "two copies of a batch at once pass the shared check and both execute: every charge, top-up and refund is requested twice, and only the providers' keys keep the ledgers right",
      patches: [
        {
          file: FILE,
          find: `    run: restate.handlers.object.exclusive(
      { input: restate.serde.schema(TopUpBatchRequest) },
      async (ctx: ObjectContext<BatchState>, request: TopUpBatchRequest): Promise<BatchReport> => {
        const batchId = ctx.key;
        const fingerprint = JSON.stringify(request);
        const first = await ctx.get("request");
        if (first !== null && first !== fingerprint) {
          throw new TerminalError(\`Batch '\${batchId}' was submitted with other items or another deadline; use a new batch id for a new batch.\`, {
            errorCode: 422,
            metadata: { code: "batch_id_reused" },
          });
        }
        const report = await ctx.get("report");
        if (report) return report;
        const refusal = await ctx.get("refusal");
        if (refusal) throw new TerminalError(refusal.message, { errorCode: refusal.status, metadata: refusal.metadata });
        ctx.set("request", fingerprint);
`,
          replace: `    // A finished batch is answered from state without queueing: shared.
    run: restate.handlers.object.shared(
      { input: restate.serde.schema(TopUpBatchRequest) },
      async (ctx: ObjectSharedContext<BatchState>, request: TopUpBatchRequest): Promise<BatchReport> => {
        const batchId = ctx.key;
        const fingerprint = JSON.stringify(request);
        const first = await ctx.get("request");
        if (first !== null && first !== fingerprint) {
          throw new TerminalError(\`Batch '\${batchId}' was submitted with other items or another deadline; use a new batch id for a new batch.\`, {
            errorCode: 422,
            metadata: { code: "batch_id_reused" },
          });
        }
        const report = await ctx.get("report");
        if (report) return report;
        const refusal = await ctx.get("refusal");
        if (refusal) throw new TerminalError(refusal.message, { errorCode: refusal.status, metadata: refusal.metadata });
        return ctx.objectClient<typeof topUpBatch>({ name: "TopUpBatch" }, batchId).execute(request);
      },
    ),

    // run has checked that the batch is new.
    execute: restate.handlers.object.exclusive(
      { input: restate.serde.schema(TopUpBatchRequest) },
      async (ctx: ObjectContext<BatchState>, request: TopUpBatchRequest): Promise<BatchReport> => {
        const batchId = ctx.key;
        ctx.set("request", JSON.stringify(request));
`,
        },
        {
          file: FILE,
          find: "import { type ObjectContext, TerminalError } from \"@restatedev/restate-sdk\";",
          replace: "import { type ObjectContext, type ObjectSharedContext, TerminalError } from \"@restatedev/restate-sdk\";",
        },
      ],
    },
  ],
};
