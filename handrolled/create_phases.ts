// `create` in atomic phases. Each phase is one transaction that ends by moving
// the key's recovery point; the provider call sits between two phases, outside
// any transaction, with a provider key derived from the payment id. So a crash
// at any moment leaves a key whose recovery point says what is left to do, and
// running the phases again from there (a retry, or the completer) charges at
// most once: the provider answers a repeated key with the charge it made.
import { chargeIdempotencyKey, PROVIDER_RETRIES } from "../code/payment_service.js";
import type { CreatePaymentRequest, Payment } from "../code/types.js";
import type { Database } from "./database.js";
import { BUSY_RETRY_AFTER_SECONDS, FINISHED, finish, type KeyRow, setRecoveryPoint, type StoredResponse, storedAnswer } from "./idempotency_keys.js";
import { callProvider, type GatewayClient, type ProviderResult } from "./provider.js";
import { chargeInProgress, createAnswer, differentParameters, error, loadPayment, mayRetryCharge, settlePayment } from "./payments_store.js";

export const PAYMENT_RECORDED = "payment_recorded";

export async function runCreate(db: Database, gateway: GatewayClient, key: KeyRow, paymentId: string, request: CreatePaymentRequest, leaseMs: number) {
  let busy = false;
  for (;;) {
    if (busy) {
      const retryLater = error(409, `Payment '${paymentId}' is being charged by another request right now; retry in a moment.`);
      return { ...retryLater, retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
    }
    switch (key.recovery_point) {
      case "started":
        if (await recordNewPayment(db, key, paymentId, request)) break;
        await db.transaction(async (tx) => {
          // The payment id is known (payments are never deleted): lock it, then decide.
          const payment = (await loadPayment(tx, paymentId, true))!;
          const refusal = differentParameters(payment, request);
          if (refusal) return finish(tx, key, refusal);
          if (!mayRetryCharge(payment)) return finish(tx, key, createAnswer(payment));
          if (await chargeInProgress(tx, paymentId, leaseMs)) {
            // Another key is charging this payment (Restate would queue us behind it): nothing was done,
            // so the key is forgotten and the client told to retry, as for a key in flight.
            await tx.query("DELETE FROM idempotency_keys WHERE id = $1", [key.id]);
            busy = true;
            return;
          }
          // visible to getStatus while the charge is in flight
          await settlePayment(tx, paymentId, { status: "pending", chargeId: null, failure: null });
          return setRecoveryPoint(tx, key, PAYMENT_RECORDED);
        });
        break;
      case PAYMENT_RECORDED: {
        const result = await callProvider(() =>
          gateway.charge(
            { amount: request.amount, currency: request.currency, source: request.source, reference: paymentId },
            chargeIdempotencyKey(paymentId),
          ),
        );
        await db.transaction(async (tx) => {
          // Only a pending payment is settled: one that another request settled meanwhile keeps its outcome.
          const settled = await settlePayment(tx, paymentId, chargeOutcome(result), { onlyIfPending: true });
          return finish(tx, key, createAnswer(settled ?? (await loadPayment(tx, paymentId))!));
        });
        break;
      }
      case FINISHED:
        return storedResponse(db, key);
      default:
        throw new Error(`Bug: unknown recovery point '${key.recovery_point}' for key ${key.id}`);
    }
  }
}

/**
 * The common case, a payment id seen for the first time: the pending payment
 * and the key's next recovery point in one statement, atomic on its own (a
 * data-modifying CTE), so it costs one round trip instead of a transaction's four.
 */
async function recordNewPayment(db: Database, key: KeyRow, paymentId: string, request: CreatePaymentRequest): Promise<boolean> {
  const recorded = await db.query(
    `WITH payment AS (
       INSERT INTO payments (payment_id, status, amount, currency, source) VALUES ($1, 'pending', $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING payment_id)
     UPDATE idempotency_keys SET recovery_point = $6 WHERE id = $5 AND EXISTS (SELECT 1 FROM payment) RETURNING id`,
    [paymentId, request.amount, request.currency, request.source, key.id, PAYMENT_RECORDED],
  );
  if (recorded.rows.length === 0) return false;
  key.recovery_point = PAYMENT_RECORDED;
  return true;
}

export async function storedResponse(db: Database, key: KeyRow): Promise<StoredResponse> {
  const row = await db.query<KeyRow>("SELECT response_code, response_body FROM idempotency_keys WHERE id = $1", [key.id]);
  return storedAnswer(row.rows[0]!);
}

export function chargeOutcome(result: ProviderResult<{ id: string }>): Pick<Payment, "status" | "chargeId" | "failure"> {
  switch (result.outcome) {
    case "done":
      return { status: "succeeded", chargeId: result.value.id, failure: null };
    case "rejected": {
      const declined = result.code === "card_declined";
      return {
        status: declined ? "declined" : "failed",
        chargeId: result.chargeId ?? null,
        failure: { code: declined ? "card_declined" : "invalid_request", message: result.message, ...(result.declineCode ? { declineCode: result.declineCode } : {}) },
      };
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
