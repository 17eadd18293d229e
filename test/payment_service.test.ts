// PaymentService end to end: real restate-server, mock gateway, endpoint.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { NO_FAULTS } from "../code/mock_provider.js";
import { REPO_ROOT } from "../orchestration/paths.js";
import { waitFor } from "../orchestration/processes.js";
import type { Payment } from "../code/types.js";
import { auditLedger } from "./support/audit.js";
import { z } from "zod";
import { Ingress, PaymentAnswer } from "./support/ingress.js";
import { succeededCharges, uniqueId, visa, waitForStatus } from "./support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../orchestration/throwaway.js";


let stack: ThrowawayStack;
let ingress: Ingress;
const touched = new Set<string>();

beforeAll(async () => {
  // A lost answer is looked up 1 s later (30 s by default), so the lost-answer cases finish quickly.
  stack = await startThrowawayStack({ endpointEnv: { RECONCILE_AFTER_MS: "1000" } });
  ingress = new Ingress(stack.ingressUrl);
});

afterAll(async () => {
  await stack?.dispose();
});

afterEach(async () => {
  await stack.gatewayClient.setFaults(NO_FAULTS);
});

function newPaymentId(prefix: string): string {
  const id = uniqueId(prefix);
  touched.add(id);
  onTestFailed(() => {
    console.error(`--- service log ---\n${stack.logTail("service")}\n--- gateway log ---\n${stack.logTail("gateway")}`);
  });
  return id;
}


describe("create", () => {
  it("answers a duplicate with the same idempotency key with the identical body and charges once", async () => {
    const id = newPaymentId("dup-key");
    const first = await ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` });
    const second = await ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ paymentId: id, status: "succeeded", amount: 10_000, currency: "USD", refundedAmount: 0 });
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
    expect(second.headers.get("idempotency-expires")).toBeTruthy();
    const charges = await succeededCharges(stack.gatewayClient, id);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.id).toBe(first.body.chargeId);
  });

  it("charges once when the same payment id is created again without a key, one after another and all at once", async () => {
    const id = newPaymentId("dup-nokey");
    const first = await ingress.createPayment(id, visa);
    const again = await ingress.createPayment(id, visa);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => ingress.createPayment(id, visa)));

    expect(first.status).toBe(200);
    for (const response of [again, ...concurrent]) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual(first.body);
    }
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
    expect(await stack.gatewayClient.listCharges({ reference: id })).toHaveLength(1);
  });

  it("refuses the same payment id with different parameters with 422 and charges nothing more", async () => {
    const id = newPaymentId("mismatch");
    expect((await ingress.createPayment(id, visa)).status).toBe(200);
    const different = await ingress.createPayment(id, { ...visa, amount: 5_000 });

    expect(different.status).toBe(422);
    expect(different.body.message).toContain("already exists with different parameters");
    expect(different.body.message).toContain("amount 10000 (now 5000)");
    expect(await stack.gatewayClient.listCharges({ reference: id })).toHaveLength(1);
  });

  it("stores a declined card, answers every duplicate with the same 402 and never calls the provider again", async () => {
    const id = newPaymentId("declined");
    const declinedCard = { ...visa, source: "tok_chargeDeclinedInsufficientFunds" };
    const first = await ingress.createPayment(id, declinedCard, { idempotencyKey: `key-${id}` });
    const sameKey = await ingress.createPayment(id, declinedCard, { idempotencyKey: `key-${id}` });
    const noKey = await ingress.createPayment(id, declinedCard);
    const status = await ingress.getStatus(id);

    expect(first.status).toBe(402);
    expect(first.body.message).toContain("declined");
    expect(first.body.metadata).toMatchObject({ code: "card_declined", declineCode: "insufficient_funds" });
    expect(sameKey.status).toBe(402);
    expect(sameKey.text).toBe(first.text);
    expect(noKey.status).toBe(402);
    expect(noKey.body.message).toBe(first.body.message);
    expect(status.body).toMatchObject({ status: "declined", failure: { code: "card_declined", declineCode: "insufficient_funds" } });

    const attempts = await stack.gatewayClient.listCharges({ reference: id });
    expect(attempts).toHaveLength(1); // the one declined attempt, never retried
    expect(attempts[0]!.status).toBe("failed");
  });

  it("retries transient provider errors until the charge succeeds, charging once", async () => {
    const id = newPaymentId("transient");
    await stack.gatewayClient.setFaults({ failNext: 3 });
    const response = await ingress.createPayment(id, visa);

    expect(response.status).toBe(200);
    expect(response.body.status).toBe("succeeded");
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
    expect((await stack.gatewayClient.setFaults({})).failNext).toBe(0); // all three faults were used up by retries
  });

  it("charges once when the provider charged but its answer was lost", async () => {
    const id = newPaymentId("dropped");
    await stack.gatewayClient.setFaults({ dropNext: 1 });
    const response = await ingress.createPayment(id, visa);

    expect(response.status).toBe(200);
    const charges = await succeededCharges(stack.gatewayClient, id);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.id).toBe(response.body.chargeId);
    expect(charges[0]!.idempotencyKey).toBe(`payment-${id}-charge`);
  });

  it("shows the payment as pending while the charge is in flight", async () => {
    const id = newPaymentId("inflight");
    await stack.gatewayClient.setFaults({ latencyMs: 1_500 });
    const creating = ingress.createPayment(id, visa);
    let seen: Payment | undefined;
    await waitFor(
      "the payment to be stored",
      async () => {
        const status = await ingress.getStatus(id);
        if (status.status === 200) seen = status.body as Payment;
        return seen !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(seen?.status).toBe("pending");
    expect((await creating).body.status).toBe("succeeded");
    expect((await ingress.getStatus(id)).body.status).toBe("succeeded");
  });

  it("answers getStatus while a refund holds the payment's lock; a duplicate create waits its turn and gets the same payment", async () => {
    const id = newPaymentId("locked");
    const created = await ingress.createPayment(id, visa);
    expect(created.status).toBe(200);
    // The provider records the refund, then holds its answer: the refund keeps the object's exclusive lock meanwhile.
    await stack.gatewayClient.setFaults({ answerDelayMs: 3_000 });
    let refundAnswered = false;
    const refunding = ingress.refund(id, { refundId: "r1", amount: 1_000 }).finally(() => {
      refundAnswered = true;
    });
    await waitFor("the refund to reach the provider", async () => (await stack.gatewayClient.listRefunds({ reference: id })).length === 1, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });

    const status = await ingress.getStatus(id);
    expect(refundAnswered).toBe(false); // a shared handler answered while the refund still held the lock
    expect(status.status).toBe(200);
    const duplicate = await ingress.createPayment(id, visa); // exclusive: queued behind the refund
    expect(refundAnswered).toBe(true);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body).toMatchObject({ paymentId: id, status: "succeeded", chargeId: created.body.chargeId, refundedAmount: 1_000 });
    expect((await refunding).status).toBe(200);
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
  });

  it("calls a payment whose provider stayed down unconfirmed, never failed, and a later create finishes it once", async () => {
    const id = newPaymentId("outage");
    await stack.gatewayClient.setFaults({ failNext: 1_000 });
    const unconfirmed = await ingress.createPayment(id, visa);
    expect(unconfirmed.status).toBe(504);
    expect(unconfirmed.body.metadata).toMatchObject({ code: "charge_unconfirmed", paymentId: id });
    expect(unconfirmed.body.message).not.toMatch(/nothing was charged|no charge/i);
    expect((await ingress.getStatus(id)).body).toMatchObject({ status: "unconfirmed", failure: { code: "charge_unconfirmed" } });
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(0);

    await stack.gatewayClient.setFaults({ failNext: 0 });
    const retried = await ingress.createPayment(id, visa);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe("succeeded");
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
  }, 30_000);
});

describe("when every answer is lost", () => {
  // Three payments at once, under one fault: the provider carries out every charge and refund, then cuts the
  // connection before answering, on every attempt. The service's own retries end in `unconfirmed`.
  const alone = uniqueId("lost-alone"); // nobody comes back: the service's follow-up must find the charge
  const forgotten = uniqueId("lost-forgotten"); // the client comes back after the provider forgot the key
  const refunded = uniqueId("lost-refund"); // a refund whose answers are all lost
  let answers: Record<string, Awaited<ReturnType<Ingress["createPayment"]>>>;

  beforeAll(async () => {
    for (const id of [alone, forgotten, refunded]) touched.add(id);
    expect((await ingress.createPayment(refunded, visa)).status).toBe(200);
    await stack.gatewayClient.setFaults({ dropNext: 1_000_000 });
    const [a, f, r] = await Promise.all([
      ingress.createPayment(alone, visa),
      ingress.createPayment(forgotten, visa),
      ingress.refund(refunded, { refundId: "r1", amount: 2_500 }),
    ]);
    answers = { alone: a, forgotten: f, refund: r };
  }, 60_000);

  afterAll(async () => {
    await stack.gatewayClient.setFaults(NO_FAULTS);
  });

  it("answers unconfirmed (a 504 that says what to do), never 'nothing was charged'", () => {
    for (const answer of [answers.alone!, answers.forgotten!]) {
      expect(answer.status).toBe(504);
      expect(answer.body.metadata).toMatchObject({ code: "charge_unconfirmed" });
      expect(answer.body.message).toContain("getStatus");
      expect(answer.body.message).not.toMatch(/nothing was charged|no charge/i);
    }
    expect(answers.refund!.status).toBe(504);
    expect(answers.refund!.body.metadata).toMatchObject({ code: "refund_unconfirmed", refundId: "r1" });
  });

  it("finds the charge by itself, with no client retry: succeeded, with the ledger's one charge", async () => {
    await waitForStatus(ingress, alone, "succeeded", 30_000);
    const charges = await succeededCharges(stack.gatewayClient, alone);
    expect(charges).toHaveLength(1);
    expect((await ingress.getStatus(alone)).body).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id, failure: null });
  }, 40_000);

  it("charges once when the client retries after the provider forgot the key: the create looks the charge up first", async () => {
    await stack.gatewayClient.setFaults({ dropNext: 0, keyRetentionMs: 0 });
    const retried = await ingress.createPayment(forgotten, visa);
    expect(retried.status).toBe(200);
    const charges = await succeededCharges(stack.gatewayClient, forgotten);
    expect(charges).toHaveLength(1);
    expect(retried.body).toMatchObject({ status: "succeeded", chargeId: charges[0]!.id });
  }, 40_000);

  it("records a refund whose every answer was lost, once", async () => {
    await waitFor("the refund to be recorded", async () => (await ingress.getStatus(refunded)).body?.refundedAmount === 2_500, { timeoutMs: 30_000 });
    const payment = (await ingress.getStatus(refunded)).body as Payment;
    const ledger = await stack.gatewayClient.listRefunds({ reference: refunded });
    expect(ledger).toHaveLength(1);
    expect(payment.refunds).toEqual([expect.objectContaining({ refundId: "r1", amount: 2_500, status: "succeeded", gatewayRefundId: ledger[0]!.id })]);
    const again = await ingress.refund(refunded, { refundId: "r1", amount: 2_500 });
    expect(again.status).toBe(200);
    expect(await stack.gatewayClient.listRefunds({ reference: refunded })).toHaveLength(1);
  }, 40_000);
});

describe("send, attach and output", () => {
  it("accepts a /send once and answers the duplicate PreviouslyAccepted with the same invocation", async () => {
    /** What the ingress answers a `/send`: the invocation it started, or the one it already had for the key. */
    const SendAnswer = z.object({ invocationId: z.string(), status: z.enum(["Accepted", "PreviouslyAccepted"]) });
    const id = newPaymentId("send");
    const first = await ingress.request(`/PaymentService/${id}/create/send`, visa, { idempotencyKey: `key-${id}` }, SendAnswer);
    const second = await ingress.request(`/PaymentService/${id}/create/send`, visa, { idempotencyKey: `key-${id}` }, SendAnswer);

    expect(first.status).toBe(202);
    expect(first.body.status).toBe("Accepted");
    expect(second.body.status).toBe("PreviouslyAccepted");
    expect(second.body.invocationId).toBe(first.body.invocationId);

    const attached = await ingress.request(`/restate/attach/${first.body.invocationId}`, undefined, { method: "GET" }, PaymentAnswer);
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({ paymentId: id, status: "succeeded" });
    const output = await ingress.request(`/restate/invocation/PaymentService/${id}/create/key-${id}/output`, undefined, { method: "GET" }, PaymentAnswer);
    expect(output.status).toBe(200);
    expect(output.text).toBe(attached.text);
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
  });
});

describe("refund", () => {
  it("refunds once per refund id and never more than was charged", async () => {
    const id = newPaymentId("refund");
    await ingress.createPayment(id, visa);
    const first = await ingress.refund(id, { refundId: "r1", amount: 2_500 });
    const duplicate = await ingress.refund(id, { refundId: "r1", amount: 2_500 });
    const reused = await ingress.refund(id, { refundId: "r1", amount: 3_000 });
    const tooMuch = await ingress.refund(id, { refundId: "r2", amount: 7_501 });
    const rest = await ingress.refund(id, { refundId: "r3", amount: 7_500 });
    const nothingLeft = await ingress.refund(id, { refundId: "r4", amount: 1 });

    expect(first.status).toBe(200);
    expect(first.body.refundedAmount).toBe(2_500);
    expect(duplicate.body).toEqual(first.body);
    expect(reused.status).toBe(422);
    expect(reused.body.message).toContain("cannot be reused for a different amount");
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.message).toContain("7500 of 10000 USD");
    expect(rest.status).toBe(200);
    expect(rest.body.refundedAmount).toBe(10_000);
    expect(nothingLeft.status).toBe(422);

    const refunds = await stack.gatewayClient.listRefunds({ reference: id });
    expect(refunds.map((r) => r.amount).sort()).toEqual([2_500, 7_500]);
  });

  it("refuses to refund a payment that does not exist or did not succeed", async () => {
    const missing = await ingress.refund(uniqueId("missing"), { refundId: "r1", amount: 100 });
    expect(missing.status).toBe(404);

    const id = newPaymentId("refund-declined");
    await ingress.createPayment(id, { ...visa, source: "tok_chargeDeclined" });
    const refused = await ingress.refund(id, { refundId: "r1", amount: 100 });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("only a succeeded payment can be refunded");
    expect(await stack.gatewayClient.listRefunds({ reference: id })).toHaveLength(0);
  });
});

describe("bad input", () => {
  const cases: [string, { path?: string; body?: unknown; raw?: string }, RegExp][] = [
    ["negative amount", { body: { ...visa, amount: -5 } }, /amount must be greater than zero/],
    ["zero amount", { body: { ...visa, amount: 0 } }, /amount must be greater than zero/],
    ["fractional amount", { body: { ...visa, amount: 10.5 } }, /whole number of minor units/],
    ["huge amount", { body: { ...visa, amount: 1e12 } }, /at most 99999999/],
    ["amount as a string", { body: { ...visa, amount: "100" } }, /amount must be a number/],
    ["lower-case currency", { body: { ...visa, currency: "usd" } }, /ISO 4217/],
    ["unknown currency", { body: { ...visa, currency: "XYZ" } }, /not an ISO 4217 currency code/],
    ["missing source", { body: { amount: 100, currency: "USD" } }, /source must be a card token/],
    ["unknown field", { body: { ...visa, tip: 5 } }, /Unrecognized key: "tip"/],
    ["an array", { body: [1, 2] }, /expected a JSON object/],
    ["malformed JSON", { raw: '{"amount": ' }, /JSON/],
    ["empty body", { raw: "" }, /Empty body/],
    ["a slash in the payment id", { path: "/PaymentService/a%2Fb/create", body: visa }, /Invalid payment id 'a\/b'/],
    ["unicode in the payment id", { path: `/PaymentService/${encodeURIComponent("zahlung-ü")}/create`, body: visa }, /Invalid payment id/],
  ];

  it.each(cases)("rejects %s with a 400 and a message, charging nothing", async (_name, input, message) => {
    const id = newPaymentId("bad");
    const response = await ingress.request(input.path ?? `/PaymentService/${id}/create`, input.body, {
      rawBody: input.raw,
    }, PaymentAnswer);
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(message);
    expect(await stack.gatewayClient.listCharges({ reference: id })).toHaveLength(0);
  });

  it("answers an unknown card token with a stored 400 from the provider", async () => {
    const id = newPaymentId("bad-token");
    const response = await ingress.createPayment(id, { ...visa, source: "tok_doesNotExist" });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("No such token");
    expect(response.body.message).toContain("new payment id");
    expect((await ingress.getStatus(id)).body).toMatchObject({ status: "failed", failure: { code: "invalid_request" } });
  });

  it("answers a status request for an unknown payment with 404", async () => {
    const response = await ingress.getStatus(uniqueId("never-created"));
    expect(response.status).toBe(404);
    expect(response.body.message).toContain("No payment with id");
  });
});

describe("the typed client example", () => {
  it("runs against the stack: same key, same charge; refund by /send; decline as HttpCallError", async () => {
    const id = newPaymentId("client");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "code/client.ts", id, "4200"], {
      cwd: REPO_ROOT,
      env: { ...process.env, INGRESS_URL: stack.ingressUrl },
      timeout: 60_000,
    });
    expect(stdout).toContain(`create ${id}: succeeded`);
    expect(stdout).toContain("(the same charge)");
    expect(stdout).toContain("refunded 1000 of 4200");
    expect(stdout).toContain("declined card: HTTP 402");
    expect(await succeededCharges(stack.gatewayClient, id)).toHaveLength(1);
    expect(await stack.gatewayClient.listRefunds({ reference: id })).toHaveLength(1);
  });
});

describe("ledger audit", () => {
  it("finds every payment of this file charged at most once and consistent with the service", async () => {
    const report = await auditLedger(stack.gatewayClient, ingress, touched);
    expect(report.violations).toEqual([]);
    expect(report.successfulCharges).toBeGreaterThan(5);
  });
});
