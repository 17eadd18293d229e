// Exercise 2, solved: refunds, idempotent per refundId. See README.md for why.
//
// The checks come first and run in one exclusive handler of the payment's
// object, so two refunds of one payment can never both see "enough left"; the
// refund itself is journaled and carries a key derived from payment id and
// refundId, so a retry (or a lost answer) cannot refund twice. Ids may contain
// '-' but never '/', so '/' keeps ('a-refund-b', 'c') and ('a', 'b-refund-c') apart.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../../exercises/support/env.js";
import { ChargeRequest, PAYMENT_NOT_SUCCEEDED, type Payment, RefundRequest } from "../../exercises/support/payment_contract.js";

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
        const payment = await ctx.get("payment");
        if (!payment) {
          throw new TerminalError(`No payment '${paymentId}': charge it first with POST /Payments/${paymentId}/charge.`, { errorCode: 404 });
        }

        // The refundId is the refund's identity: a repeat gets the payment as it is, unchanged.
        const earlier = payment.refunds.find((refund) => refund.refundId === request.refundId);
        if (earlier) {
          if (earlier.amount === request.amount) return payment;
          throw new TerminalError(
            `Refund '${request.refundId}' of payment '${paymentId}' was made for ${earlier.amount}; ` +
              `a refundId cannot be reused for another amount (${request.amount}). Use a new refundId for a new refund.`,
            { errorCode: 422 },
          );
        }
        if (payment.status !== "succeeded" || payment.chargeId === null) {
          throw new TerminalError(`Payment '${paymentId}' is ${payment.status}; only a succeeded payment can be refunded.`, {
            errorCode: 409,
            metadata: { code: PAYMENT_NOT_SUCCEEDED },
          });
        }
        const left = payment.amount - payment.refundedAmount;
        if (request.amount > left) {
          throw new TerminalError(
            `A refund of ${request.amount} exceeds what is left to refund on payment '${paymentId}' (${left} of ${payment.amount} ${payment.currency}).`,
            { errorCode: 422 },
          );
        }

        const chargeId = payment.chargeId;
        const refund = await ctx.run(`refund ${request.refundId}`, () =>
          gateway
            .refund({ charge: chargeId, amount: request.amount, reference: paymentId }, `payments-${paymentId}/refund-${request.refundId}`)
            .catch((error: unknown) => {
              // The checks above make this rare (the provider's own rules); it will not change on retry.
              if (error instanceof ProviderRejection) throw new TerminalError(`The gateway refused the refund: ${error.message}`, { errorCode: 422 });
              throw error;
            }),
        );

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
