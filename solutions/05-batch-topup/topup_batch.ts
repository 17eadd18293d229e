// Exercise 5, solved: batch top-up, every effect exactly once. See README.md for why.
//
// The batch id (the object key) is the predictable batch key; every effect
// gets a key derived from it: `batch-{id}-charge`, `batch-{id}-topup-{n}`,
// `batch-{id}-refund-{n}`. Each effect is a journaled step, so a retry resumes
// at the first unfinished one. The report, once stored, answers duplicates.
// The deadline is checked inside each step, with the real clock: a step retried
// after the deadline does not execute (the journaled ctx.date would still show
// the time of the first attempt).
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient, GatewayRejection } from "../../code/gateway_client.js";
import { providerUrls } from "../../exercises/support/env.js";
import { ProviderRejection } from "../../exercises/support/provider_client.js";
import { type BatchReport, type ItemOutcome, TopUpBatchRequest, outcomeOf } from "../../exercises/support/topup_batch_contract.js";
import { TopUpClient } from "../../exercises/support/topups.js";

const gateway = new GatewayClient(providerUrls().gateway);
const topups = new TopUpClient(providerUrls().topups);

/** A refusal is remembered like a report, so a repeat gets the same answer and nothing runs. */
type Refusal = { status: number; message: string };
type BatchState = { request: string; report: BatchReport; refusal: Refusal };

const key = {
  charge: (batchId: string) => `batch-${batchId}-charge`,
  topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}`,
  refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}`,
};

export const topUpBatch = restate.object({
  name: "TopUpBatch",
  handlers: {
    run: restate.handlers.object.exclusive(
      { input: restate.serde.schema(TopUpBatchRequest) },
      async (ctx: ObjectContext<BatchState>, request: TopUpBatchRequest): Promise<BatchReport> => {
        const batchId = ctx.key;
        const fingerprint = JSON.stringify(request);
        const first = await ctx.get("request");
        if (first !== null && first !== fingerprint) {
          throw new TerminalError(`Batch '${batchId}' was submitted with other items or another deadline; use a new batch id for a new batch.`, { errorCode: 422 });
        }
        const report = await ctx.get("report");
        if (report) return report;
        const refusal = await ctx.get("refusal");
        if (refusal) throw new TerminalError(refusal.message, { errorCode: refusal.status });
        ctx.set("request", fingerprint);

        const deadline = Date.parse(request.deadline);
        const refuse = (status: number, message: string): never => {
          ctx.set("refusal", { status, message });
          throw new TerminalError(message, { errorCode: status });
        };
        const total = request.items.reduce((sum, item) => sum + item.amount, 0);

        // 1. The customer pays once, unless the deadline has passed by the time this step (re)runs.
        const payment = await ctx.run("charge", async () => {
          if (Date.now() > deadline) return { kind: "expired" as const };
          try {
            const charge = await gateway.charge({ amount: total, currency: request.currency, source: request.source, reference: batchId }, key.charge(batchId));
            return { kind: "charged" as const, chargeId: charge.id };
          } catch (error) {
            if (!(error instanceof GatewayRejection)) throw error; // unknown outcome: retried, same key
            return { kind: "declined" as const, message: error.message };
          }
        });
        if (payment.kind === "expired") refuse(410, `Batch '${batchId}' passed its deadline (${request.deadline}) before it ran; nothing was charged or topped up.`);
        if (payment.kind === "declined") refuse(402, `The card for batch '${batchId}' was declined: ${payment.message} Nothing was topped up.`);
        const chargeId = payment.kind === "charged" ? payment.chargeId : "";

        // 2. One top-up per number, each once; past the deadline an item fails instead of running.
        const items: ItemOutcome[] = [];
        for (const [index, item] of request.items.entries()) {
          const outcome = await ctx.run(`top up ${item.phoneNumber}`, async () => {
            if (Date.now() > deadline) return { topUpId: null, failure: `not executed: the batch's deadline (${request.deadline}) had passed` };
            try {
              const topUp = await topups.topUp({ ...item, currency: request.currency, reference: batchId }, key.topUp(batchId, index));
              return { topUpId: topUp.id, failure: null };
            } catch (error) {
              if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key
              return { topUpId: null, failure: error.message };
            }
          });
          items.push({ ...item, status: outcome.topUpId ? "succeeded" : "failed", ...outcome, refundId: null });
        }

        // 3. Compensation: each failed item's amount goes back, each refund once.
        for (const [index, item] of items.entries()) {
          if (item.status !== "failed") continue;
          const refund = await ctx.run(`refund ${item.phoneNumber}`, () =>
            gateway.refund({ charge: chargeId, amount: item.amount, reference: batchId }, key.refund(batchId, index)),
          );
          item.refundId = refund.id;
        }

        const finished: BatchReport = {
          batchId,
          outcome: outcomeOf(items),
          chargeId,
          charged: total,
          refunded: items.filter((item) => item.status === "failed").reduce((sum, item) => sum + item.amount, 0),
          items,
        };
        ctx.set("report", finished);
        return finished;
      },
    ),
  },
  options: {
    // Quick retries keep the checks short; the checker waits for them.
    retryPolicy: { initialInterval: 100, exponentiationFactor: 2, maxInterval: 1_000 },
  },
});
