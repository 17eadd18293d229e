// The contract: what callers send and receive, validated by zod schemas.
// Restate turns a schema failure into a 400 with the message below, before the
// handler runs, so no invalid request can reach the payment provider.
import { z } from "zod";

/** Object keys (payment ids, refund ids, the exercises' ids) travel in URLs and in provider idempotency keys. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** An id that must match IDENTIFIER; `what` names it in the error. */
export const identifier = (what: string) =>
  z.string().regex(IDENTIFIER, `${what} must be 1-64 characters: letters, digits, '-' or '_', starting with a letter or digit`);

export const PaymentId = identifier("payment id");
export const RefundId = identifier("refundId");

/** Stripe's ceiling for a single charge, in minor units (999,999.99 in a two-decimal currency). */
export const MAX_AMOUNT = 99_999_999;

const ISO_4217 = new Set(Intl.supportedValuesOf("currency"));
const CURRENCY_RULE = "currency must be an upper-case ISO 4217 code such as \"USD\" or \"EUR\"";
/** Keeps the friendly message for a body that is not an object, and zod's own for unknown fields. */
const objectExpected = (shape: string) => (issue: { code: string }) =>
  issue.code === "invalid_type" ? `expected a JSON object ${shape}` : undefined;

export const Amount = z
  .number({ error: "amount must be a number of minor units, e.g. 10000 for 100.00" })
  .int("amount must be a whole number of minor units (cents), not a fraction")
  .positive("amount must be greater than zero")
  .max(MAX_AMOUNT, `amount must be at most ${MAX_AMOUNT} minor units`);

export const Currency = z
  .string({ error: CURRENCY_RULE })
  .regex(/^[A-Z]{3}$/, { error: CURRENCY_RULE, abort: true })
  .refine((code) => ISO_4217.has(code), { error: (issue) => `${JSON.stringify(issue.input)} is not an ISO 4217 currency code` });

/** A card token in the style of Stripe's test tokens (see the gateway for the ones it knows). */
export const Source = z
  .string({ error: "source must be a card token such as \"tok_visa\"" })
  .regex(/^tok_[A-Za-z0-9_]{1,60}$/, "source must be a card token such as \"tok_visa\"");

export const CreatePaymentRequest = z.strictObject(
  { amount: Amount, currency: Currency, source: Source },
  { error: objectExpected(`{"amount", "currency", "source"}`) },
);
export type CreatePaymentRequest = z.infer<typeof CreatePaymentRequest>;

export const RefundRequest = z.strictObject(
  { refundId: RefundId, amount: Amount },
  { error: objectExpected(`{"refundId", "amount"}`) },
);
export type RefundRequest = z.infer<typeof RefundRequest>;

/**
 * `pending`: the charge is in flight. `unconfirmed`: the provider never answered, so the charge may or may not
 * have happened; the service is looking it up (see `reconcile`). The other three are final.
 */
export const PaymentStatus = z.enum(["pending", "unconfirmed", "succeeded", "declined", "failed"]);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const PaymentFailure = z.object({
  /**
   * `card_declined`; `invalid_request` (the provider refused the request); `charge_unconfirmed` (no answer yet:
   * not a failure, the outcome is unknown); `not_charged` (the provider confirms it holds no charge, and the payment
   * is too old to charge now).
   */
  code: z.string(),
  declineCode: z.string().optional(),
  message: z.string(),
});
export type PaymentFailure = z.infer<typeof PaymentFailure>;

export const RefundRecord = z.object({
  refundId: z.string(),
  amount: z.number(),
  /** `unconfirmed`: sent, but the provider's answer was lost; its amount stays reserved until the service knows. */
  status: z.enum(["succeeded", "unconfirmed"]),
  gatewayRefundId: z.string().nullable(),
  createdAt: z.string(),
});
export type RefundRecord = z.infer<typeof RefundRecord>;

export const Payment = z.object({
  paymentId: z.string(),
  status: PaymentStatus,
  amount: z.number(),
  currency: z.string(),
  source: z.string(),
  chargeId: z.string().nullable(),
  refundedAmount: z.number(),
  refunds: z.array(RefundRecord),
  failure: PaymentFailure.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Payment = z.infer<typeof Payment>;

// ---- The payment provider's wire format (the mock gateway speaks it, the service calls it) ----

export const ChargeRequest = z.strictObject({
  amount: Amount,
  currency: Currency,
  source: z.string().min(1).max(100),
  /** The merchant's own reference (our payment id), so a ledger can be searched by it. */
  reference: z.string().min(1).max(200),
});
export type ChargeRequest = z.infer<typeof ChargeRequest>;

export interface Charge {
  id: string;
  object: "charge";
  amount: number;
  currency: string;
  source: string;
  reference: string;
  status: "succeeded" | "failed";
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
  amountRefunded: number;
  idempotencyKey: string | null;
  created: string;
}

export const RefundChargeRequest = z.strictObject({
  charge: z.string().min(1).max(100),
  amount: Amount,
  reference: z.string().min(1).max(200),
});
export type RefundChargeRequest = z.infer<typeof RefundChargeRequest>;

export interface GatewayRefund {
  id: string;
  object: "refund";
  charge: string;
  amount: number;
  reference: string;
  status: "succeeded";
  idempotencyKey: string | null;
  created: string;
}

/** A provider's error answer (the gateway's and the exercises' mocks' alike), in Stripe's shape. */
export const ProviderErrorBody = z.object({
  error: z.object({
    type: z.string(),
    code: z.string(),
    /** Why a card was declined, for `card_declined`. */
    declineCode: z.string().optional(),
    message: z.string(),
  }),
  /** A declined charge is still a charge in the ledger: its id. */
  charge: z.string().optional(),
});
export type ProviderErrorBody = z.infer<typeof ProviderErrorBody>;

/** Faults every mock provider can inject; set at start (environment) or at run time (admin API). */
export const FaultSettings = z.strictObject({
  /** Added to every charge and refund before the provider processes it. */
  latencyMs: z.number().int().min(0).max(60_000),
  /** Probability (0..1) that a charge or refund answers 503 without doing anything. */
  failureRate: z.number().min(0).max(1),
  /** The next N charges/refunds answer 500 without doing anything. */
  failNext: z.number().int().min(0).max(1_000_000),
  /** The next N charges/refunds are carried out, then the connection is cut before the answer. */
  dropNext: z.number().int().min(0).max(1_000_000),
  /** Between doing the work and answering: the window in which a caller can crash after the provider charged. */
  answerDelayMs: z.number().int().min(0).max(60_000),
  /**
   * How long the provider keeps an idempotency key and its answer (24 h, like Stripe). After it, the same key is a
   * new request: set it to 0 to make the provider forget every key it holds.
   */
  keyRetentionMs: z.number().int().min(0).max(30 * 24 * 60 * 60 * 1000),
});
export type FaultSettings = z.infer<typeof FaultSettings>;

/** The environment variable that sets each fault when the gateway starts. */
export const FAULT_VARIABLES: Record<keyof FaultSettings, string> = {
  latencyMs: "GATEWAY_LATENCY_MS",
  failureRate: "GATEWAY_FAILURE_RATE",
  failNext: "GATEWAY_FAIL_NEXT",
  dropNext: "GATEWAY_DROP_NEXT",
  answerDelayMs: "GATEWAY_ANSWER_DELAY_MS",
  keyRetentionMs: "GATEWAY_KEY_RETENTION_MS",
};

// ---- How the service finds out what happened to a charge whose answer was lost ----

export interface ReconcileSettings {
  /** How long after a lost answer the service looks the charge (or refund) up by itself, and again after each miss. */
  reconcileAfterMs: number;
  /** How long the provider keeps our idempotency keys: after it, charging again could charge twice. */
  providerKeyRetentionMs: number;
  /** How long a caller goes on retrying a payment: after it, a payment never charged is closed as failed, not charged late. */
  callerRetryWindowMs: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = {
  reconcileAfterMs: 30_000,
  providerKeyRetentionMs: 24 * 60 * 60 * 1000,
  callerRetryWindowMs: 60 * 60 * 1000,
};

export const RECONCILE_VARIABLES: Record<keyof ReconcileSettings, string> = {
  reconcileAfterMs: "RECONCILE_AFTER_MS",
  providerKeyRetentionMs: "PROVIDER_KEY_RETENTION_MS",
  callerRetryWindowMs: "CALLER_RETRY_WINDOW_MS",
};

export function reconcileSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ReconcileSettings {
  const settings = { ...DEFAULT_RECONCILE_SETTINGS };
  for (const setting of Object.keys(RECONCILE_VARIABLES) as (keyof ReconcileSettings)[]) {
    const raw = env[RECONCILE_VARIABLES[setting]];
    if (raw === undefined || raw === "") continue;
    const ms = Number(raw);
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`${RECONCILE_VARIABLES[setting]}=${raw} is not a whole number of milliseconds`);
    settings[setting] = ms;
  }
  return settings;
}
