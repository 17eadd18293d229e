// A provider answer lost after the money moved. The phased peer must do what
// the Restate service does: call the payment (or refund) unconfirmed, never
// "failed, nothing charged", and find out by itself: its reconciler looks the
// charge up by reference and adopts it; a later create looks before charging
// again, even after the provider forgot its key. On PGlite, and on a real
// PostgreSQL server where one is installed (as test/handrolled/postgres.test.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NO_FAULTS } from "../../code/mock_provider.js";
import type { Payment } from "../../code/types.js";
import { type PostgresServer, postgresBinDir, startPostgresServer } from "../../orchestration/postgres_server.js";
import { waitFor } from "../../orchestration/processes.js";
import { auditLedger } from "../support/audit.js";
import { type HandrolledStack, startHandrolledStack } from "../support/handrolled_under_test.js";
import { succeededCharges, uniqueId, visa } from "../support/payments.js";

const binDir = postgresBinDir();

/**
 * The lease outlasts one request's provider retries with every answer dropped (about 7 s), so the completer does not
 * take over a request still running; a parked key is looked up 3 s after its last try, so a client retrying at once
 * gets there first (the retention case is about the create path's own lookup).
 */
const ENV = { HANDROLLED_LEASE_MS: "20000", RECONCILE_AFTER_MS: "3000" };
/** Every provider answer is lost, the work done: charges and refunds happen, lookups (GETs) still answer. */
const EVERY_ANSWER_DROPPED = { dropNext: 1_000_000 };

/** Until the payment's charge and refunds are no longer in doubt (a pending charge or unconfirmed anything). */
async function settled(stack: HandrolledStack, id: string): Promise<Payment> {
  let payment: Payment | undefined;
  const inDoubt = (p: Payment) => p.status === "pending" || p.status === "unconfirmed" || p.refunds.some((r) => r.status === "unconfirmed");
  await waitFor(`${id} to be reconciled`, async () => {
    payment = (await stack.api.getStatus(id)).body as Payment;
    return !inDoubt(payment);
  }, { timeoutMs: 45_000, intervalMs: 250 }).catch(() => undefined);
  return payment!;
}

for (const backend of ["pglite", "postgres"] as const) {
  describe.skipIf(backend === "postgres" && !binDir)(`hand-rolled (phased, ${backend}): a lost answer is looked up, never called failed`, () => {
    let server: PostgresServer | undefined;
    let stack: HandrolledStack;
    beforeAll(async () => {
      if (backend === "postgres") server = await startPostgresServer(binDir!);
      stack = await startHandrolledStack({ databaseUrl: server?.url, env: ENV });
    });
    afterEach(async () => {
      await stack.gatewayClient.setFaults(NO_FAULTS);
    });
    afterAll(async () => {
      await stack?.dispose();
      await server?.dispose();
    });

    it("every answer of every attempt dropped after a real charge, no client retry: succeeded, with the ledger's one charge", async () => {
      const id = uniqueId("lost-charge");
      await stack.gatewayClient.setFaults(EVERY_ANSWER_DROPPED);
      const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      const rightAfter = (await stack.api.getStatus(id)).body as Payment;

      const payment = await settled(stack, id);
      expect((await auditLedger(stack.gatewayClient, stack.api, [id])).violations).toEqual([]);
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      expect(payment).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id, failure: null });
      // What the caller heard meanwhile: the Restate service's answer, not "failed".
      expect(first.status).toBe(504);
      expect(first.body.metadata).toMatchObject({ code: "charge_unconfirmed", paymentId: id });
      expect(first.body.message).not.toMatch(/nothing was charged/i);
      expect(rightAfter.status).toBe("unconfirmed");
    });

    it("the same, and the provider forgets its keys before the client creates again (new key): still one charge", async () => {
      const id = uniqueId("lost-retention");
      await stack.gatewayClient.setFaults(EVERY_ANSWER_DROPPED);
      const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      await stack.gatewayClient.setFaults({ keyRetentionMs: 0 }); // a charge again with the payment's key would be a new charge
      const retry = await stack.api.createPayment(id, visa, { idempotencyKey: `k2-${id}` });

      const payment = await settled(stack, id);
      expect((await auditLedger(stack.gatewayClient, stack.api, [id])).violations).toEqual([]);
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      expect(payment).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id });
      expect(first.status).toBe(504);
      expect(retry.status).toBe(200); // the create looked the charge up and adopted it, before the reconciler's turn
      expect(retry.body.chargeId).toBe(charges[0]!.id);
    });

    it("a retry with the same key after the 504 resumes it (the key was not finished): looked up, 200, then replayed", async () => {
      const id = uniqueId("lost-same-key");
      await stack.gatewayClient.setFaults(EVERY_ANSWER_DROPPED);
      const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      const retry = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      const replay = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });

      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      expect(first.status).toBe(504);
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id });
      expect(retry.headers.get("idempotent-replayed")).toBeNull();
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.text).toBe(retry.text);
    });

    it("a charge that never reached the provider (every call 503): unconfirmed, then charged by the reconciler within the window", async () => {
      const id = uniqueId("lost-outage");
      await stack.gatewayClient.setFaults({ failureRate: 1 });
      const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
      await stack.gatewayClient.setFaults(NO_FAULTS);

      const payment = await settled(stack, id);
      expect((await auditLedger(stack.gatewayClient, stack.api, [id])).violations).toEqual([]);
      const charges = await succeededCharges(stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      expect(payment).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id });
      expect(first.status).toBe(504); // the peer cannot tell an outage from a lost answer
      expect(first.body.metadata?.code).toBe("charge_unconfirmed");
    });

    it("a refund with every answer dropped, no client retry: one refund at the provider, recorded", async () => {
      const id = uniqueId("lost-refund");
      expect((await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` })).status).toBe(200);
      await stack.gatewayClient.setFaults(EVERY_ANSWER_DROPPED);
      const refund = await stack.api.refund(id, { refundId: "r1", amount: 2_500 }, { idempotencyKey: `r-${id}` });
      const rightAfter = (await stack.api.getStatus(id)).body as Payment;

      const payment = await settled(stack, id);
      const refunds = await stack.gatewayClient.listRefunds({ reference: id });
      expect(refunds).toHaveLength(1);
      expect(payment.refundedAmount).toBe(2_500);
      expect(payment.refunds).toEqual([expect.objectContaining({ refundId: "r1", amount: 2_500, status: "succeeded", gatewayRefundId: refunds[0]!.id })]);
      expect(refund.status).toBe(504);
      expect(refund.body.metadata).toMatchObject({ code: "refund_unconfirmed", paymentId: id, refundId: "r1" });
      // While unconfirmed, its amount stays reserved and shown as such.
      expect(rightAfter.refunds).toEqual([expect.objectContaining({ refundId: "r1", status: "unconfirmed", gatewayRefundId: null })]);
      expect(rightAfter.refundedAmount).toBe(0);
    });
  });
}

describe("hand-rolled (phased, pglite): a payment the provider never charged, past the caller's window", () => {
  let stack: HandrolledStack;
  beforeAll(async () => {
    stack = await startHandrolledStack({ env: { ...ENV, CALLER_RETRY_WINDOW_MS: "0" } });
  });
  afterAll(async () => stack?.dispose());

  it("is settled failed / not_charged on the provider's word (502, as the Restate service), never charged late", async () => {
    const id = uniqueId("not-charged");
    await stack.gatewayClient.setFaults({ failureRate: 1 });
    const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    await stack.gatewayClient.setFaults(NO_FAULTS);

    const payment = await settled(stack, id);
    expect(await stack.gatewayClient.listCharges({ reference: id })).toEqual([]);
    expect(payment).toMatchObject({ status: "failed", chargeId: null, failure: { code: "not_charged" } });
    expect(first.status).toBe(504);
    const retry = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    expect(retry.status).toBe(502);
    expect(retry.body.metadata).toMatchObject({ code: "not_charged", paymentId: id });
    expect(retry.body.message).toContain("Nothing was charged");
    expect(await stack.gatewayClient.listCharges({ reference: id })).toEqual([]);
  });
});
