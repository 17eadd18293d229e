// The payments and refunds tables, read and written as the Payment type of
// code/types.ts, and the answers the API gives for a stored payment (the same
// status codes and messages as the Restate service).
import type { Payment, PaymentFailure } from "../code/types.js";
import type { Queryable } from "./database.js";
import type { StoredResponse } from "./idempotency_keys.js";

interface PaymentRow {
  payment_id: string;
  status: Payment["status"];
  amount: number;
  currency: string;
  source: string;
  charge_id: string | null;
  refunded_amount: number;
  failure: PaymentFailure | null;
  created_at: Date;
  updated_at: Date;
}

export async function loadPayment(db: Queryable, paymentId: string, forUpdate = false): Promise<Payment | undefined> {
  const found = await db.query<PaymentRow>(`SELECT * FROM payments WHERE payment_id = $1${forUpdate ? " FOR UPDATE" : ""}`, [paymentId]);
  const row = found.rows[0];
  if (!row) return undefined;
  // A reservation whose call is still in flight is not shown; one whose answer was lost is, as unconfirmed.
  const refunds = await db.query<{ refund_id: string; amount: number; gateway_refund_id: string | null; created_at: Date }>(
    "SELECT * FROM refunds WHERE payment_id = $1 AND (gateway_refund_id IS NOT NULL OR unconfirmed) ORDER BY created_at, refund_id",
    [paymentId],
  );
  return toPayment(
    row,
    refunds.rows.map((r) => ({
      refundId: r.refund_id,
      amount: Number(r.amount),
      status: r.gateway_refund_id === null ? ("unconfirmed" as const) : ("succeeded" as const),
      gatewayRefundId: r.gateway_refund_id,
      createdAt: new Date(r.created_at).toISOString(),
    })),
  );
}

function toPayment(row: PaymentRow, refunds: Payment["refunds"]): Payment {
  return {
    paymentId: row.payment_id,
    status: row.status,
    amount: Number(row.amount),
    currency: row.currency,
    source: row.source,
    chargeId: row.charge_id,
    refundedAmount: Number(row.refunded_amount),
    refunds,
    failure: row.failure,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * Takes the payment's charge for this request: a payment whose charge may be out (see mayRetryCharge) becomes
 * `pending` again, touched now. False while another request holds it (pending, touched within the lease): only one
 * request at a time looks a charge up or sends it, as only one Restate handler at a time runs on the object.
 */
export async function claimCharge(db: Queryable, paymentId: string, leaseMs: number): Promise<boolean> {
  const claimed = await db.query(
    `UPDATE payments SET status = 'pending', failure = NULL, updated_at = now()
     WHERE payment_id = $1 AND (status = 'unconfirmed' OR (status = 'failed' AND failure->>'code' = 'gateway_unavailable')
       OR (status = 'pending' AND updated_at <= now() - $2 * interval '1 millisecond'))
     RETURNING payment_id`,
    [paymentId, leaseMs],
  );
  return claimed.rows.length > 0;
}

/** The payment as settled, or undefined when `onlyIfPending` found it settled already. */
export async function settlePayment(
  db: Queryable,
  paymentId: string,
  outcome: Pick<Payment, "status" | "chargeId" | "failure">,
  options: { onlyIfPending?: boolean } = {},
): Promise<Payment | undefined> {
  const condition = options.onlyIfPending ? " AND status = 'pending'" : "";
  const updated = await db.query<PaymentRow>(
    `UPDATE payments SET status = $2, charge_id = $3, failure = $4, updated_at = now() WHERE payment_id = $1${condition} RETURNING *`,
    [paymentId, outcome.status, outcome.chargeId, outcome.failure === null ? null : JSON.stringify(outcome.failure)],
  );
  // Settled from pending: no refunds yet (only a succeeded payment can have any).
  return updated.rows[0] && options.onlyIfPending ? toPayment(updated.rows[0], []) : undefined;
}

export const ok = (body: unknown): StoredResponse => ({ status: 200, body });
export const error = (status: number, message: string, metadata?: Record<string, string>): StoredResponse => ({
  status,
  body: metadata ? { message, metadata } : { message },
});

export const notFound = (paymentId: string) =>
  error(404, `No payment with id '${paymentId}'. Create it first with POST /PaymentService/${paymentId}/create.`);

/** The stored payment as the answer to `create`, as the Restate service gives it. */
export function createAnswer(payment: Payment): StoredResponse {
  const failure = payment.failure;
  if (payment.status === "succeeded" || payment.status === "pending" || failure === null) return ok(payment);
  const metadata = { paymentId: payment.paymentId, code: failure.code, ...(failure.declineCode ? { declineCode: failure.declineCode } : {}) };
  switch (failure.code) {
    case "card_declined":
      return error(402, `Payment '${payment.paymentId}' was declined: ${failure.message} (${failure.declineCode ?? "card_declined"})`, metadata);
    case "charge_unconfirmed":
      return error(
        504,
        `Payment '${payment.paymentId}' is unconfirmed: ${failure.message} Do not treat it as failed. ` +
          `Poll GET /PaymentService/${payment.paymentId}/getStatus, or send this create again with the same Idempotency-Key: ` +
          `it looks the charge up before charging again, and the payment id prevents a second charge.`,
        metadata,
      );
    case "not_charged":
      return error(502, `Payment '${payment.paymentId}' failed: ${failure.message} Use a new payment id to try again.`, metadata);
    default:
      return error(
        400,
        `Payment '${payment.paymentId}' failed: the payment provider refused it: ${failure.message} ` +
          `Nothing was charged, and this payment id is used up: create the payment again under a new payment id.`,
        metadata,
      );
  }
}

/** A refund whose provider answer was lost: 504 until it is looked up, as the Restate service answers. */
export function unconfirmedRefund(paymentId: string, refundId: string): StoredResponse {
  return error(
    504,
    `Refund '${refundId}' of payment '${paymentId}' is unconfirmed: the payment provider did not answer, so the refund may or may not ` +
      `have happened. The service is finding out by itself; poll GET /PaymentService/${paymentId}/getStatus, ` +
      `or send this refund again with the same Idempotency-Key (the refundId already prevents a second refund).`,
    { paymentId, code: "refund_unconfirmed", refundId },
  );
}

/** Same id, other parameters: refused (422) with the differences named. */
export function differentParameters(stored: Payment, request: { amount: number; currency: string; source: string }): StoredResponse | undefined {
  const differences = (["amount", "currency", "source"] as const)
    .filter((field) => stored[field] !== request[field])
    .map((field) => `${field} ${JSON.stringify(stored[field])} (now ${JSON.stringify(request[field])})`);
  if (differences.length === 0) return undefined;
  return error(
    422,
    `Payment '${stored.paymentId}' already exists with different parameters: ${differences.join(", ")}. ` +
      `A payment id can only be used with the parameters it was first created with; use a new payment id for a different payment.`,
  );
}

/**
 * A charge may be out at the provider with its outcome unknown: `pending`, `unconfirmed`, or a database from before
 * `unconfirmed` existed (`failed` / `gateway_unavailable`). The phased service looks such a charge up before charging.
 */
export const mayRetryCharge = (payment: Payment) =>
  payment.status === "pending" || payment.status === "unconfirmed" || (payment.status === "failed" && payment.failure?.code === "gateway_unavailable");
