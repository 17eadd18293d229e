// The pure rules of a payment, shared by the Restate service and its hand-rolled
// peer: what a provider's answer makes of a payment, and what a caller is told
// about a payment that did not succeed. No I/O here: each rule is a function of
// its inputs (test/payment_outcomes.test.ts).
import type { ProviderOutcome } from "./provider_client.js";
import type { Charge, CreatePaymentRequest, Payment, PaymentFailure } from "./types.js";

export type ChargeOutcome = Pick<Payment, "status" | "chargeId" | "failure">;

/** What one charge call made of the payment: a decline keeps its charge id and decline code. */
export function chargeOutcome(result: ProviderOutcome<Pick<Charge, "id">>): ChargeOutcome {
  switch (result.outcome) {
    case "done":
      return { status: "succeeded", chargeId: result.value.id, failure: null };
    case "rejected": {
      const { code, message, declineCode, chargeId } = result.rejection;
      const declined = code === "card_declined";
      const failure: PaymentFailure = { code: declined ? "card_declined" : "invalid_request", message, ...(declineCode ? { declineCode } : {}) };
      return { status: declined ? "declined" : "failed", chargeId: chargeId ?? null, failure };
    }
    case "unavailable":
      return unconfirmedCharge(result.message);
  }
}

/** The outcome of a charge whose answer never came: the charge may or may not have happened. */
export function unconfirmedCharge(reason: string): ChargeOutcome {
  return {
    status: "unconfirmed",
    chargeId: null,
    failure: {
      code: "charge_unconfirmed",
      message: `The payment provider did not answer (${reason}); the charge may or may not have happened. The service is finding out.`,
    },
  };
}

/** The provider holds no charge for the payment, and it is too old to charge now: failed, on the provider's word. */
export function notCharged(createdAt: string): ChargeOutcome {
  return {
    status: "failed",
    chargeId: null,
    failure: {
      code: "not_charged",
      message:
        `The payment provider never confirmed the charge, and it holds no charge for this payment. ` +
        `Nothing was charged; the payment is too old to charge now (created ${createdAt}).`,
    },
  };
}

/** A charge found in the provider's ledger is the truth, whatever our own attempts heard. */
export function adoptCharge(found: Charge): ChargeOutcome {
  if (found.status === "succeeded") return { status: "succeeded", chargeId: found.id, failure: null };
  const failure: PaymentFailure = {
    code: "card_declined",
    message: found.failureMessage ?? "The card was declined.",
    ...(found.declineCode ? { declineCode: found.declineCode } : {}),
  };
  return { status: "declined", chargeId: found.id, failure };
}

/**
 * A charge may be out at the provider with its outcome unknown: `pending` (a
 * request or invocation stopped mid-charge), `unconfirmed`, or data from before
 * `unconfirmed` existed (`failed` / `gateway_unavailable`).
 */
export function chargeMayBeOut(payment: Payment): boolean {
  return payment.status === "pending" || payment.status === "unconfirmed" || payment.failure?.code === "gateway_unavailable";
}

/** An answer other than the payment itself: the HTTP status, the message, and the metadata the caller can act on. */
export interface Refusal {
  status: number;
  message: string;
  metadata?: Record<string, string>;
}

/**
 * Why a payment that did not succeed is not returned: the same refusal every
 * time for the same stored payment. `retryAdvice` says how to ask again about
 * an unconfirmed payment, which differs between the two services.
 */
export function paymentRefusal(payment: Payment, retryAdvice: string): Refusal | undefined {
  const failure = payment.failure;
  if (payment.status === "succeeded" || payment.status === "pending" || failure === null) return undefined;
  const metadata = { paymentId: payment.paymentId, code: failure.code, ...(failure.declineCode ? { declineCode: failure.declineCode } : {}) };
  switch (failure.code) {
    case "card_declined":
      return { status: 402, message: `Payment '${payment.paymentId}' was declined: ${failure.message} (${failure.declineCode ?? "card_declined"})`, metadata };
    case "charge_unconfirmed":
      return {
        status: 504,
        message:
          `Payment '${payment.paymentId}' is unconfirmed: ${failure.message} Do not treat it as failed. ` +
          `Poll GET /PaymentService/${payment.paymentId}/getStatus, or ${retryAdvice}`,
        metadata,
      };
    case "not_charged":
      return { status: 502, message: `Payment '${payment.paymentId}' failed: ${failure.message} Use a new payment id to try again.`, metadata };
    default:
      return {
        status: 400,
        message:
          `Payment '${payment.paymentId}' failed: the payment provider refused it: ${failure.message} ` +
          `Nothing was charged, and this payment id is used up: create the payment again under a new payment id.`,
        metadata,
      };
  }
}

/** A refund whose provider answer was lost: refused with 504 until it is looked up. */
export function unconfirmedRefundRefusal(paymentId: string, refundId: string, retryAdvice: string): Refusal {
  return {
    status: 504,
    message:
      `Refund '${refundId}' of payment '${paymentId}' is unconfirmed: the payment provider did not answer, so the refund may or may not ` +
      `have happened. The service is finding out by itself; poll GET /PaymentService/${paymentId}/getStatus, ` +
      `or ${retryAdvice}`,
    metadata: { paymentId, code: "refund_unconfirmed", refundId },
  };
}

/** Same payment id, other parameters: refused (422) with the differences named. */
export function differentParameters(stored: Payment, request: CreatePaymentRequest): Refusal | undefined {
  const differences = (["amount", "currency", "source"] as const)
    .filter((field) => stored[field] !== request[field])
    .map((field) => `${field} ${JSON.stringify(stored[field])} (now ${JSON.stringify(request[field])})`);
  if (differences.length === 0) return undefined;
  return {
    status: 422,
    message:
      `Payment '${stored.paymentId}' already exists with different parameters: ${differences.join(", ")}. ` +
      `A payment id can only be used with the parameters it was first created with; use a new payment id for a different payment.`,
    metadata: { code: "parameters_differ" },
  };
}

export function paymentNotFound(paymentId: string): Refusal {
  return {
    status: 404,
    message: `No payment with id '${paymentId}'. Create it first with POST /PaymentService/${paymentId}/create.`,
    metadata: { code: "payment_not_found" },
  };
}
