// Case 7: generated bad requests. Each must get a 4xx with a message, finish
// (no invocation left retrying), and charge nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../orchestration/processes.js";
import { IDENTIFIER, MAX_AMOUNT } from "../../code/types.js";
import { unfinishedInvocations } from "../support/admin.js";
import { PaymentAnswer } from "../support/ingress.js";
import { CHAOS, visa } from "../support/payments.js";
import { reliabilityFile } from "../support/reliability.js";

const COUNT = CHAOS ? 5_000 : 600;
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const BATCH = 50;

interface BadRequest {
  kind: string;
  paymentId: string;
  handler: "create" | "refund";
  body: string;
  idempotencyKey?: string;
}

const ISO = new Set(Intl.supportedValuesOf("currency"));
const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
const goodId = fc.stringMatching(/^[a-z0-9]{4,12}$/).map((s) => `fuzz-${s}`);
const notANumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const badAmount = fc.oneof(
  fc.integer({ min: -1_000_000_000, max: 0 }),
  fc.double({ min: 0.001, max: 1_000, noInteger: true, noNaN: true }),
  fc.integer({ min: MAX_AMOUNT + 1, max: Number.MAX_SAFE_INTEGER }),
  fc.constant(1e300),
  notANumber,
);
const badCurrency = fc.oneof(
  fc.string({ maxLength: 8 }).filter((s) => !ISO.has(s)),
  fc.constantFrom("usd", "Usd", "US", "USDD", "XYZ", "ZZZ", "€", " USD"),
  notANumber,
);
const badSource = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => !/^tok_[A-Za-z0-9_]{1,60}$/.test(s)),
  fc.constant(`tok_${"x".repeat(100)}`),
  notANumber,
);
const oddPaymentId = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((s) => !IDENTIFIER.test(s)),
  fc.constantFrom("a/b", "../etc", "-leading-dash", "white space", "x".repeat(65), "ünïcödé", "支付", "💳", "%2F", "a.b"),
);
const oddKey = fc.oneof(
  fc.stringMatching(/^[ -~]{1,40}$/), // any printable ASCII
  fc.constant("k".repeat(2_000)),
  fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 }),
);

const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.record({ kind: fc.constant("malformed JSON"), paymentId: goodId, handler: fc.constant("create" as const), body: fc.string({ minLength: 1 }).filter((s) => !isJson(s)) }),
  fc.record({
    kind: fc.constant("not an object"),
    paymentId: goodId,
    handler: fc.constant("create" as const),
    body: fc.oneof(fc.integer(), fc.string(), fc.array(fc.anything(), { maxLength: 3 }), fc.constant(null)).map((v) => JSON.stringify(v)),
  }),
  fc.record({ kind: fc.constant("bad amount"), paymentId: goodId, handler: fc.constant("create" as const), body: badAmount.map((amount) => JSON.stringify({ ...visa, amount })) }),
  fc.record({ kind: fc.constant("bad currency"), paymentId: goodId, handler: fc.constant("create" as const), body: badCurrency.map((currency) => JSON.stringify({ ...visa, currency })) }),
  fc.record({ kind: fc.constant("bad source"), paymentId: goodId, handler: fc.constant("create" as const), body: badSource.map((source) => JSON.stringify({ ...visa, source })) }),
  fc.record({
    kind: fc.constant("unknown field"),
    paymentId: goodId,
    handler: fc.constant("create" as const),
    body: fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !["amount", "currency", "source", "__proto__"].includes(k)).map((k) => JSON.stringify({ ...visa, [k]: 1 })),
  }),
  fc.record({
    kind: fc.constant("missing field"),
    paymentId: goodId,
    handler: fc.constant("create" as const),
    body: fc.constantFrom("amount", "currency", "source").map((drop) => JSON.stringify(Object.fromEntries(Object.entries(visa).filter(([k]) => k !== drop)))),
  }),
  fc.record({
    kind: fc.constant("oversized body"),
    paymentId: goodId,
    handler: fc.constant("create" as const),
    body: fc.integer({ min: 100_000, max: 2_000_000 }).map((size) => JSON.stringify({ ...visa, note: "x".repeat(size) })),
  }),
  fc.record({ kind: fc.constant("odd payment id"), paymentId: oddPaymentId, handler: fc.constant("create" as const), body: fc.constant(JSON.stringify(visa)) }),
  fc.record({
    kind: fc.constant("odd key, bad body"),
    paymentId: goodId,
    handler: fc.constant("create" as const),
    body: badAmount.map((amount) => JSON.stringify({ ...visa, amount })),
    idempotencyKey: oddKey,
  }),
  fc.record({
    kind: fc.constant("bad refund"),
    paymentId: goodId,
    handler: fc.constant("refund" as const),
    body: fc.oneof(
      badAmount.map((amount) => JSON.stringify({ refundId: "r1", amount })),
      oddPaymentId.map((refundId) => JSON.stringify({ refundId, amount: 100 })),
    ),
  }),
);

const file = reliabilityFile("bad input");

describe("case 7: bad input fuzz", () => {
  it(`answers ${COUNT} generated bad requests (seed ${SEED}) with a 4xx and a message, and charges nothing`, async () => {
    const requests = fc.sample(badRequest, { numRuns: COUNT, seed: SEED });
    const failures: string[] = [];
    const byKind = new Map<string, number>();
    await file.report.measure(`${COUNT} generated bad requests`, async () => {
      for (let start = 0; start < requests.length; start += BATCH) {
        await Promise.all(
          requests.slice(start, start + BATCH).map(async (request) => {
            byKind.set(request.kind, (byKind.get(request.kind) ?? 0) + 1);
            const path = `/PaymentService/${encodeURIComponent(request.paymentId)}/${request.handler}`;
            const response = await file.ingress.request(path, undefined, {
              rawBody: request.body,
              idempotencyKey: request.idempotencyKey,
              timeoutMs: 30_000,
            }, PaymentAnswer);
            // restate-server answers a body over the ingress's limit itself, in plain text: "length limit exceeded".
            const refusedAtTheDoor = response.status === 413 && response.text.length > 0;
            const message = typeof response.body?.message === "string" ? response.body.message : refusedAtTheDoor ? response.text : "";
            if (response.status < 400 || response.status >= 500 || message.length === 0) {
              failures.push(`${request.kind}: ${request.handler} ${JSON.stringify(request.paymentId)} ${request.body.slice(0, 80)} -> ${response.status} ${response.text.slice(0, 200)}`);
            }
          }),
        );
      }
      return { requests: COUNT, chargesExpected: 0, chargesSeen: (await file.stack.gatewayClient.listCharges()).length };
    });

    expect(failures.slice(0, 10)).toEqual([]);
    expect(await file.stack.gatewayClient.listCharges()).toEqual([]);
    expect(await file.stack.gatewayClient.listRefunds()).toEqual([]);
    await waitFor("no invocation left retrying", async () => (await unfinishedInvocations(file.stack.adminUrl)).length === 0, { timeoutMs: 30_000 });
    // Every kind of bad input was generated.
    expect(byKind.size).toBe(11);
  }, 240_000);
});
