// PaymentService: a Restate virtual object, one instance per payment id.
//
// Three layers keep a payment from being charged twice:
//  1. the object key: Restate runs one exclusive handler per payment id at a
//     time, and the payment stored in its state answers every later `create`;
//  2. `ctx.run`: the charge is journaled, so a retry after a crash replays the
//     recorded answer instead of calling the provider again;
//  3. the provider's idempotency key, derived from the payment id, covers the
//     one gap the journal cannot: a crash after the provider charged but before
//     the answer was journaled.
// Callers may add an `idempotency-key` header on top: Restate then also
// deduplicates whole invocations and replays their stored result.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, type RunOptions, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient, GatewayRejection } from "./gateway_client.js";
import {
  CreatePaymentRequest,
  type Payment,
  type PaymentFailure,
  PaymentId,
  RefundRequest,
  portsFromEnv,
} from "./types.js";

type PaymentState = { payment: Payment };

const gateway = new GatewayClient(process.env.GATEWAY_URL ?? `http://127.0.0.1:${portsFromEnv().gateway}`);

/**
 * Retries of one call to the provider (5xx, timeouts, cut connections): 8
 * attempts, 100 ms doubling to at most 2 s, about 7 s in all. Then the call is
 * given up and the payment stored as failed with `gateway_unavailable`.
 */
export const PROVIDER_RETRIES = {
  maxRetryAttempts: 8,
  initialRetryInterval: 100,
  retryIntervalFactor: 2,
  maxRetryInterval: 2_000,
} satisfies RunOptions<unknown>;

/** The provider deduplicates on these keys: the same payment id always maps to the same charge. */
export const chargeIdempotencyKey = (paymentId: string) => `payment-${paymentId}-charge`;
export const refundIdempotencyKey = (paymentId: string, refundId: string) => `payment-${paymentId}-refund-${refundId}`;

export const paymentService = restate.object({
  name: "PaymentService",
  description: "One payment per key: charged at most once, refunded at most what was charged.",
  handlers: {
    create: restate.handlers.object.shared(
      {
        input: restate.serde.schema(CreatePaymentRequest),
        description: "Create and charge the payment (idempotent per payment id).",
        // A create waiting for its charge holds one of restate-server's invocation slots (1,000 by
        // default). When a burst of waiting creates takes them all, the charges cannot start: after
        // this long the waiting create suspends, giving its slot back, and resumes with the answer.
        inactivityTimeout: 1_000,
      },
      async (ctx: ObjectSharedContext<PaymentState>, request: CreatePaymentRequest): Promise<Payment> => {
        const paymentId = validPaymentId(ctx.key);
        const stored = await ctx.get("payment");
        if (stored) {
          refuseDifferentParameters(stored, request);
          if (!mayRetryCharge(stored)) return answer(stored);
        }
        // Only an exclusive handler may charge and write the payment: a duplicate of a settled
        // payment is answered above without waiting for the object's lock; anything else queues.
        return ctx.objectClient(paymentService, paymentId).charge(request);
      },
    ),

    charge: restate.handlers.object.exclusive(
      {
        input: restate.serde.schema(CreatePaymentRequest),
        description: "Charge the payment once, under the object's lock (called by create).",
        ingressPrivate: true,
      },
      async (ctx: ObjectContext<PaymentState>, request: CreatePaymentRequest): Promise<Payment> => {
        const paymentId = validPaymentId(ctx.key);
        // Looked at again under the lock: another caller may have settled it since create read it.
        const stored = await ctx.get("payment");
        if (stored) {
          refuseDifferentParameters(stored, request);
          if (!mayRetryCharge(stored)) return answer(stored);
        }

        const startedAt = await now(ctx);
        const pending: Payment = {
          ...(stored ?? newPayment(paymentId, request, startedAt)),
          status: "pending",
          failure: null,
          updatedAt: startedAt,
        };
        ctx.set("payment", pending); // visible to getStatus while the charge is in flight

        const result = await callProvider(ctx, "charge", () =>
          gateway.charge(
            { amount: request.amount, currency: request.currency, source: request.source, reference: paymentId },
            chargeIdempotencyKey(paymentId),
          ),
        );
        const settled: Payment = { ...pending, ...chargeOutcome(result), updatedAt: result.at ?? (await now(ctx)) };
        ctx.set("payment", settled);
        return answer(settled);
      },
    ),

    refund: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RefundRequest), description: "Refund part or all of the payment (idempotent per refundId)." },
      async (ctx: ObjectContext<PaymentState>, request: RefundRequest): Promise<Payment> => {
        const paymentId = validPaymentId(ctx.key);
        const payment = await ctx.get("payment");
        if (!payment) throw notFound(paymentId);

        const earlier = payment.refunds.find((r) => r.refundId === request.refundId);
        if (earlier) {
          if (earlier.amount !== request.amount) {
            throw new TerminalError(
              `Refund '${request.refundId}' of payment '${paymentId}' was already made for ${earlier.amount}; ` +
                `a refundId cannot be reused for a different amount (${request.amount}).`,
              { errorCode: 422 },
            );
          }
          return payment;
        }
        if (payment.status !== "succeeded" || payment.chargeId === null) {
          throw new TerminalError(`Payment '${paymentId}' is ${payment.status}; only a succeeded payment can be refunded.`, {
            errorCode: 409,
          });
        }
        const refundable = payment.amount - payment.refundedAmount;
        if (request.amount > refundable) {
          throw new TerminalError(
            `A refund of ${request.amount} exceeds what is left to refund on payment '${paymentId}' ` +
              `(${refundable} of ${payment.amount} ${payment.currency}).`,
            { errorCode: 422 },
          );
        }

        const chargeId = payment.chargeId;
        const result = await callProvider(ctx, "refund", () =>
          gateway.refund(
            { charge: chargeId, amount: request.amount, reference: paymentId },
            refundIdempotencyKey(paymentId, request.refundId),
          ),
        );
        if (result.outcome === "unavailable") {
          throw new TerminalError(
            `The payment provider is unavailable (${result.message}). Nothing was recorded; ` +
              `retry later with the same refundId: it cannot refund twice.`,
            { errorCode: 502 },
          );
        }
        if (result.outcome === "rejected") {
          throw new TerminalError(`The payment provider refused the refund: ${result.message}`, { errorCode: 422 });
        }
        const refundedAt = result.at;
        const refunded: Payment = {
          ...payment,
          refundedAmount: payment.refundedAmount + request.amount,
          refunds: [
            ...payment.refunds,
            { refundId: request.refundId, amount: request.amount, gatewayRefundId: result.value.id, createdAt: refundedAt },
          ],
          updatedAt: refundedAt,
        };
        ctx.set("payment", refunded);
        return refunded;
      },
    ),

    getStatus: restate.handlers.object.shared(
      { description: "The payment as stored; answers while a create is in flight." },
      async (ctx: ObjectSharedContext<PaymentState>): Promise<Payment> => {
        const paymentId = validPaymentId(ctx.key);
        const payment = await ctx.get("payment");
        if (!payment) throw notFound(paymentId);
        return payment;
      },
    ),
  },
  options: {
    // Infrastructure failures (the endpoint crashed, a bug threw): retry, then
    // pause for an operator instead of giving up on a payment half-way.
    retryPolicy: { initialInterval: 100, exponentiationFactor: 2, maxInterval: 5_000, maxAttempts: 100, onMaxAttempts: "pause" },
  },
});

/** What clients import to call the service with type checking (see code/client.ts). */
export type PaymentService = typeof paymentService;

// ---------------------------------------------------------------------------

/** `at`: when the provider answered, read inside the journaled step, so a retry sees the same time. */
type ProviderResult<T> =
  | { outcome: "done"; value: T; at: string }
  | { outcome: "rejected"; status: number; code: string; declineCode?: string; message: string; chargeId?: string; at: string }
  | { outcome: "unavailable"; message: string; at?: undefined };

/**
 * One journaled call to the provider. Rejections (declines, bad requests) are
 * journaled as values, so they are never retried; anything else is retried
 * within PROVIDER_RETRIES and then reported as `unavailable`.
 */
async function callProvider<T>(ctx: ObjectContext<PaymentState>, name: string, call: () => Promise<T>): Promise<ProviderResult<T>> {
  try {
    return await ctx.run<ProviderResult<T>>(
      name,
      async () => {
        try {
          const value = await call();
          return { outcome: "done", value, at: new Date().toISOString() };
        } catch (error) {
          if (!(error instanceof GatewayRejection)) throw error; // retried by Restate
          const body = error.body as GatewayRejection["body"] & { charge?: string };
          return {
            outcome: "rejected",
            status: error.status,
            code: body.error.code,
            declineCode: body.error.declineCode,
            message: body.error.message,
            chargeId: body.charge,
            at: new Date().toISOString(),
          };
        }
      },
      PROVIDER_RETRIES,
    );
  } catch (error) {
    if (error instanceof TerminalError && !(error instanceof restate.CancelledError)) {
      return { outcome: "unavailable", message: error.message };
    }
    throw error;
  }
}

function chargeOutcome(result: ProviderResult<{ id: string }>): Pick<Payment, "status" | "chargeId" | "failure"> {
  switch (result.outcome) {
    case "done":
      return { status: "succeeded", chargeId: result.value.id, failure: null };
    case "rejected": {
      const declined = result.code === "card_declined";
      const failure: PaymentFailure = {
        code: declined ? "card_declined" : "invalid_request",
        message: result.message,
        ...(result.declineCode ? { declineCode: result.declineCode } : {}),
      };
      return { status: declined ? "declined" : "failed", chargeId: result.chargeId ?? null, failure };
    }
    case "unavailable":
      return {
        status: "failed",
        chargeId: null,
        failure: {
          code: "gateway_unavailable",
          message: `The payment provider did not answer after ${PROVIDER_RETRIES.maxRetryAttempts} attempts (${result.message}).`,
        },
      };
  }
}

/**
 * The stored payment as the answer to `create`: the payment itself, or the
 * same terminal error every time for a payment that did not succeed.
 */
function answer(payment: Payment): Payment {
  const failure = payment.failure;
  if (payment.status === "succeeded" || payment.status === "pending" || failure === null) return payment;
  const metadata = { paymentId: payment.paymentId, code: failure.code, ...(failure.declineCode ? { declineCode: failure.declineCode } : {}) };
  switch (failure.code) {
    case "card_declined":
      return raise(`Payment '${payment.paymentId}' was declined: ${failure.message} (${failure.declineCode ?? "card_declined"})`, 402, metadata);
    case "gateway_unavailable":
      return raise(
        `Payment '${payment.paymentId}' failed: ${failure.message} No charge was confirmed. ` +
          `Calling create again for this payment id retries it with the same provider key, so it cannot charge twice.`,
        502,
        metadata,
      );
    default:
      return raise(`Payment '${payment.paymentId}' failed: the payment provider refused it: ${failure.message}`, 400, metadata);
  }
}

function raise(message: string, errorCode: number, metadata: Record<string, string>): never {
  throw new TerminalError(message, { errorCode, metadata });
}

/** A failed charge whose outcome is unknown may be retried: the provider key makes it safe. */
function mayRetryCharge(payment: Payment): boolean {
  return payment.status === "pending" || (payment.status === "failed" && payment.failure?.code === "gateway_unavailable");
}

function refuseDifferentParameters(stored: Payment, request: CreatePaymentRequest): void {
  const differences = (["amount", "currency", "source"] as const)
    .filter((field) => stored[field] !== request[field])
    .map((field) => `${field} ${JSON.stringify(stored[field])} (now ${JSON.stringify(request[field])})`);
  if (differences.length === 0) return;
  throw new TerminalError(
    `Payment '${stored.paymentId}' already exists with different parameters: ${differences.join(", ")}. ` +
      `A payment id can only be used with the parameters it was first created with; use a new payment id for a different payment.`,
    { errorCode: 422 },
  );
}

function newPayment(paymentId: string, request: CreatePaymentRequest, createdAt: string): Payment {
  return {
    paymentId,
    status: "pending",
    amount: request.amount,
    currency: request.currency,
    source: request.source,
    chargeId: null,
    refundedAmount: 0,
    refunds: [],
    failure: null,
    createdAt,
    updatedAt: createdAt,
  };
}

function validPaymentId(key: string): string {
  const parsed = PaymentId.safeParse(key);
  if (!parsed.success) throw new TerminalError(`Invalid payment id '${key}': ${parsed.error.issues[0]?.message}`, { errorCode: 400 });
  return parsed.data;
}

function notFound(paymentId: string): TerminalError {
  return new TerminalError(`No payment with id '${paymentId}'. Create it first with POST /PaymentService/${paymentId}/create.`, {
    errorCode: 404,
  });
}

/** The journaled clock: a retry sees the same time as the first attempt. */
async function now(ctx: ObjectContext<PaymentState>): Promise<string> {
  return ctx.date.toJSON();
}
