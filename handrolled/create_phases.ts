// `create` in atomic phases. Each phase is one transaction that ends by moving
// the key's recovery point; the provider call sits between two phases, outside
// any transaction, with a provider key derived from the payment id. So a crash
// at any moment leaves a key whose recovery point says what is left to do, and
// running the phases again from there (a retry, or the completer) charges at
// most once: the provider answers a repeated key with the charge it made.
import { chargeIdempotencyKey, PROVIDER_RETRIES } from "../code/payment_service.js";
import type { CreatePaymentRequest, Payment } from "../code/types.js";
import type { Database } from "./database.js";
import { FINISHED, finish, type KeyRow, setRecoveryPoint, type StoredResponse, storedAnswer } from "./idempotency_keys.js";
import { callProvider, type GatewayClient, type ProviderResult } from "./provider.js";
import { chargeInProgress, createAnswer, differentParameters, error, insertPendingPayment, loadPayment, mayRetryCharge, settlePayment } from "./payments_store.js";

export const PAYMENT_RECORDED = "payment_recorded";

export async function runCreate(db: Database, gateway: GatewayClient, key: KeyRow, paymentId: string, request: CreatePaymentRequest, leaseMs: number) {
  let busy = false;
  for (;;) {
    if (busy) return error(409, `Payment '${paymentId}' is being charged by another request right now; retry in a moment.`);
    switch (key.recovery_point) {
      case "started":
        await db.transaction(async (tx) => {
          const ours = await insertPendingPayment(tx, paymentId, request);
          const payment = (await loadPayment(tx, paymentId, true))!;
          const refusal = differentParameters(payment, request);
          if (refusal) return finish(tx, key, refusal);
          if (!mayRetryCharge(payment)) return finish(tx, key, createAnswer(payment));
          if (!ours && (await chargeInProgress(tx, paymentId, leaseMs))) {
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
          await settlePayment(tx, paymentId, chargeOutcome(result), { onlyIfPending: true });
          return finish(tx, key, createAnswer((await loadPayment(tx, paymentId))!));
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
