// Case 6: an idempotency key reused with a different payload. Case 8: what is
// left once Restate's idempotency retention has expired.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../orchestration/processes.js";
import { adminQuery } from "../../code/admin_query.js";
import { auditLedger } from "../support/audit.js";
import { Ingress, succeededCharges, uniqueId, visa } from "../support/payments.js";
import { CaseReport } from "../support/case_report.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";
import { z } from "zod";

const report = new CaseReport();
afterAll(() => report.print("keys"));

describe("case 6: the same idempotency key with a different payload", () => {
  let stack: ThrowawayStack;
  let ingress: Ingress;
  beforeAll(async () => {
    stack = await startThrowawayStack();
    ingress = new Ingress(stack.ingressUrl);
  });
  afterAll(async () => stack?.dispose());

  it("at the Restate layer: the key wins, the first result comes back, the new payload is never looked at", async () => {
    await report.measure("same key, different amount (Restate layer)", async () => {
      const id = uniqueId("reuse");
      const first = await ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` });
      const different = await ingress.createPayment(id, { ...visa, amount: 1 }, { idempotencyKey: `key-${id}` });

      // Restate deduplicates on (target, key) and does not compare bodies: this 200 is the first
      // call's result, for 10000, although this request asked for 1. The client is not told.
      expect(different.status).toBe(200);
      expect(different.text).toBe(first.text);
      expect(different.body.amount).toBe(10_000);
      expect(different.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      return { requests: 2, chargesExpected: 1, chargesSeen: charges.length };
    });
  });

  it("at the service layer: without the key, the payment id is the identity and a different payload gets a 422", async () => {
    await report.measure("same payment id, different amount (service layer)", async () => {
      const id = uniqueId("reuse-object");
      await ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` });
      const noKey = await ingress.createPayment(id, { ...visa, amount: 1 });
      const newKey = await ingress.createPayment(id, { ...visa, currency: "EUR" }, { idempotencyKey: `other-${id}` });

      expect(noKey.status).toBe(422);
      expect(noKey.body.message).toContain("amount 10000 (now 1)");
      expect(newKey.status).toBe(422);
      expect(newKey.body.message).toContain('currency "USD" (now "EUR")');
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      return { requests: 3, chargesExpected: 1, chargesSeen: charges.length };
    });
  });

  it("keys are scoped to their target: the same key on another payment id or handler is a different request", async () => {
    await report.measure("same key on two payment ids and on refund", async () => {
      const [a, b] = [uniqueId("scope-a"), uniqueId("scope-b")];
      const key = `shared-${a}`;
      const first = await ingress.createPayment(a, visa, { idempotencyKey: key });
      const second = await ingress.createPayment(b, visa, { idempotencyKey: key });
      const refund = await ingress.refund(a, { refundId: "r1", amount: 100 }, { idempotencyKey: key });

      expect(second.body.paymentId).toBe(b);
      expect(second.body.chargeId).not.toBe(first.body.chargeId);
      expect(refund.body.refundedAmount).toBe(100);
      const result = await auditLedger(stack.gatewayClient, ingress, [a, b]);
      expect(result.violations).toEqual([]);
      expect(result.successfulCharges).toBe(2);
      return { requests: 3, chargesExpected: 2, chargesSeen: result.successfulCharges };
    });
  });
});

describe("case 8: retention", () => {
  let stack: ThrowawayStack;
  let ingress: Ingress;
  beforeAll(async () => {
    // Keys kept 2 s instead of a day, and the cleaner running every second, so expiry is observable.
    stack = await startThrowawayStack({
      restateEnv: { RESTATE_DEFAULT_IDEMPOTENCY_RETENTION: "2s", RESTATE_WORKER__CLEANUP_INTERVAL: "1s" },
    });
    ingress = new Ingress(stack.ingressUrl);
  });
  afterAll(async () => stack?.dispose());

  it("after the key expires it no longer deduplicates at the Restate layer, while the object state still does", async () => {
    await report.measure("key used again after a 2 s retention", async () => {
      const id = uniqueId("retention");
      const key = `key-${id}`;
      const first = await ingress.createPayment(id, visa, { idempotencyKey: key });
      const replay = await ingress.createPayment(id, visa, { idempotencyKey: key });
      // A replayed result carries `idempotency-expires`; a fresh run does not.
      expect(first.headers.get("idempotency-expires")).toBeNull();
      const expires = Date.parse(replay.headers.get("idempotency-expires") ?? "");
      expect(Number.isNaN(expires)).toBe(false);
      expect(expires - Date.now()).toBeLessThan(5_000);
      const completedAt = async () =>
        (await adminQuery(stack.adminUrl, `SELECT completed_at FROM sys_invocation WHERE id = '${first.headers.get("x-restate-id")}'`, z.object({ completed_at: z.string() })))[0]
          ?.completed_at;
      const firstCompletion = await completedAt();

      // Once the key is gone, the same key runs the handler again (Restate derives the invocation id
      // from the key, so x-restate-id is the same; the missing header and a new completion time tell)...
      let later = replay;
      let requests = 2;
      await waitFor(
        "the idempotency key to expire",
        async () => {
          later = await ingress.createPayment(id, visa, { idempotencyKey: key });
          requests++;
          return later.headers.get("idempotency-expires") === null;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(await completedAt()).not.toBe(firstCompletion);
      // ...which finds the payment in the object's state and charges nothing.
      expect(later.status).toBe(200);
      expect(later.body).toEqual(first.body);
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      return { requests, chargesExpected: 1, chargesSeen: charges.length };
    });
  });
});
