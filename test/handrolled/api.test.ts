// The hand-rolled service speaks the Restate ingress's API (paths, bodies,
// status codes) plus the IETF Idempotency-Key draft's rules. PGlite in a temp dir.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentAnswer } from "../support/ingress.js";
import { uniqueId, visa } from "../support/payments.js";
import { MAX_BODY_BYTES } from "../../handrolled/app.js";
import { type HandrolledStack, startHandrolledStack } from "../support/handrolled_under_test.js";

let stack: HandrolledStack;
beforeAll(async () => {
  stack = await startHandrolledStack({ env: { HANDROLLED_KEY_RETENTION_MS: "1500", HANDROLLED_REAPER_INTERVAL_MS: "200" } });
});
afterAll(async () => stack?.dispose());

describe("the same API as the Restate ingress", () => {
  it("creates, replays with Idempotent-Replayed, refunds, and reads the payment back with GET and POST", async () => {
    const id = uniqueId("hr-api");
    const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ paymentId: id, status: "succeeded", amount: 10_000, currency: "USD", refundedAmount: 0, refunds: [] });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const otherKey = await stack.api.createPayment(id, visa, { idempotencyKey: `k2-${id}` });
    expect(otherKey.body.chargeId).toBe(first.body.chargeId); // the payment id dedupes too, as in the object's state

    const refund = await stack.api.refund(id, { refundId: "r1", amount: 2_500 }, { idempotencyKey: `r-${id}` });
    expect(refund.status).toBe(200);
    expect(refund.body.refundedAmount).toBe(2_500);
    const tooMuch = await stack.api.refund(id, { refundId: "r2", amount: 9_000 }, { idempotencyKey: `r2-${id}` });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.message).toContain("7500 of 10000 USD");
    const viaPost = await stack.api.request(`/PaymentService/${id}/getStatus`, undefined, { method: "POST" }, PaymentAnswer);
    expect(viaPost.body).toEqual((await stack.api.getStatus(id)).body);
    expect(viaPost.body.refundedAmount).toBe(2_500);
    expect((await stack.gatewayClient.listCharges({ reference: id })).length).toBe(1);
  });

  it("answers a decline with 402 every time, and unknown payments with 404", async () => {
    const id = uniqueId("hr-decline");
    const declined = await stack.api.createPayment(id, { ...visa, source: "tok_chargeDeclined" }, { idempotencyKey: `k-${id}` });
    expect(declined.status).toBe(402);
    expect(declined.body.metadata?.code).toBe("card_declined");
    const again = await stack.api.createPayment(id, { ...visa, source: "tok_chargeDeclined" }, { idempotencyKey: `k2-${id}` });
    expect(again.status).toBe(402);
    expect(again.body.message).toBe(declined.body.message);
    expect((await stack.api.getStatus(uniqueId("nobody"))).status).toBe(404);
  });
});

describe("the IETF draft's rules", () => {
  it("requires the key (400), refuses another payload under a key (422) and another payment under a payment id (422)", async () => {
    const id = uniqueId("hr-ietf");
    const missing = await stack.api.createPayment(id, visa);
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("Idempotency-Key header is required");
    expect((await stack.api.refund(id, { refundId: "r", amount: 1 })).status).toBe(400);
    await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    const changed = await stack.api.createPayment(id, { ...visa, amount: 5_000 }, { idempotencyKey: `k-${id}` });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain("different request body");
    const otherParams = await stack.api.createPayment(id, { ...visa, amount: 5_000 }, { idempotencyKey: `k3-${id}` });
    expect(otherParams.status).toBe(422);
    expect(otherParams.body.message).toContain("amount 10000 (now 5000)");
  });

  it("answers 409 at once to the same key while the first request is in flight", async () => {
    const id = uniqueId("hr-409");
    await stack.gatewayClient.setFaults({ latencyMs: 1_500 });
    try {
      const first = stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      await waitUntilPending(id);
      const startedAt = Date.now();
      const second = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      expect(second.status).toBe(409);
      expect(second.headers.get("retry-after")).toBe("1"); // when to come back, for a careful client
      expect(Date.now() - startedAt).toBeLessThan(1_000); // did not wait for the first
      expect((await first).status).toBe(200);
    } finally {
      await stack.gatewayClient.setFaults({ latencyMs: 0 });
    }
  });

  it("refuses bad input with 400 and a message before anything is stored", async () => {
    const id = uniqueId("hr-bad");
    for (const body of [{ ...visa, amount: -1 }, { ...visa, currency: "usd" }, { amount: 1 }, 42, { ...visa, extra: 1 }]) {
      const response = await stack.api.createPayment(id, body, { idempotencyKey: `k-${id}` });
      expect(response.status).toBe(400);
      expect(response.body.message?.length).toBeGreaterThan(10);
    }
    expect((await stack.api.request(`/PaymentService/${id}/create`, undefined, { rawBody: "{nope", idempotencyKey: "k" }, PaymentAnswer)).status).toBe(400);
    expect((await stack.api.createPayment("bad id!", visa, { idempotencyKey: "k" })).status).toBe(400);
    expect((await stack.api.getStatus(id)).status).toBe(404);
  });

  it("refuses a body over 64 KiB with 413 naming the limit, and one just under it with the usual 400", async () => {
    const id = uniqueId("hr-big");
    const padded = (bytes: number) => JSON.stringify({ ...visa, pad: "x".repeat(bytes - JSON.stringify({ ...visa, pad: "" }).length) });
    const over = await stack.api.request(`/PaymentService/${id}/create`, undefined, { rawBody: padded(MAX_BODY_BYTES + 1), idempotencyKey: `k-${id}` }, PaymentAnswer);
    expect(over.status).toBe(413);
    expect(over.body.message).toContain(`${MAX_BODY_BYTES} bytes`);
    const under = await stack.api.request(`/PaymentService/${id}/create`, undefined, { rawBody: padded(MAX_BODY_BYTES - 100), idempotencyKey: `k-${id}` }, PaymentAnswer);
    expect(under.status).toBe(400);
    expect(under.body.message).toContain("pad");
    expect((await stack.api.getStatus(id)).status).toBe(404);
  });

  it("forgets a finished key after the retention (the reaper), and the payment id still dedupes", async () => {
    const id = uniqueId("hr-reap");
    const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    let replayed = true;
    const deadline = Date.now() + 15_000;
    while (replayed && Date.now() < deadline) {
      const again = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      replayed = again.headers.get("idempotent-replayed") === "true";
      expect(again.body.chargeId).toBe(first.body.chargeId);
      if (replayed) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(replayed).toBe(false);
  });
});

async function waitUntilPending(id: string) {
  const { waitFor } = await import("../../orchestration/processes.js");
  await waitFor(`${id} pending`, async () => (await stack.api.getStatus(id)).body?.status === "pending");
}

describe("generated bad input", () => {
  it("answers every generated malformed create or refund with a 4xx and a message, never a 5xx, and charges nothing", async () => {
    const fc = (await import("fast-check")).default;
    const id = uniqueId("hr-fuzz");
    const junk = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({ amount: fc.oneof(fc.integer({ max: 0 }), fc.double({ noInteger: true, noNaN: true }), fc.string()), currency: fc.string(), source: fc.string() }),
      fc.record({ refundId: fc.string(), amount: fc.anything() }),
    );
    await fc.assert(
      fc.asyncProperty(junk, fc.constantFrom("create", "refund"), fc.option(fc.string({ minLength: 1, maxLength: 300 })), async (body, handler, key) => {
        const response = await stack.api.request(`/PaymentService/${id}/${handler}`, undefined, {
          rawBody: typeof body === "string" ? body : JSON.stringify(body),
          ...(key !== null && /^[\x21-\x7e]+$/.test(key) ? { idempotencyKey: key } : {}),
        }, PaymentAnswer);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(typeof response.body?.message).toBe("string");
      }),
      { numRuns: 150, seed: 20261124 },
    );
    expect(await stack.gatewayClient.listCharges({ reference: id })).toEqual([]);
  });
});
