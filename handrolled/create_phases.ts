// `create` in atomic phases. Each phase is one transaction that ends by moving
// the key's recovery point; the provider call sits between two phases, outside
// any transaction, with a provider key derived from the payment id. So a crash
// at any moment leaves a key whose recovery point says what is left to do, and
// running the phases again from there (a retry, or the completer) charges at
// most once: the provider answers a repeated key with the charge it made.
// A charge whose answer never came is not a failure: the payment is stored
// `unconfirmed` and the key parked unanswered (504). Whoever resumes a charge
// that may be out (the client's retry, the reconciler, another key's create)
// looks it up at the provider first, as the Restate service does.
import { type ChargeOutcome, adoptCharge, chargeMayBeOut, chargeOutcome, notCharged } from "../code/payment_outcomes.js";
import { chargeIdempotencyKey } from "../code/payment_service.js";
import { type CreatePaymentRequest, type Payment, reconcileSettingsFromEnv } from "../code/types.js";
import type { Database } from "./database.js";
import { BUSY_RETRY_AFTER_SECONDS, FINISHED, finish, type KeyRow, park, setRecoveryPoint, type StoredResponse, storedAnswer, unlock } from "./idempotency_keys.js";
import { callProvider, type GatewayClient, lookUp } from "./provider.js";
import {
  claimCharge,
  createAnswer,
  differentParameters,
  error,
  loadPayment,
  settlePayment,
} from "./payments_store.js";

export const PAYMENT_RECORDED = "payment_recorded";
/** The charge went out and its answer never came: the key is parked here (see idempotency_keys.ts). */
export const CHARGE_UNCONFIRMED = "charge_unconfirmed";

const settings = reconcileSettingsFromEnv();

export async function runCreate(db: Database, gateway: GatewayClient, key: KeyRow, paymentId: string, request: CreatePaymentRequest, leaseMs: number) {
  // Only the request that recorded the payment knows no charge went out: any other looks the charge up first.
  let firstCharge = false;
  let claimed = false; // this run holds the payment's charge (claimCharge)
  const busy = () => ({
    ...error(409, `Payment '${paymentId}' is being charged by another request right now; retry in a moment.`),
    retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
  });
  for (;;) {
    switch (key.recovery_point) {
      case "started": {
        if (await recordNewPayment(db, key, paymentId, request)) {
          firstCharge = claimed = true;
          break;
        }
        const taken = await db.transaction(async (tx) => {
          // The payment id is known (payments are never deleted): lock it, then decide.
          const payment = (await loadPayment(tx, paymentId, true))!;
          const refusal = differentParameters(payment, request);
          if (refusal) return finish(tx, key, refusal);
          if (!chargeMayBeOut(payment)) return finish(tx, key, createAnswer(payment));
          if (!(await claimCharge(tx, paymentId, leaseMs))) {
            // Another key is charging this payment (Restate would queue us behind it): nothing was done,
            // so the key is forgotten and the client told to retry, as for a key in flight.
            await tx.query("DELETE FROM idempotency_keys WHERE id = $1", [key.id]);
            return "busy";
          }
          claimed = true;
          return setRecoveryPoint(tx, key, PAYMENT_RECORDED);
        });
        if (taken === "busy") return busy();
        break;
      }
      case PAYMENT_RECORDED:
      case CHARGE_UNCONFIRMED: {
        if (!claimed) {
          // Resumed (a retry with this key, the completer, the reconciler): the payment is ours to look up, unless
          // settled or held by another request meanwhile.
          const taken = await db.transaction(async (tx) => {
            const payment = (await loadPayment(tx, paymentId, true))!;
            if (!chargeMayBeOut(payment)) return finish(tx, key, createAnswer(payment));
            return claimCharge(tx, paymentId, leaseMs);
          });
          if (taken === false) {
            await unlock(db, key);
            return busy();
          }
          if (taken !== true) return taken;
          claimed = true;
        }
        const payment = (await loadPayment(db, paymentId))!;
        const outcome = firstCharge ? await charge(gateway, payment) : await reconcileCharge(gateway, payment);
        const answer = await db.transaction(async (tx) => {
          // Only a pending payment is settled: one that another request settled meanwhile keeps its outcome.
          const settled = (await settlePayment(tx, paymentId, outcome, { onlyIfPending: true })) ?? (await loadPayment(tx, paymentId))!;
          if (settled.status !== "unconfirmed") return finish(tx, key, createAnswer(settled));
          await park(tx, key, CHARGE_UNCONFIRMED);
          return createAnswer(settled); // not stored: a retry with this key resumes here, and looks first
        });
        if (key.recovery_point === CHARGE_UNCONFIRMED) return answer;
        break;
      }
      case FINISHED:
        return storedResponse(db, key);
      default:
        throw new Error(`Bug: unknown recovery point '${key.recovery_point}' for key ${key.id}`);
    }
  }
}

async function charge(gateway: GatewayClient, payment: Payment): Promise<ChargeOutcome> {
  const result = await callProvider(() =>
    gateway.chargeOutcome(
      { amount: payment.amount, currency: payment.currency, source: payment.source, reference: payment.paymentId },
      chargeIdempotencyKey(payment.paymentId),
    ),
  );
  return chargeOutcome(result);
}

/**
 * A charge that may have gone out before (its answer lost, or its request
 * died): look it up at the provider by our reference. Found: adopt it. Not
 * found: charge again with the same key while the provider still keeps that
 * key and the caller still waits; otherwise the payment failed, on the
 * provider's word that nothing was charged. The Restate service's rule.
 */
async function reconcileCharge(gateway: GatewayClient, payment: Payment): Promise<ChargeOutcome> {
  const lookup = await callProvider(() => lookUp(() => gateway.listCharges({ reference: payment.paymentId })));
  if (lookup.outcome !== "done") return chargeOutcome(lookup);
  const found = lookup.value.find((c) => c.status === "succeeded") ?? lookup.value[0];
  if (found) return adoptCharge(found);
  const ageMs = Date.now() - Date.parse(payment.createdAt);
  if (ageMs < Math.min(settings.providerKeyRetentionMs, settings.callerRetryWindowMs)) return charge(gateway, payment);
  return notCharged(payment.createdAt);
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
