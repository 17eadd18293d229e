// Exercise 2's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const FILE = "payments.ts";
const REFUND_KEY = "`payments-${paymentId}/refund-${request.refundId}`";

export const outsiders: OutsiderCatalogue = {
  folder: "02-refunds",
  cases: [
    {
      id: "refund-limit-left-to-gateway",
      class: "rule left to the provider",
      scenario: "no limit of its own: one cent over the charge is refused only because this gateway refuses it; a gateway that allows over-refunds (or a second provider) pays out more than was charged",
      fast: true,
      patches: [
        {
          file: FILE,
          find: `        const left = payment.amount - payment.refundedAmount;
        if (request.amount > left) {
          throw new TerminalError(
            \`A refund of \${request.amount} exceeds what is left to refund on payment '\${paymentId}' (\${left} of \${payment.amount} \${payment.currency}).\`,
            { errorCode: 422 },
          );
        }
`,
          replace: "        // The gateway knows what is left on the charge, and refuses more (a 422 below).\n",
        },
      ],
    },
    {
      id: "reused-refund-id-left-to-gateway",
      class: "rule left to the provider",
      scenario: "a refundId reused with another amount goes to the gateway and is refused there only because the gateway's key remembers the first amount",
      patches: [
        {
          file: FILE,
          find: `        if (earlier) {
          if (earlier.amount === request.amount) return payment;
          throw new TerminalError(
            \`Refund '\${request.refundId}' of payment '\${paymentId}' was made for \${earlier.amount}; \` +
              \`a refundId cannot be reused for another amount (\${request.amount}). Use a new refundId for a new refund.\`,
            { errorCode: 422 },
          );
        }`,
          // Another amount under a used refundId goes on to the gateway, whose key for it was first used with the first amount.
          replace: "        if (earlier && earlier.amount === request.amount) return payment;",
        },
      ],
    },
    {
      id: "gateway-outage-recorded-as-refunded",
      class: "error swallowed",
      scenario: "the gateway does not answer: the refund is recorded as made (gateway refund 'pending') and the customer never gets the money",
      patches: [
        {
          file: FILE,
          find: "              if (error instanceof ProviderRejection) throw new TerminalError(`The gateway refused the refund: ${error.message}`, { errorCode: 422 });\n              throw error;",
          replace:
            "              if (error instanceof ProviderRejection) throw new TerminalError(`The gateway refused the refund: ${error.message}`, { errorCode: 422 });\n              // Not refused: the gateway has it and will process it.\n              return { id: \"pending\" };",
        },
      ],
    },
    {
      id: "shared-refund-exclusive-record",
      class: "race in shared handlers",
      scenario: "two refunds of 60 on a 100 payment at once both see 100 left in the shared handler; two copies of one refund are both added to the payment",
      patches: [
        {
          file: FILE,
          find: `    refund: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RefundRequest) },
      async (ctx: ObjectContext<PaymentState>, request: RefundRequest): Promise<Payment> => {`,
          replace: `    /** Adds a refund made at the gateway to the payment. */
    recordRefund: restate.handlers.object.exclusive(async (ctx: ObjectContext<PaymentState>, refund: Refund): Promise<Payment> => {
      const payment = (await ctx.get("payment"))!;
      const updated: Payment = { ...payment, refundedAmount: payment.refundedAmount + refund.amount, refunds: [...payment.refunds, refund] };
      ctx.set("payment", updated);
      return updated;
    }),

    // The checks only read the payment: shared, so refunds of one payment do not wait for each other.
    refund: restate.handlers.object.shared(
      { input: restate.serde.schema(RefundRequest) },
      async (ctx: ObjectSharedContext<PaymentState>, request: RefundRequest): Promise<Payment> => {`,
        },
        {
          file: FILE,
          find: `        const updated: Payment = {
          ...payment,
          refundedAmount: payment.refundedAmount + request.amount,
          refunds: [...payment.refunds, { refundId: request.refundId, amount: request.amount, gatewayRefundId: refund.id, createdAt: await ctx.date.toJSON() }],
        };
        ctx.set("payment", updated);
        return updated;`,
          replace: `        return ctx
          .objectClient<typeof payments>({ name: "Payments" }, paymentId)
          .recordRefund({ refundId: request.refundId, amount: request.amount, gatewayRefundId: refund.id, createdAt: await ctx.date.toJSON() });`,
        },
        {
          file: FILE,
          find: "import { ChargeRequest, PAYMENT_NOT_SUCCEEDED, type Payment, RefundRequest } from \"../../exercises/support/payment_contract.js\";",
          replace: "import { ChargeRequest, PAYMENT_NOT_SUCCEEDED, type Payment, type Refund, RefundRequest } from \"../../exercises/support/payment_contract.js\";",
        },
      ],
    },
    {
      id: "refund-key-salted-with-pid",
      class: "key stable only within one process",
      scenario: "the gateway refunded, its answer was lost and the endpoint restarted before the retry: a new key, the customer refunded twice",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`payments-${paymentId}/refund-${request.refundId}/${process.pid}`" }],
    },
    {
      id: "refund-key-per-day",
      class: "key stable only today",
      scenario: "a refund whose answer was lost before midnight is retried after it under a new key: refunded twice",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`payments-${paymentId}/refund-${request.refundId}/${new Date().toISOString().slice(0, 10)}`" }],
    },
    {
      id: "refund-key-joined-with-underscore",
      class: "colliding ids",
      scenario: "payment 'a_b' refund 'c' and payment 'a' refund 'b_c' share one gateway key: the second refund is refused or handed the first's",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`refund_${paymentId}_${request.refundId}`" }],
    },
    {
      id: "refund-key-without-payment",
      class: "colliding ids",
      scenario: "the refundId is the refund's identity, so it alone is the key: refund 'r1' of payment A and refund 'r1' of payment B collide at the gateway",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`refund-${request.refundId}`" }],
    },
  ],
};
