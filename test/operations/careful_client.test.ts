// code/careful_client.ts against a real stack with the provider's faults on:
// every client gets its final answer, and no payment is charged twice.
// Run by `npm run test:operations` (it waits out provider retries; kept out of `npm test`).
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAREFUL_RETRIES, newPaymentOperation, type Outcome, payCarefully, type RetryPolicy } from "../../code/careful_client.js";
import { type HandrolledProcess, startHandrolled } from "../../orchestration/handrolled.js";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { freePort } from "../../orchestration/ports.js";
import { visa } from "../support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";

/** Short attempts, so a slow provider makes answers go missing; a window that still fits every case. */
const IMPATIENT: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 300, windowMs: 40_000 };

let stack: ThrowawayStack;
let handrolled: HandrolledProcess | undefined;
beforeAll(async () => {
  stack = await startThrowawayStack();
  handrolled = await startHandrolled({ port: await freePort(), gatewayUrl: stack.gatewayUrl, output: { kind: "file", path: path.join(stack.dir, "handrolled.log") } });
}, 90_000);
afterAll(async () => {
  await handrolled?.stop();
  await stack?.dispose();
});

const chargesFor = async (paymentId: string) => (await stack.gatewayClient.listCharges({ reference: paymentId })).filter((c) => c.status === "succeeded");

describe("a careful client", () => {
  it("gets every payment paid exactly once while answers are lost and the provider fails and drops answers", async () => {
    const chargesBefore = (await stack.gatewayClient.listCharges()).length;
    // Slower than a client attempt: every first answer is lost to the client's timeout.
    await stack.gatewayClient.setFaults({ latencyMs: 700, failureRate: 0.3, dropNext: 3 });
    try {
      const operations = Array.from({ length: 12 }, (_, i) => newPaymentOperation({ ...visa, amount: 1_000 + i }));
      const outcomes = await Promise.all(operations.map((operation) => payCarefully(stack.ingressUrl, operation, { policy: IMPATIENT })));
      // Exactly one charge per logical payment, none under any other payment id.
      expect((await stack.gatewayClient.listCharges()).length - chargesBefore).toBe(operations.length);
      expect(outcomes.map((o) => o.kind)).toEqual(operations.map(() => "paid"));
      expect(outcomes.some((o) => o.attempts > 1), "no answer was lost: the faults did not bite").toBe(true);
      for (const [index, operation] of operations.entries()) {
        const charges = await chargesFor(operation.paymentId);
        expect(charges.map((c) => c.amount), `charges of ${operation.paymentId}`).toEqual([operation.request.amount]);
        expect((outcomes[index] as Extract<Outcome, { kind: "paid" }>).payment.chargeId).toBe(charges[0]!.id);
      }
    } finally {
      await stack.gatewayClient.setFaults({ latencyMs: 0, failureRate: 0, dropNext: 0 });
    }
  });

  // What the first key answers afterwards: Restate replays the 504 it stored for it; the peer parked that key at its
  // charge_unconfirmed recovery point, so the same key resumes it (looks the charge up) and answers 200.
  it.each([
    ["the Restate service", () => stack.ingressUrl, 504],
    ["the hand-rolled peer", () => handrolled!.url, 200],
  ] as const)(
    "does not retry a 5xx the same key would replay (%s): reads the payment and asks again under a new key",
    async (_service, baseUrl, sameKeyAfterwards) => {
      const operation = newPaymentOperation(visa);
      await stack.gatewayClient.setFaults({ failNext: 8 }); // every provider attempt of the first create fails
      const lines: string[] = [];
      const outcome = await payCarefully(baseUrl(), operation, { log: (line) => lines.push(line) });
      expect(outcome.kind, lines.join("\n")).toBe("paid");
      expect(lines[0]).toMatch(/^attempt 1 .*: 504 charge_unconfirmed, stored for this key; getStatus: unconfirmed -- retrying in \d+ ms under a new key, create-pay-\S+-again-1$/);
      expect(lines[1]).toMatch(/^attempt 2 \(key create-pay-\S+-again-1\): 200 succeeded$/);
      expect(await chargesFor(operation.paymentId)).toHaveLength(1);
      const sameKey = await fetch(`${baseUrl()}/PaymentService/${operation.paymentId}/create`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": operation.idempotencyKey },
        body: JSON.stringify(visa),
      });
      expect(sameKey.status).toBe(sameKeyAfterwards);
      if (sameKeyAfterwards === 504) expect(((await sameKey.json()) as { metadata: { code: string } }).metadata.code).toBe("charge_unconfirmed");
      expect(await chargesFor(operation.paymentId)).toHaveLength(1);
    },
  );

  it("takes a 422 (the payment id with other parameters) as final, after one attempt", async () => {
    const operation = newPaymentOperation(visa);
    expect((await payCarefully(stack.ingressUrl, operation)).kind).toBe("paid");
    const outcome = await payCarefully(stack.ingressUrl, { ...operation, idempotencyKey: `${operation.idempotencyKey}-b`, request: { ...visa, amount: 1 } });
    expect(outcome).toMatchObject({ kind: "refused", status: 422, attempts: 1 });
    expect(await chargesFor(operation.paymentId)).toHaveLength(1);
  });

  it("waits as long as the hand-rolled peer's 409 Retry-After says, then gets the replayed answer", async () => {
    const operation = newPaymentOperation(visa);
    await stack.gatewayClient.setFaults({ latencyMs: 1_500 });
    try {
      const first = fetch(`${handrolled!.url}/PaymentService/${operation.paymentId}/create`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": operation.idempotencyKey },
        body: JSON.stringify(visa),
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the first take the key
      const lines: string[] = [];
      const outcome = await payCarefully(handrolled!.url, operation, { policy: { ...CAREFUL_RETRIES, attemptTimeoutMs: 5_000 }, log: (line) => lines.push(line) });
      expect(outcome.kind, lines.join("\n")).toBe("paid");
      expect(lines[0]).toMatch(/^attempt 1 .*: 409 .* retrying in 1000 ms \(Retry-After\)$/);
      expect((await first).status).toBe(200);
      expect(await chargesFor(operation.paymentId)).toHaveLength(1);
    } finally {
      await stack.gatewayClient.setFaults({ latencyMs: 0 });
    }
  });

  it("keeps its retry window well inside the service's idempotency retention", async () => {
    const service = (await (await fetch(`${stack.adminUrl}/services/PaymentService`)).json()) as { idempotency_retention: string };
    const retentionMs = parseHumanDuration(service.idempotency_retention);
    expect(CAREFUL_RETRIES.windowMs).toBeLessThan(retentionMs / 10);
  });

  it("runs from the command line and prints each attempt", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...tsxArgs(), path.join(REPO_ROOT, "code/careful_client.ts"), "4200", stack.ingressUrl], {
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^paying 4200 USD as (pay-\S+) \(idempotency key create-\1\)\nattempt 1 \(key create-\1\): 200 succeeded\npaid: charge ch_\S+ after 1 attempt\(s\)\n$/);
  });
});

/** Restate's admin API writes durations as "1day", "1h 30m", "500ms". */
function parseHumanDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000, day: 86_400_000, days: 86_400_000, d: 86_400_000 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)\s*([a-z]+)/g)) {
    if (!(unit! in units)) throw new Error(`unknown duration unit '${unit}' in '${text}'`);
    total += Number(amount) * units[unit!]!;
  }
  if (total === 0) throw new Error(`not a duration: '${text}'`);
  return total;
}
