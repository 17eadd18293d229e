// The provider keys the service derives are a pure rule: two different (payment, refund) pairs must never share a
// key, or the provider answers the second refund with the first one's stored result. Ids may contain '-'.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chargeIdempotencyKey, refundIdempotencyKey } from "../code/payment_service.js";
import { PaymentId, RefundId } from "../code/types.js";

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);

describe("provider keys", () => {
  it("keep apart ids built to collide on a '-' separator", () => {
    expect(PaymentId.safeParse("a-refund-b").success && RefundId.safeParse("b-refund-c").success).toBe(true);
    expect(refundIdempotencyKey("a-refund-b", "c")).not.toBe(refundIdempotencyKey("a", "b-refund-c"));
    expect(chargeIdempotencyKey("a-charge")).not.toBe(chargeIdempotencyKey("a"));
  });

  it("never give two different (payment, refund) pairs the same key, nor a refund the key of a charge", () => {
    fc.assert(
      fc.property(id, id, id, id, (p1, r1, p2, r2) => {
        if (p1 === p2 && r1 === r2) return;
        expect(refundIdempotencyKey(p1, r1)).not.toBe(refundIdempotencyKey(p2, r2));
        expect(refundIdempotencyKey(p1, r1)).not.toBe(chargeIdempotencyKey(p2));
      }),
      { seed: 20261205, numRuns: 2_000 },
    );
    // The pairs most likely to collide, made on purpose: one id's tail moved into the other.
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(refundIdempotencyKey(`${a}-refund-${b}`, c)).not.toBe(refundIdempotencyKey(a, `${b}-refund-${c}`));
      }),
      { seed: 20261205, numRuns: 500 },
    );
  });
});
