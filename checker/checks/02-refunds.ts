// Exercise 2: refunds, partial and full, once per refundId, never more than the charge.
import type { GatewayRefund } from "../../code/types.js";
import { type ChargeRequest, PAYMENT_NOT_SUCCEEDED, type Payment, type RefundRequest } from "../../exercises/support/payment_contract.js";
import { type CheckContext, expect, expectAskedOnce, fail, plural, times } from "../lib/check.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import { type DeclaredEffect, faultMatrix } from "../lib/faults.js";
import type { Answer } from "../lib/restate.js";

type PaymentAnswer = Payment & { message?: string; metadata?: Record<string, string> };

const visa: ChargeRequest = { amount: 10_000, currency: "USD", source: "tok_visa" };

const call = (ctx: CheckContext, paymentId: string, handler: "charge" | "refund", body: unknown): Promise<Answer<PaymentAnswer>> =>
  ctx.restate.invoke({ service: "Payments", key: paymentId, handler }, body);

async function charged(ctx: CheckContext, request: ChargeRequest = visa): Promise<string> {
  const paymentId = ctx.id("pay");
  const answer = await call(ctx, paymentId, "charge", request);
  if (answer.status !== 200) fail(`charge (done for you in the starter) answered ${answer.status}: ${answer.body?.message ?? answer.text.slice(0, 120)}; keep it as it was`);
  return paymentId;
}

const refund = (ctx: CheckContext, paymentId: string, request: RefundRequest) => call(ctx, paymentId, "refund", request);

function expectRefunded(answer: Answer<PaymentAnswer>, what: string, refundedAmount: number): Payment {
  expect(answer.status === 200, `${what} answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 120)}), expected 200 with the payment`);
  expect(
    answer.body.refundedAmount === refundedAmount,
    `after ${what} the payment says ${answer.body.refundedAmount} refunded, expected ${refundedAmount}`,
    { detail: answer.body },
  );
  return answer.body;
}

/**
 * The refusal must be the learner's rule, not the gateway's: the mock gateway refuses too (more than charged, a key
 * reused with another amount, a failed charge), and a solution that forwards its refusal answers 422 just the same.
 * So the refund requests that reached the gateway's door are counted: a refused refund never gets there.
 */
function expectRuleIsYours(ctx: CheckContext, paymentId: string, allowed: number, what: string, rule: string): void {
  const sent = ctx.requests.gateway.sideEffects("/v1/refunds", paymentId).length;
  expect(
    sent <= allowed,
    `${what} was sent to the gateway (${plural(sent, "refund request")} for the payment, expected ${allowed}), which refused it: the refusal was the gateway's rule, not yours; ${rule}`,
    { section: "remembering-failures" },
  );
}

const refundsOf = (ctx: CheckContext, paymentId: string): Promise<GatewayRefund[]> => ctx.gateway.listRefunds({ reference: paymentId });
const total = (refunds: GatewayRefund[]) => refunds.reduce((sum, refund) => sum + refund.amount, 0);

/** Every side effect of a payment, each checked with its answer lost: the charge too, not only the refund. */
const EFFECTS: DeclaredEffect[] = [
  {
    id: "charge",
    what: "the payment's charge",
    door: "gateway",
    path: "/v1/charges",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "pay",
    async scenario(ctx, paymentId) {
      const answer = await call(ctx, paymentId, "charge", visa);
      expect(answer.status === 200 && answer.body.status === "succeeded", `charge (with its answer lost) answered ${answer.status} ${answer.text.slice(0, 120)}, expected 200 with a succeeded payment`);
    },
    made: async (ctx, paymentId) => (await ctx.gateway.listCharges({ reference: paymentId })).filter((charge) => charge.status === "succeeded").length,
  },
  {
    id: "refund",
    what: "the refund",
    door: "gateway",
    path: "/v1/refunds",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "pay",
    async scenario(ctx, paymentId) {
      const answer = await call(ctx, paymentId, "charge", visa);
      if (answer.status !== 200) fail(`charge (done for you in the starter) answered ${answer.status}: ${answer.body?.message ?? answer.text.slice(0, 120)}; keep it as it was`);
      expectRefunded(await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 }), "refund r1 (with its answer lost)", 2_500);
    },
    made: async (ctx, paymentId) => (await refundsOf(ctx, paymentId)).length,
  },
];

export const exercise: ExerciseDefinition = {
  number: 2,
  folder: "02-refunds",
  title: "Refund processing",
  services: ["Payments"],
  checks: [
    {
      id: "partial-refund",
      name: "a partial refund is made once and recorded on the payment",
      section: "what-idempotency-means",
      async run(ctx) {
        const paymentId = await charged(ctx);
        const payment = expectRefunded(await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 }), "refund r1 of 2500", 2_500);
        const refunds = await refundsOf(ctx, paymentId);
        expect(refunds.length === 1 && refunds[0]!.amount === 2_500, `the gateway made ${refunds.length} refunds (${total(refunds)} in all), expected one of 2500`);
        const recorded = payment.refunds.find((r) => r.refundId === "r1");
        expect(recorded?.gatewayRefundId === refunds[0]!.id, `the payment's refund r1 names gateway refund ${recorded?.gatewayRefundId}, but the gateway made ${refunds[0]!.id}`);
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", paymentId).length, "the charge");
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/refunds", paymentId).length, "the refund");
      },
    },
    {
      id: "duplicate-refund",
      name: "the same refund sent twice, the second time after the endpoint restarted, refunds once",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        const paymentId = await charged(ctx);
        expectRefunded(await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 }), "refund r1", 2_500);
        await ctx.endpoint.restart(); // what the payment's object remembers must outlive the process
        const again = await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 });
        expect(
          again.status !== 404,
          "after the endpoint restarted, the payment was gone (404): keep it in the object's state (ctx.set), which outlives the process, not in a variable",
          { section: "restates-three-tools" },
        );
        const refunds = await refundsOf(ctx, paymentId);
        expect(
          refunds.length === 1,
          `refunded ${times(refunds.length)} for one refundId: the refundId identifies the refund; if the payment already has it, answer with the payment and refund nothing`,
        );
        expect(
          again.body?.refundedAmount !== 5_000,
          "the duplicate of refund r1 was recorded as a second refund (5000 refunded on the payment): the refundId identifies the refund; if the payment already has it, answer with the payment unchanged",
          { detail: again.body },
        );
        expectRefunded(again, "the duplicate of refund r1", 2_500);
      },
    },
    {
      id: "lost-refund-answer",
      name: "the gateway refunds but its answer is lost: the retry refunds nothing more",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const paymentId = await charged(ctx);
        await ctx.gateway.setFaults({ dropNext: 1 });
        const answer = await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 });
        const refunds = await refundsOf(ctx, paymentId);
        expect(
          refunds.length === 1,
          `refunded ${times(refunds.length)} for one refund: run the refund inside ctx.run and give the gateway a key derived from the payment id and the refundId`,
        );
        const payment = expectRefunded(answer, "refund r1 (with the gateway's answer dropped once)", 2_500);
        expect(payment.refunds[0]?.gatewayRefundId === refunds[0]!.id, `the payment names gateway refund ${payment.refunds[0]?.gatewayRefundId}, but the gateway made ${refunds[0]!.id}`);
      },
    },
    {
      id: "never-exceeds-charge",
      name: "partial refunds up to the full amount succeed; one cent more is refused with 422",
      section: "remembering-failures",
      async run(ctx) {
        const paymentId = await charged(ctx);
        expectRefunded(await refund(ctx, paymentId, { refundId: "r1", amount: 6_000 }), "refund r1 of 6000", 6_000);
        expectRefunded(await refund(ctx, paymentId, { refundId: "r2", amount: 4_000 }), "refund r2 of the remaining 4000", 10_000);
        const tooMuch = await refund(ctx, paymentId, { refundId: "r3", amount: 1 });
        expect(
          tooMuch.status === 422,
          tooMuch.status === 200
            ? "a refund beyond the charge was accepted: compare with what is left to refund before calling the gateway, and refuse with a 422 TerminalError"
            : `a refund beyond the charge answered ${tooMuch.status}, expected 422 (a TerminalError saying how much is left)`,
        );
        expect(typeof tooMuch.body?.message === "string" && tooMuch.body.message.length > 0, "the 422 has no message: say how much is left to refund");
        const refunds = await refundsOf(ctx, paymentId);
        expect(total(refunds) === 10_000, `the gateway refunded ${total(refunds)} of a 10000 charge`);
        expectRuleIsYours(ctx, paymentId, 2, "refund r3, beyond what is left", "compare the amount with what is left to refund (amount - refundedAmount) before calling the gateway");
      },
    },
    {
      id: "colliding-ids",
      name: "ids built to collide on a separator ('a-refund-b' + 'c', 'a' + 'b-refund-c', and with '_') get a refund each",
      section: "key-reuse-with-a-different-payload",
      async run(ctx) {
        // Ids may contain '-' and '_': a key joining them with either gives these two refunds one provider key.
        // Two shapes: a key with a word between the ids ('payments-{p}-refund-{r}'), and the ids joined directly ('{p}_{r}').
        for (const infix of ["-refund-", "_refund_", "-", "_"]) {
          const shorter = await charged(ctx);
          const longerId = `${shorter}${infix}x`;
          const longer = await call(ctx, longerId, "charge", visa);
          if (longer.status !== 200) fail(`charge of payment '${longerId}' answered ${longer.status}; keep charge as it was`);
          const movedId = `x${infix}r`;
          expectRefunded(await refund(ctx, shorter, { refundId: movedId, amount: 1_000 }), `refund '${movedId}' of payment '${shorter}'`, 1_000);
          const second = await refund(ctx, longerId, { refundId: "r", amount: 2_000 });
          // And the same refundId on two payments: a key without the payment id collides here.
          const third = await refund(ctx, shorter, { refundId: "r", amount: 500 });
          for (const [paymentId, refundId, answer, amounts] of [
            [longerId, "r", second, [2_000]],
            [shorter, "r", third, [1_000, 500]],
          ] as const) {
            const refunds = await refundsOf(ctx, paymentId);
            expect(
              refunds.length === amounts.length && total(refunds) === amounts.reduce((sum, amount) => sum + amount, 0),
              `payment '${paymentId}', refund '${refundId}': the gateway holds ${plural(refunds.length, "refund")} of ${total(refunds)} for the payment (answered ${answer.status}), ` +
                `expected ${amounts.join(" + ")}, because its provider key is the key of another (payment, refund) pair: put both ids in the key, ` +
                "and join them with a separator an id cannot contain ('/'), since ids may contain '-' and '_'",
              { detail: refunds },
            );
          }
          expectRefunded(second, `refund 'r' of payment '${longerId}'`, 2_000);
          expectRefunded(third, `refund 'r' of payment '${shorter}'`, 1_500);
        }
      },
    },
    {
      id: "refund-id-reuse",
      name: "the same refundId with another amount is refused with 422",
      section: "key-reuse-with-a-different-payload",
      async run(ctx) {
        const paymentId = await charged(ctx);
        expectRefunded(await refund(ctx, paymentId, { refundId: "r1", amount: 2_500 }), "refund r1 of 2500", 2_500);
        const reused = await refund(ctx, paymentId, { refundId: "r1", amount: 3_000 });
        const refunds = await refundsOf(ctx, paymentId);
        expect(
          reused.status === 422,
          reused.status === 200
            ? `refund r1 with another amount was ${refunds.length > 1 ? "made as a second refund" : "answered as if it were the first"}: it is a different request under the same id; refuse it with a 422 TerminalError`
            : `refund r1 with another amount answered ${reused.status}, expected 422`,
        );
        expect(refunds.length === 1, `the gateway made ${refunds.length} refunds, expected only the first r1`);
        expectRuleIsYours(ctx, paymentId, 1, "refund r1 with another amount", "look the refundId up among the payment's refunds and refuse another amount before calling the gateway");
      },
    },
    {
      id: "declined-payment",
      name: "refunding a declined payment is refused with 409 and the code payment_not_succeeded",
      section: "remembering-failures",
      async run(ctx) {
        const paymentId = await charged(ctx, { ...visa, source: "tok_chargeDeclined" });
        const answer = await refund(ctx, paymentId, { refundId: "r1", amount: 100 });
        expect(
          answer.status === 409,
          `refunding a declined payment answered ${answer.status}, expected 409: check the payment's status before calling the gateway and throw a TerminalError with errorCode 409`,
        );
        expect(
          answer.body?.metadata?.code === PAYMENT_NOT_SUCCEEDED,
          `the 409 carries ${answer.body?.metadata?.code === undefined ? "no code" : `the code ${JSON.stringify(answer.body.metadata.code)}`}; give the TerminalError metadata: { code: "${PAYMENT_NOT_SUCCEEDED}" }, so a caller can tell why without reading the message`,
        );
        expect((await refundsOf(ctx, paymentId)).length === 0, "the gateway refunded a declined payment");
        expectRuleIsYours(ctx, paymentId, 0, "the refund of a declined payment", "check the payment's status before calling the gateway");
      },
    },
    {
      id: "unknown-payment",
      name: "refunding a payment that does not exist answers 404",
      section: "remembering-failures",
      async run(ctx) {
        const answer = await refund(ctx, ctx.id("never-charged"), { refundId: "r1", amount: 100 });
        expect(answer.status === 404, `refunding an unknown payment answered ${answer.status}, expected 404: throw a TerminalError with errorCode 404 when there is no payment in state`);
      },
    },
    ...faultMatrix(EFFECTS),
  ],
  effects: EFFECTS,
};
