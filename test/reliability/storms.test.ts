// Case 5: storms of concurrent duplicates, for one payment id and for many.
import { beforeAll, describe, expect, it } from "vitest";
import type { IngressResponse } from "../support/ingress.js";
import { CHAOS, succeededCharges, uniqueId, visa } from "../support/payments.js";
import { reliabilityFile } from "../support/reliability.js";

const STORM = CHAOS ? 1_000 : 500;
/** No request may hang: every one is answered within this deadline or the test fails. */
const DEADLINE_MS = 60_000;

const file = reliabilityFile("storms");

beforeAll(async () => {
  // A little provider latency keeps the first charge in flight while the storm arrives.
  await file.stack.gatewayClient.setFaults({ latencyMs: 50 });
});

type Mode = "same key" | "different keys" | "no key" | "mixed";

function keyFor(mode: Mode, id: string, index: number): string | undefined {
  switch (mode) {
    case "same key":
      return `key-${id}`;
    case "different keys":
      return `key-${id}-${index}`;
    case "no key":
      return undefined;
    case "mixed":
      return [`key-${id}`, `key-${id}-${index}`, undefined][index % 3];
  }
}

async function storm(id: string, mode: Mode, count: number): Promise<IngressResponse[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => file.ingress.createPayment(id, visa, { idempotencyKey: keyFor(mode, id, index), timeoutMs: DEADLINE_MS })),
  );
}

describe("case 5: storms", () => {
  it.each<Mode>(["same key", "different keys", "no key", "mixed"])(`${STORM} concurrent creates of one payment, %s: one charge, one answer`, async (mode) => {
    await file.report.measure(`${STORM} concurrent creates of one id, ${mode}`, async () => {
      const id = uniqueId(`storm-${mode.replace(/ /g, "-")}`);
      const responses = await storm(id, mode, STORM);

      const statuses = new Set(responses.map((r) => r.status));
      expect([...statuses]).toEqual([200]); // no 5xx, no 4xx: every duplicate is answered with the payment
      const bodies = new Set(responses.map((r) => r.text));
      expect(bodies.size).toBe(1); // the same payment, byte for byte, whatever the key
      const sameKey = responses.filter((_, index) => keyFor(mode, id, index) === `key-${id}`);
      expect(new Set(sameKey.map((r) => r.headers.get("x-restate-id"))).size).toBeLessThanOrEqual(1);

      const charges = await succeededCharges(file.stack.gatewayClient, id);
      expect(charges).toHaveLength(1);
      expect((await file.stack.gatewayClient.listCharges({ reference: id })).length).toBe(1); // the provider was called once
      await file.audit([id]);
      return { requests: STORM, chargesExpected: 1, chargesSeen: charges.length };
    });
  });

  it("many payment ids at once, each duplicated in every way: one charge per id", async () => {
    const ids = Array.from({ length: CHAOS ? 300 : 150 }, () => uniqueId("storm-many"));
    const duplicates = 6;
    await file.report.measure(`${ids.length} ids x ${duplicates} mixed duplicates`, async () => {
      const responses = await Promise.all(ids.map((id) => storm(id, "mixed", duplicates)));
      for (const perId of responses) {
        expect(perId.map((r) => r.status)).toEqual(Array(duplicates).fill(200));
        expect(new Set(perId.map((r) => r.text)).size).toBe(1);
      }
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(ids.length);
      return { requests: ids.length * duplicates, chargesExpected: ids.length, chargesSeen: result.successfulCharges };
    });
  });
});
