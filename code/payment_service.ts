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
// And one rule keeps it honest when the provider's answer never comes: the
// payment is `unconfirmed`, never "failed, nothing charged", until the service
// has looked the charge up at the provider (`reconcile`).
// Callers may add an `idempotency-key` header on top: Restate then also
// deduplicates whole invocations and replays their stored result.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, type RunOptions, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "./gateway_client.js";
import {
  type Refusal,
  adoptCharge,
  chargeMayBeOut,
  chargeOutcome,
  differentParameters,
  notCharged,
  paymentNotFound,
  paymentRefusal,
  unconfirmedCharge,
  unconfirmedRefundRefusal,
} from "./payment_outcomes.js";
import { type ProviderOutcome, ProviderUnavailable } from "./provider_client.js";
import {
  CreatePaymentRequest,
  type GatewayRefund,
  Payment,
  PaymentId,
  type RefundRecord,
  RefundRequest,
  reconcileSettingsFromEnv,
} from "./types.js";
import { gatewayUrlFromEnv } from "./config.js";

type PaymentState = {
  payment: Payment;
  /** Set while a `reconcile` follow-up is scheduled, so retries of `create` do not schedule more. */
  followUpScheduled: boolean;
};
type PaymentContext = ObjectContext<PaymentState>;

const gateway = new GatewayClient(gatewayUrlFromEnv());
const settings = reconcileSettingsFromEnv();

/**
 * Retries of one call to the provider (5xx, timeouts, cut connections): 8
 * attempts, 100 ms doubling to at most 2 s between them (about 7 s of waiting),
 * each attempt given up after the client's 10 s timeout: about 87 s at worst.
 * Then the outcome is unknown, and the payment (or refund) is `unconfirmed`.
 */
export const PROVIDER_RETRIES = {
  maxRetryAttempts: 8,
  initialRetryInterval: 100,
  retryIntervalFactor: 2,
  maxRetryInterval: 2_000,
} satisfies RunOptions<unknown>;

/**
 * The provider deduplicates on these keys: the same payment id always maps to the same charge.
 * `/` cannot occur in an id, so no two (payment, refund) pairs share a key.
 */
export const chargeIdempotencyKey = (paymentId: string) => `payment-${paymentId}-charge`;
export const refundIdempotencyKey = (paymentId: string, refundId: string) => `payment-${paymentId}/refund-${refundId}`;

/**
 * Infrastructure failures (the endpoint crashed, a bug threw): retry, 100 ms doubling to 5 s, then pause for an
 * operator after 100 attempts (about 8 minutes) instead of giving up on a payment half-way.
 */
export const INVOCATION_RETRIES = {
  initialInterval: 100,
  exponentiationFactor: 2,
  maxInterval: 5_000,
  maxAttempts: 100,
  onMaxAttempts: "pause",
} satisfies restate.RetryPolicy;

/** Every handler answers the payment as stored: its schema is what Restate's discovery shows callers. */
export const paymentOutput = restate.serde.schema(Payment);

export const paymentService = restate.object({
  name: "PaymentService",
  description: "One payment per key: charged at most once, refunded at most what was charged.",
  handlers: {
    create: restate.handlers.object.exclusive(
      {
        input: restate.serde.schema(CreatePaymentRequest),
        output: paymentOutput,
        description: "Create and charge the payment (idempotent per payment id).",
      },
      createPayment,
    ),
    refund: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RefundRequest), output: paymentOutput, description: "Refund part or all of the payment (idempotent per refundId)." },
      refundPayment,
    ),
    reconcile: restate.handlers.object.exclusive(
      { output: paymentOutput, description: "Find out what happened to a charge or refund whose answer was lost (scheduled by the service itself)." },
      reconcilePayment,
    ),
    getStatus: restate.handlers.object.shared({ output: paymentOutput, description: "The payment as stored; answers while a create is in flight." }, getStatus),
  },
  options: { retryPolicy: INVOCATION_RETRIES },
});

/** What clients import to call the service with type checking (see code/client.ts). */
export type PaymentService = typeof paymentService;

// ---------------------------------------------------------------------------
// The handlers.
// ---------------------------------------------------------------------------

export async function createPayment(ctx: PaymentContext, request: CreatePaymentRequest): Promise<Payment> {
  const paymentId = validPaymentId(ctx.key);
  const stored = await ctx.get("payment");
  if (stored) {
    const settled = answerIfSettled(stored, request);
    if (settled) return settled;
    // A charge may have gone out before (its answer lost, or its invocation stopped): look before charging again.
    return answer(await reconcileCharge(ctx, stored));
  }
  const pending = newPayment(paymentId, request, await now(ctx));
  ctx.set("payment", pending); // visible to getStatus while the charge is in flight, and proof that a charge may be out
  return answer(await charge(ctx, pending));
}

export async function refundPayment(ctx: PaymentContext, request: RefundRequest): Promise<Payment> {
  const paymentId = validPaymentId(ctx.key);
  const payment = await ctx.get("payment");
  if (!payment) throw notFound(paymentId);

  const earlier = payment.refunds.find((r) => r.refundId === request.refundId);
  if (earlier) {
    if (earlier.amount !== request.amount) {
      throw new TerminalError(
        `Refund '${request.refundId}' of payment '${paymentId}' was already made for ${earlier.amount}; ` +
          `a refundId cannot be reused for a different amount (${request.amount}).`,
        { errorCode: 422, metadata: { code: "refund_id_reused" } },
      );
    }
    return refundAnswer(earlier.status === "unconfirmed" ? await reconcileRefund(ctx, payment, earlier) : payment, request.refundId);
  }
  if (payment.status !== "succeeded" || payment.chargeId === null) {
    throw new TerminalError(`Payment '${paymentId}' is ${payment.status}; only a succeeded payment can be refunded.`, {
      errorCode: 409,
      metadata: { code: "payment_not_succeeded", status: payment.status },
    });
  }
  const refundable = payment.amount - payment.refundedAmount - unconfirmedRefunds(payment);
  if (request.amount > refundable) {
    throw new TerminalError(
      `A refund of ${request.amount} exceeds what is left to refund on payment '${paymentId}' ` +
        `(${refundable} of ${payment.amount} ${payment.currency}).`,
      { errorCode: 422, metadata: { code: "refund_exceeds_charge" } },
    );
  }
  return refundAnswer(await sendRefund(ctx, payment, request), request.refundId);
}

/**
 * The follow-up the service schedules on itself when an answer was lost: no client has to come back. An operator
 * may call it too (`POST /PaymentService/{id}/reconcile`) to find out now; it answers the payment as it then stands.
 */
export async function reconcilePayment(ctx: PaymentContext): Promise<Payment> {
  ctx.clear("followUpScheduled");
  let payment = await ctx.get("payment");
  if (!payment) throw notFound(validPaymentId(ctx.key));
  if (chargeMayBeOut(payment)) payment = await reconcileCharge(ctx, payment);
  for (const refund of payment.refunds.filter((r) => r.status === "unconfirmed")) {
    try {
      payment = await reconcileRefund(ctx, payment, refund);
    } catch (error) {
      if (!(error instanceof TerminalError)) throw error;
      payment = (await ctx.get("payment"))!; // the refusal removed that refund's record; go on with the others
    }
  }
  return payment;
}

export async function getStatus(ctx: ObjectSharedContext<PaymentState>): Promise<Payment> {
  const paymentId = validPaymentId(ctx.key);
  const payment = await ctx.get("payment");
  if (!payment) throw notFound(paymentId);
  return payment;
}

// ---------------------------------------------------------------------------
// Charging, and finding out what happened to a charge.
// ---------------------------------------------------------------------------

async function charge(ctx: PaymentContext, payment: Payment): Promise<Payment> {
  const result = await callProvider(ctx, "charge", () =>
    gateway.chargeOutcome(
      { amount: payment.amount, currency: payment.currency, source: payment.source, reference: payment.paymentId },
      chargeIdempotencyKey(payment.paymentId),
    ),
  );
  if (result.outcome === "unavailable") return unconfirmed(ctx, payment, result.message);
  const settled: Payment = { ...payment, ...chargeOutcome(result), updatedAt: result.at };
  ctx.set("payment", settled);
  return settled;
}

/**
 * A charge whose answer never came: look it up at the provider by our reference.
 * Found: adopt it. Not found: charge again with the same key while the provider
 * still keeps that key and the caller still waits; otherwise the payment failed,
 * on the provider's word that nothing was charged.
 */
async function reconcileCharge(ctx: PaymentContext, payment: Payment): Promise<Payment> {
  const lookup = await callProvider(ctx, "look up charge", () => found(gateway.listCharges({ reference: payment.paymentId })));
  if (lookup.outcome !== "done") return unconfirmed(ctx, payment, lookup.message);
  const made = lookup.value.find((c) => c.status === "succeeded") ?? lookup.value[0];
  if (made) {
    const adopted: Payment = { ...payment, ...adoptCharge(made), updatedAt: lookup.at };
    ctx.set("payment", adopted);
    return adopted;
  }
  const ageMs = Date.parse(lookup.at) - Date.parse(payment.createdAt);
  if (ageMs < Math.min(settings.providerKeyRetentionMs, settings.callerRetryWindowMs)) return charge(ctx, payment);
  const failed: Payment = { ...payment, ...notCharged(payment.createdAt), updatedAt: lookup.at };
  ctx.set("payment", failed);
  return failed;
}

/** Unknown outcome: say so, and come back later by ourselves. */
async function unconfirmed(ctx: PaymentContext, payment: Payment, reason: string): Promise<Payment> {
  const stored: Payment = { ...payment, ...unconfirmedCharge(reason), updatedAt: await now(ctx) };
  ctx.set("payment", stored);
  await scheduleFollowUp(ctx);
  return stored;
}

// ---------------------------------------------------------------------------
// Refunds: the same shape, by their own key.
// ---------------------------------------------------------------------------

async function sendRefund(ctx: PaymentContext, payment: Payment, refund: RefundRequest): Promise<Payment> {
  const chargeId = payment.chargeId!;
  const result = await callProvider(ctx, `refund ${refund.refundId}`, () =>
    gateway.refundOutcome({ charge: chargeId, amount: refund.amount, reference: payment.paymentId }, refundIdempotencyKey(payment.paymentId, refund.refundId)),
  );
  if (result.outcome === "rejected") {
    const others = payment.refunds.filter((r) => r.refundId !== refund.refundId); // an unconfirmed record of it, if any, is settled: no refund
    if (others.length !== payment.refunds.length) ctx.set("payment", { ...payment, refunds: others });
    throw new TerminalError(`The payment provider refused the refund: ${result.rejection.message}`, {
      errorCode: 422,
      metadata: { code: "refund_refused", providerCode: result.rejection.code },
    });
  }
  if (result.outcome === "unavailable") {
    const updatedAt = await now(ctx);
    const reserved = withRefund(payment, { ...refund, status: "unconfirmed", gatewayRefundId: null, createdAt: updatedAt }, updatedAt);
    ctx.set("payment", reserved);
    await scheduleFollowUp(ctx);
    return reserved;
  }
  return recordRefund(ctx, payment, refund, result.value);
}

async function reconcileRefund(ctx: PaymentContext, payment: Payment, refund: RefundRecord): Promise<Payment> {
  const key = refundIdempotencyKey(payment.paymentId, refund.refundId);
  const lookup = await callProvider(ctx, `look up refund ${refund.refundId}`, () => found(gateway.listRefunds({ reference: payment.paymentId })));
  if (lookup.outcome !== "done") {
    await scheduleFollowUp(ctx);
    return payment;
  }
  // The mock's ledger shows each record's idempotency key; with Stripe you would search the refund's metadata.
  const done = lookup.value.find((r) => r.idempotencyKey === key);
  if (done) return recordRefund(ctx, payment, refund, done);
  return sendRefund(ctx, payment, refund); // the provider has none: refund again, with the same key
}

function recordRefund(ctx: PaymentContext, payment: Payment, refund: RefundRequest, done: GatewayRefund): Payment {
  const refunded = withRefund(payment, { ...refund, status: "succeeded", gatewayRefundId: done.id, createdAt: done.created }, done.created);
  ctx.set("payment", refunded);
  return refunded;
}

/** The payment with this refund recorded (replacing an unconfirmed record of the same id). */
function withRefund(payment: Payment, refund: RefundRecord, updatedAt: string): Payment {
  const refunds = [...payment.refunds.filter((r) => r.refundId !== refund.refundId), refund];
  const refundedAmount = refunds.filter((r) => r.status !== "unconfirmed").reduce((sum, r) => sum + r.amount, 0);
  return { ...payment, refunds, refundedAmount, updatedAt };
}

const unconfirmedRefunds = (payment: Payment) => payment.refunds.filter((r) => r.status === "unconfirmed").reduce((sum, r) => sum + r.amount, 0);

function refundAnswer(payment: Payment, refundId: string): Payment {
  const refund = payment.refunds.find((r) => r.refundId === refundId);
  if (refund?.status !== "unconfirmed") return payment;
  return refuse(
    unconfirmedRefundRefusal(
      payment.paymentId,
      refundId,
      "send this refund again without an idempotency-key (the refundId already prevents a second refund).",
    ),
  );
}

async function scheduleFollowUp(ctx: PaymentContext): Promise<void> {
  if (await ctx.get("followUpScheduled")) return;
  ctx.set("followUpScheduled", true);
  ctx.objectSendClient(paymentService, ctx.key).reconcile(restate.rpc.sendOpts({ delay: settings.reconcileAfterMs }));
}

// ---------------------------------------------------------------------------
// Talking to the provider.
// ---------------------------------------------------------------------------

type Unavailable = Extract<ProviderOutcome<unknown>, { outcome: "unavailable" }>;
const isUnavailable = <R extends object>(result: R | Unavailable): result is Unavailable => "outcome" in result && result.outcome === "unavailable";

/**
 * One journaled call to the provider. Rejections (declines, bad requests) are
 * journaled as values, so they are never retried; an unknown outcome is thrown,
 * retried within PROVIDER_RETRIES and then reported as `unavailable`. `at`: when
 * the provider answered, read inside the journaled step, so a retry sees the same time.
 */
async function callProvider<R extends object>(ctx: PaymentContext, name: string, call: () => Promise<R | Unavailable>): Promise<(R & { at: string }) | Unavailable> {
  try {
    return await ctx.run(
      name,
      async () => {
        const result = await call();
        if (isUnavailable(result)) throw new ProviderUnavailable(result.message); // retried by Restate
        return { ...result, at: new Date().toISOString() };
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

/** A lookup in the provider's ledger: done, or thrown (and retried) like any call; never rejected. */
const found = async <T>(lookup: Promise<T>) => ({ outcome: "done" as const, value: await lookup });

// ---------------------------------------------------------------------------
// Answers.
// ---------------------------------------------------------------------------

/**
 * The stored payment as the answer to `create`: the payment itself, or the
 * same terminal error every time for a payment that did not succeed.
 */
function answer(payment: Payment): Payment {
  const refusal = paymentRefusal(
    payment,
    "call create again without an idempotency-key or with a new one " +
      "(the payment id already prevents a second charge; the same idempotency-key would replay this answer).",
  );
  return refusal ? refuse(refusal) : payment;
}

/**
 * The answer to a create of a payment already stored: its settled answer, or
 * undefined while a charge may be out (only the exclusive `create` may find out).
 */
export function answerIfSettled(stored: Payment, request: CreatePaymentRequest): Payment | undefined {
  const differs = differentParameters(stored, request);
  if (differs) refuse(differs);
  return chargeMayBeOut(stored) ? undefined : answer(stored);
}

function refuse({ status, message, metadata }: Refusal): never {
  throw new TerminalError(message, { errorCode: status, ...(metadata ? { metadata } : {}) });
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
  const { status, message, metadata } = paymentNotFound(paymentId);
  return new TerminalError(message, { errorCode: status, metadata });
}

/** The journaled clock: a retry sees the same time as the first attempt. */
async function now(ctx: PaymentContext): Promise<string> {
  return ctx.date.toJSON();
}
