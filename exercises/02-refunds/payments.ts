// Exercise 2: refund processing. Read README.md next to this file first.
//
// Payments is a virtual object, one per payment id. `charge` is done for you
// (and already idempotent: look at how). Your part is `refund`: partial and full
// refunds, each identified by its refundId; a duplicate refunds nothing more;
// the refunds never add up to more than the charge; refunding a payment that
// did not succeed, or does not exist, is refused with a clear error.
import { randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../support/env.js";
import { ChargeRequest, type Payment, RefundRequest } from "../support/payment_contract.js";

type PaymentState = { payment: Payment };

const gateway = new GatewayClient(providerUrls().gateway);

export const payments = restate.object({
  name: "Payments",
  handlers: {
    /** Charges the card once per payment id; a declined card is stored as a declined payment. */
    charge: restate.handlers.object.exclusive(
      { input: restate.serde.schema(ChargeRequest) },
      async (ctx: ObjectContext<PaymentState>, request: ChargeRequest): Promise<Payment> => {
        const paymentId = ctx.key;
        const stored = await ctx.get("payment");
        if (stored) return stored;
        const outcome = await ctx.run("charge", async () => {
          try {
            const charge = await gateway.charge({ ...request, reference: paymentId }, `payments-${paymentId}-charge`);
            return { chargeId: charge.id, failure: null };
          } catch (error) {
            if (!(error instanceof ProviderRejection)) throw error;
            return { chargeId: error.chargeId ?? null, failure: error.message };
          }
        });
        const payment: Payment = {
          paymentId,
          status: outcome.failure === null ? "succeeded" : "declined",
          amount: request.amount,
          currency: request.currency,
          chargeId: outcome.chargeId,
          refundedAmount: 0,
          refunds: [],
          failure: outcome.failure,
          createdAt: await ctx.date.toJSON(),
        };
        ctx.set("payment", payment);
        return payment;
      },
    ),

    refund: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RefundRequest) },
      async (ctx: ObjectContext<PaymentState>, request: RefundRequest): Promise<Payment> => {
        const paymentId = ctx.key;
        // TODO(exercise): what if there is no payment with this id?
        const payment = (await ctx.get("payment"))!;

        // TODO(exercise): a refundId seen before must refund nothing more (and the same refundId
        // with another amount is a different request). A payment that did not succeed cannot be
        // refunded (409, with the code PAYMENT_NOT_SUCCEEDED in the error's metadata), and the refunds
        // must never add up to more than the charge.

        // TODO(exercise): outside ctx.run, with a new random key on every attempt, a retry refunds again.
        const refund = await gateway.refund({ charge: payment.chargeId!, amount: request.amount, reference: paymentId }, randomUUID());

        const updated: Payment = {
          ...payment,
          refundedAmount: payment.refundedAmount + request.amount,
          refunds: [...payment.refunds, { refundId: request.refundId, amount: request.amount, gatewayRefundId: refund.id, createdAt: await ctx.date.toJSON() }],
        };
        ctx.set("payment", updated);
        return updated;
      },
    ),

    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<PaymentState>): Promise<Payment> => {
      const payment = await ctx.get("payment");
      if (!payment) throw new TerminalError(`No payment '${ctx.key}'.`, { errorCode: 404 });
      return payment;
    }),
  },
});
