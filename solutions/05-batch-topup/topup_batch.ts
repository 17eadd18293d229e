// Exercise 5, solved: batch top-up, every effect exactly once. See README.md for why.
//
// The batch id (the object key) is the predictable batch key; every effect
// gets a key derived from it: `batch-{id}-charge`, `batch-{id}-topup-{n}`,
// `batch-{id}-refund-{n}`. Each effect is a journaled step, so a retry resumes
// at the first unfinished one. The report, once stored, answers duplicates.
// The deadline is checked inside each step, with the real clock: a step retried
// after the deadline sends nothing more (the journaled ctx.date would still show
// the time of the first attempt). But an attempt that went out before the
// deadline may have been carried out with its answer lost, so the step looks
// its effect up at the provider by reference: found, it is adopted (and, for
// the charge, compensated when the batch is refused); not found, the provider
// has confirmed that nothing was done.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../../exercises/support/env.js";
import { type BatchReport, type ItemOutcome, type RefusalMetadata, TopUpBatchRequest, outcomeOf } from "../../exercises/support/topup_batch_contract.js";
import { TopUpClient } from "../../exercises/support/topup_client.js";

const gateway = new GatewayClient(providerUrls().gateway);
const topups = new TopUpClient(providerUrls().topups);

/** A refusal is remembered like a report, so a repeat gets the same answer and nothing runs. */
type Refusal = { status: number; message: string; metadata: RefusalMetadata };
type BatchState = { request: string; report: BatchReport; refusal: Refusal };

const key = {
  charge: (batchId: string) => `batch-${batchId}-charge`,
  topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}`,
  refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}`,
  /**
   * The whole charge back, when the batch is refused after its charge was made. Not `-refund-charge`: a batch id may
   * contain '-', and batch 'x-refund''s charge key would be batch 'x''s charge refund key. Each key ends in its own
   * fixed word (and the item's number), so no two (batch, effect) pairs share one.
   */
  chargeRefund: (batchId: string) => `batch-${batchId}-charge-refund`,
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
          throw new TerminalError(`Batch '${batchId}' was submitted with other items or another deadline; use a new batch id for a new batch.`, {
            errorCode: 422,
            metadata: { code: "batch_id_reused" },
          });
        }
        const report = await ctx.get("report");
        if (report) return report;
        const refusal = await ctx.get("refusal");
        if (refusal) throw new TerminalError(refusal.message, { errorCode: refusal.status, metadata: refusal.metadata });
        ctx.set("request", fingerprint);

        const deadline = Date.parse(request.deadline);
        const refuse = (status: number, message: string, metadata: RefusalMetadata): never => {
          ctx.set("refusal", { status, message, metadata });
          throw new TerminalError(message, { errorCode: status, metadata });
        };
        const total = request.items.reduce((sum, item) => sum + item.amount, 0);

        // 1. The customer pays once. Past the deadline nothing is sent; an attempt that went out before may still have charged.
        const payment = await ctx.run("charge", async () => {
          if (Date.now() > deadline) {
            const made = (await gateway.listCharges({ reference: batchId })).find((charge) => charge.status === "succeeded");
            return made ? { kind: "charged-then-expired" as const, chargeId: made.id } : { kind: "expired" as const };
          }
          try {
            const charge = await gateway.charge({ amount: total, currency: request.currency, source: request.source, reference: batchId }, key.charge(batchId));
            return { kind: "charged" as const, chargeId: charge.id };
          } catch (error) {
            if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key
            return { kind: "declined" as const, message: error.message };
          }
        });
        if (payment.kind === "expired") {
          refuse(422, `Batch '${batchId}' passed its deadline (${request.deadline}) before it ran; the gateway has no charge for it and nothing was topped up.`, {
            code: "deadline_passed",
            charged: "0",
            refunded: "0",
          });
        }
        if (payment.kind === "charged-then-expired") {
          // The charge went out before the deadline and its answer was lost: compensate it (a refund is no execution of the batch).
          const refund = await ctx.run("refund the charge", () => gateway.refund({ charge: payment.chargeId, amount: total, reference: batchId }, key.chargeRefund(batchId)));
          refuse(
            422,
            `Batch '${batchId}' passed its deadline (${request.deadline}) while its charge was unconfirmed: charge ${payment.chargeId} of ${total} was made and refunded in full (${refund.id}); nothing was topped up.`,
            { code: "deadline_passed", charged: String(total), chargeId: payment.chargeId, refunded: String(total), refundId: refund.id },
          );
        }
        if (payment.kind === "declined") refuse(402, `The card for batch '${batchId}' was declined: ${payment.message} Nothing was topped up.`, { code: "card_declined" });
        const chargeId = payment.kind === "charged" ? payment.chargeId : "";

        // 2. One top-up per number, each once. Past the deadline nothing is sent; a top-up made before it is adopted.
        const items: ItemOutcome[] = [];
        for (const [index, item] of request.items.entries()) {
          const outcome = await ctx.run(`top up ${item.phoneNumber}`, async () => {
            if (Date.now() > deadline) {
              const made = await topups.listTopUps({ reference: batchId, phoneNumber: item.phoneNumber });
              const succeeded = made.find((topUp) => topUp.status === "succeeded");
              if (succeeded) return { topUpId: succeeded.id, failure: null };
              if (made.length > 0) return { topUpId: null, failure: `the provider refused it (${made[0]!.failureCode})` };
              return { topUpId: null, failure: `not executed: the batch's deadline (${request.deadline}) had passed` };
            }
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
