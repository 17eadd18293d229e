// The payments and refunds tables, read and written as the Payment type of
// code/types.ts, and the answers the API gives for a stored payment (the
// Restate service's, from code/payment_outcomes.ts).
import { type Refusal, differentParameters as parametersDiffer, paymentNotFound, paymentRefusal, unconfirmedRefundRefusal } from "../code/payment_outcomes.js";
import type { CreatePaymentRequest, Payment, PaymentFailure } from "../code/types.js";
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
 * Takes the payment's charge for this request: a payment whose charge may be out (see chargeMayBeOut in code/payment_outcomes.ts) becomes
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

/** A refusal of the shared rules, as this API answers it: the same body as Restate's ingress gives. */
const refused = ({ status, message, metadata }: Refusal): StoredResponse => error(status, message, metadata);

export const notFound = (paymentId: string) => refused(paymentNotFound(paymentId));

/** The stored payment as the answer to `create`, as the Restate service gives it (a pending one as it is). */
export function createAnswer(payment: Payment): StoredResponse {
  const refusal = paymentRefusal(
    payment,
    "send this create again with the same Idempotency-Key: it looks the charge up before charging again, and the payment id prevents a second charge.",
  );
  return refusal ? refused(refusal) : ok(payment);
}

/** A refund whose provider answer was lost: 504 until it is looked up, as the Restate service answers. */
export const unconfirmedRefund = (paymentId: string, refundId: string): StoredResponse =>
  refused(unconfirmedRefundRefusal(paymentId, refundId, "send this refund again with the same Idempotency-Key (the refundId already prevents a second refund)."));

/** Same id, other parameters: refused (422) with the differences named. */
export function differentParameters(stored: Payment, request: CreatePaymentRequest): StoredResponse | undefined {
  const refusal = parametersDiffer(stored, request);
  return refusal && refused(refusal);
}
