// Case 9: more first calls at once than restate-server runs invocations at once.
// A new payment is two invocations: the shared create waits for the exclusive
// charge it calls. When waiting creates take every invocation slot, the charges
// they wait for cannot start; create's short inactivity timeout suspends the
// waiting ones (freeing their slots) instead of holding them until the server's
// default of a minute. The server's limit (1,000 by default) is lowered here so
// that a small burst crosses it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLedger } from "../support/audit.js";
import { Ingress } from "../support/ingress.js";
import { succeededCharges, uniqueId, visa } from "../support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";

const INVOCATION_SLOTS = 8;
const BURST = 40;
/** Well under restate-server's default inactivity timeout (1 min), which a deadlock would wait out. */
const DEADLINE_MS = 30_000;

let stack: ThrowawayStack;
let ingress: Ingress;

beforeAll(async () => {
  stack = await startThrowawayStack({ restateEnv: { RESTATE_WORKER__INVOKER__CONCURRENT_INVOCATIONS_LIMIT: String(INVOCATION_SLOTS) } });
  ingress = new Ingress(stack.ingressUrl);
  // Provider latency keeps every charge in flight while the burst arrives.
  await stack.gatewayClient.setFaults({ latencyMs: 50 });
});

afterAll(async () => {
  await stack?.dispose();
});

describe("case 9: a burst of first calls larger than the server's invocation slots", () => {
  it(`answers ${BURST} new payments and ${BURST} duplicates of one new payment with ${INVOCATION_SLOTS} slots: one charge each`, async () => {
    const ids = Array.from({ length: BURST }, () => uniqueId("slots"));
    const hot = uniqueId("slots-hot");
    const answers = await Promise.all([
      ...ids.map((id) => ingress.createPayment(id, visa, { timeoutMs: DEADLINE_MS })),
      ...ids.map(() => ingress.createPayment(hot, visa, { timeoutMs: DEADLINE_MS })),
    ]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    for (const id of [...ids, hot]) expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
    const audit = await auditLedger(stack.gatewayClient, ingress, [...ids, hot]);
    expect(audit.violations).toEqual([]);
  });
});
