// Exercise 5 (advanced): batch top-up. Read README.md next to this file first.
//
// A customer buys prepaid credit for several phone numbers and pays once.
// TopUpBatch, one object per batch id, charges the card for the total, then
// tops up each number at the provider, and reports whether all, some or none
// of the top-ups succeeded. This version does that when nothing goes wrong and
// no request is ever repeated.
import { randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { providerUrls } from "../support/env.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { type BatchReport, type ItemOutcome, TopUpBatchRequest, outcomeOf } from "../support/topup_batch_contract.js";
import { TopUpClient } from "../support/topup_client.js";

const gateway = new GatewayClient(providerUrls().gateway);
const topups = new TopUpClient(providerUrls().topups);

export const topUpBatch = restate.object({
  name: "TopUpBatch",
  handlers: {
    run: restate.handlers.object.exclusive(
      { input: restate.serde.schema(TopUpBatchRequest) },
      async (ctx: ObjectContext<{ report: BatchReport }>, request: TopUpBatchRequest): Promise<BatchReport> => {
        const batchId = ctx.key;
        // TODO(exercise): a batch that already ran must be answered from state, doing nothing again.
        // TODO(exercise): past request.deadline nothing may execute, also not on a retry.
        const total = request.items.reduce((sum, item) => sum + item.amount, 0);

        // TODO(exercise): every side effect here runs again when Restate retries the handler
        // (outside ctx.run, with a new random key each time). A declined card is final.
        const charge = await gateway.charge({ amount: total, currency: request.currency, source: request.source, reference: batchId }, randomUUID());

        const items: ItemOutcome[] = [];
        for (const item of request.items) {
          try {
            const topUp = await topups.topUp({ ...item, currency: request.currency, reference: batchId }, randomUUID());
            items.push({ ...item, status: "succeeded", topUpId: topUp.id, failure: null, refundId: null });
          } catch (error) {
            if (!(error instanceof ProviderRejection)) throw error;
            items.push({ ...item, status: "failed", topUpId: null, failure: error.message, refundId: null });
          }
        }

        // TODO(exercise): the customer paid for the failed items too: refund them (compensation).
        const report: BatchReport = { batchId, outcome: outcomeOf(items), chargeId: charge.id, charged: total, refunded: 0, items };
        ctx.set("report", report);
        return report;
      },
    ),
  },
  options: {
    // Quick retries keep the checks short; the checker waits for them.
    retryPolicy: { initialInterval: 100, exponentiationFactor: 2, maxInterval: 1_000 },
  },
});
