// The pure rules both services share, without a server: how a provider's answer
// is sorted (code/provider_client.ts), what it makes of a payment, and what the
// caller is told (code/payment_outcomes.ts); and the peer's request fingerprint.
import { describe, expect, it } from "vitest";
import { fingerprint } from "../handrolled/idempotency_keys.js";
import {
  adoptCharge,
  chargeMayBeOut,
  chargeOutcome,
  differentParameters,
  notCharged,
  paymentRefusal,
  unconfirmedCharge,
} from "../code/payment_outcomes.js";
import { outcomeOf } from "../code/provider_client.js";
import type { Charge, Payment } from "../code/types.js";

const payment: Payment = {
  paymentId: "pay-1",
  status: "succeeded",
  amount: 1_000,
  currency: "USD",
  source: "tok_visa",
  chargeId: "ch_1",
  refundedAmount: 0,
  refunds: [],
  failure: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

const decline = JSON.stringify({
  error: { type: "card_error", code: "card_declined", declineCode: "expired_card", message: "Your card has expired." },
  charge: "ch_declined",
});

describe("sorting a provider's answer (retryability, in one place)", () => {
  it("a 2xx is done, a 4xx rejected with its typed fields, 5xx / 409 / 429 unavailable", () => {
    expect(outcomeOf("gw", 200, '{"id":"ch_1"}')).toEqual({ outcome: "done", value: { id: "ch_1" } });
    expect(outcomeOf("gw", 402, decline)).toEqual({
      outcome: "rejected",
      rejection: { provider: "gw", status: 402, type: "card_error", code: "card_declined", declineCode: "expired_card", chargeId: "ch_declined", message: "Your card has expired." },
    });
    for (const status of [500, 503, 409, 429]) expect(outcomeOf("gw", status, decline).outcome).toBe("unavailable");
    expect(outcomeOf("gw", 400, '{"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"bad"}}')).toMatchObject({
      outcome: "rejected",
      rejection: { status: 400, code: "parameter_invalid" },
    });
  });

  it("a body that is not the provider's error shape still becomes a rejection with the status as its code", () => {
    expect(outcomeOf("gw", 404, "<html>not found</html>")).toEqual({
      outcome: "rejected",
      rejection: { provider: "gw", status: 404, type: "api_error", code: "http_404", message: "<html>not found</html>" },
    });
  });
});

describe("what a charge's answer makes of a payment", () => {
  it("done: succeeded with the charge id", () => {
    expect(chargeOutcome({ outcome: "done", value: { id: "ch_9" } })).toEqual({ status: "succeeded", chargeId: "ch_9", failure: null });
  });

  it("a decline: declined, keeping the declined charge and its decline code; any other refusal: failed, invalid_request", () => {
    const declined = outcomeOf<Charge>("gw", 402, decline);
    expect(chargeOutcome(declined)).toEqual({
      status: "declined",
      chargeId: "ch_declined",
      failure: { code: "card_declined", declineCode: "expired_card", message: "Your card has expired." },
    });
    const refused = outcomeOf<Charge>("gw", 400, '{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such token"}}');
    expect(chargeOutcome(refused)).toEqual({ status: "failed", chargeId: null, failure: { code: "invalid_request", message: "No such token" } });
  });

  it("no answer: unconfirmed, never failed, and a charge may be out", () => {
    const outcome = chargeOutcome({ outcome: "unavailable", message: "timed out" });
    expect(outcome).toEqual(unconfirmedCharge("timed out"));
    expect(outcome.status).toBe("unconfirmed");
    expect(chargeMayBeOut({ ...payment, ...outcome })).toBe(true);
    expect(chargeMayBeOut({ ...payment, status: "pending", chargeId: null })).toBe(true);
    expect(chargeMayBeOut(payment)).toBe(false);
    expect(chargeMayBeOut({ ...payment, ...notCharged(payment.createdAt) })).toBe(false);
  });

  it("a charge found in the ledger is adopted as it is", () => {
    const found: Charge = {
      id: "ch_found",
      object: "charge",
      amount: 1_000,
      currency: "USD",
      source: "tok_chargeDeclined",
      reference: "pay-1",
      status: "failed",
      failureCode: "card_declined",
      declineCode: "generic_decline",
      failureMessage: "Your card was declined.",
      amountRefunded: 0,
      idempotencyKey: null,
      created: payment.createdAt,
    };
    expect(adoptCharge(found)).toEqual({
      status: "declined",
      chargeId: "ch_found",
      failure: { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." },
    });
    expect(adoptCharge({ ...found, status: "succeeded" })).toEqual({ status: "succeeded", chargeId: "ch_found", failure: null });
  });
});

describe("what the caller is told", () => {
  it("nothing to refuse for a succeeded or pending payment; 402, 504, 502, 400 for the others, with the code in metadata", () => {
    expect(paymentRefusal(payment, "retry.")).toBeUndefined();
    expect(paymentRefusal({ ...payment, status: "pending", chargeId: null }, "retry.")).toBeUndefined();
    const refusals = [
      chargeOutcome(outcomeOf<Charge>("gw", 402, decline)),
      unconfirmedCharge("timed out"),
      notCharged(payment.createdAt),
      chargeOutcome(outcomeOf<Charge>("gw", 400, '{"error":{"type":"invalid_request_error","code":"x","message":"bad"}}')),
    ].map((outcome) => paymentRefusal({ ...payment, ...outcome }, "call create again."));
    expect(refusals.map((r) => r?.status)).toEqual([402, 504, 502, 400]);
    expect(refusals.map((r) => r?.metadata?.code)).toEqual(["card_declined", "charge_unconfirmed", "not_charged", "invalid_request"]);
    expect(refusals[0]?.metadata?.declineCode).toBe("expired_card");
    expect(refusals[1]?.message).toMatch(/Do not treat it as failed\. Poll GET \/PaymentService\/pay-1\/getStatus, or call create again\.$/);
  });

  it("the same payment id with other parameters is refused with 422, naming each difference", () => {
    expect(differentParameters(payment, { amount: 1_000, currency: "USD", source: "tok_visa" })).toBeUndefined();
    const refusal = differentParameters(payment, { amount: 2_000, currency: "EUR", source: "tok_visa" });
    expect(refusal?.status).toBe(422);
    expect(refusal?.message).toContain('amount 1000 (now 2000), currency "USD" (now "EUR")');
  });
});

describe("the peer's request fingerprint", () => {
  it("is the same for the same path and parameters, and differs when either differs", () => {
    const body = { amount: 1_000, currency: "USD", source: "tok_visa" };
    expect(fingerprint("/PaymentService/p1/create", body)).toBe(fingerprint("/PaymentService/p1/create", { ...body }));
    expect(fingerprint("/PaymentService/p1/create", body)).not.toBe(fingerprint("/PaymentService/p2/create", body));
    expect(fingerprint("/PaymentService/p1/create", body)).not.toBe(fingerprint("/PaymentService/p1/create", { ...body, amount: 1_001 }));
  });
});
