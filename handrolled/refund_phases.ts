// `refund` in atomic phases: the first reserves the amount (a refunds row with
// no provider id yet, so concurrent refunds cannot exceed the charge), the
// provider call runs between phases with a key derived from the refund id, and
// the last records the provider's refund and the new refunded amount together.
// A call whose answer never came keeps its reservation, marked unconfirmed, and
// parks the key; whoever resumes it looks the refund up before sending it again.
import { refundIdempotencyKey } from "../code/payment_service.js";
import type { GatewayRefund, RefundRequest } from "../code/types.js";
import type { Database } from "./database.js";
import { FINISHED, finish, type KeyRow, park, setRecoveryPoint } from "./idempotency_keys.js";
import { callProvider, type GatewayClient, lookUp } from "./provider.js";
import type { ProviderOutcome } from "../code/provider_client.js";
import { error, loadPayment, notFound, ok, unconfirmedRefund } from "./payments_store.js";
import { storedResponse } from "./create_phases.js";

export const REFUND_RESERVED = "refund_reserved";
/** The refund went out and its answer never came: the key is parked here (see idempotency_keys.ts). */
export const REFUND_UNCONFIRMED = "refund_unconfirmed";

export async function runRefund(db: Database, gateway: GatewayClient, key: KeyRow, paymentId: string, request: RefundRequest) {
  // Only the request that made the reservation knows no refund went out: any other looks it up first.
  let firstSend = false;
  for (;;) {
    switch (key.recovery_point) {
      case "started":
        await db.transaction(async (tx) => {
          const payment = await loadPayment(tx, paymentId, true);
          if (!payment) return finish(tx, key, notFound(paymentId));
          const earlier = await tx.query<{ amount: number; gateway_refund_id: string | null }>(
            "SELECT amount, gateway_refund_id FROM refunds WHERE payment_id = $1 AND refund_id = $2",
            [paymentId, request.refundId],
          );
          const found = earlier.rows[0];
          if (found && Number(found.amount) !== request.amount) {
            return finish(
              tx,
              key,
              error(422, `Refund '${request.refundId}' of payment '${paymentId}' was already made for ${found.amount}; ` +
                `a refundId cannot be reused for a different amount (${request.amount}).`),
            );
          }
          if (found?.gateway_refund_id) return finish(tx, key, ok(payment));
          // found with no provider id: another key is refunding it now, or its answer was lost; the lookup and
          // the provider key make joining it safe
          if (!found) {
            if (payment.status !== "succeeded" || payment.chargeId === null) {
              return finish(tx, key, error(409, `Payment '${paymentId}' is ${payment.status}; only a succeeded payment can be refunded.`));
            }
            const reserved = await tx.query<{ total: number }>("SELECT COALESCE(SUM(amount), 0)::int AS total FROM refunds WHERE payment_id = $1", [paymentId]);
            const refundable = payment.amount - Number(reserved.rows[0]!.total);
            if (request.amount > refundable) {
              return finish(
                tx,
                key,
                error(422, `A refund of ${request.amount} exceeds what is left to refund on payment '${paymentId}' ` +
                  `(${refundable} of ${payment.amount} ${payment.currency}).`),
              );
            }
            await tx.query("INSERT INTO refunds (payment_id, refund_id, amount) VALUES ($1, $2, $3)", [paymentId, request.refundId, request.amount]);
            firstSend = true;
          }
          return setRecoveryPoint(tx, key, REFUND_RESERVED);
        });
        break;
      case REFUND_RESERVED:
      case REFUND_UNCONFIRMED: {
        const payment = (await loadPayment(db, paymentId))!;
        const result = firstSend ? await sendRefund(gateway, payment.chargeId!, paymentId, request) : await reconcileRefund(gateway, payment.chargeId!, paymentId, request);
        const answer = await db.transaction(async (tx) => {
          if (result.outcome === "unavailable") {
            // The refund may have happened: its amount stays reserved, and the key waits to look it up.
            const waiting = await tx.query(
              "UPDATE refunds SET unconfirmed = true WHERE payment_id = $1 AND refund_id = $2 AND gateway_refund_id IS NULL RETURNING refund_id",
              [paymentId, request.refundId],
            );
            if (waiting.rows.length > 0) {
              await park(tx, key, REFUND_UNCONFIRMED);
              return unconfirmedRefund(paymentId, request.refundId); // not stored: a retry with this key resumes here
            }
            return finish(tx, key, ok((await loadPayment(tx, paymentId))!)); // recorded by another request meanwhile
          }
          if (result.outcome === "rejected") {
            await tx.query("DELETE FROM refunds WHERE payment_id = $1 AND refund_id = $2 AND gateway_refund_id IS NULL", [paymentId, request.refundId]);
            return finish(tx, key, error(422, `The payment provider refused the refund: ${result.rejection.message}`));
          }
          const recorded = await tx.query(
            `INSERT INTO refunds (payment_id, refund_id, amount, gateway_refund_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (payment_id, refund_id) DO UPDATE SET gateway_refund_id = EXCLUDED.gateway_refund_id, unconfirmed = false
             WHERE refunds.gateway_refund_id IS NULL RETURNING amount`,
            [paymentId, request.refundId, request.amount, result.value.id],
          );
          if (recorded.rows.length > 0) {
            await tx.query("UPDATE payments SET refunded_amount = refunded_amount + $2, updated_at = now() WHERE payment_id = $1", [paymentId, request.amount]);
          }
          return finish(tx, key, ok((await loadPayment(tx, paymentId))!));
        });
        if (key.recovery_point === REFUND_UNCONFIRMED) return answer;
        break;
      }
      case FINISHED:
        return storedResponse(db, key);
      default:
        throw new Error(`Bug: unknown recovery point '${key.recovery_point}' for key ${key.id}`);
    }
  }
}

function sendRefund(gateway: GatewayClient, chargeId: string, paymentId: string, request: RefundRequest): Promise<ProviderOutcome<GatewayRefund>> {
  return callProvider(() => gateway.refundOutcome({ charge: chargeId, amount: request.amount, reference: paymentId }, refundIdempotencyKey(paymentId, request.refundId)));
}

/** A refund that may have gone out before: found by its provider key in the listing (Stripe: its metadata), or sent again with that key. */
async function reconcileRefund(gateway: GatewayClient, chargeId: string, paymentId: string, request: RefundRequest): Promise<ProviderOutcome<GatewayRefund>> {
  const lookup = await callProvider(() => lookUp(() => gateway.listRefunds({ reference: paymentId })));
  if (lookup.outcome !== "done") return lookup;
  const found = lookup.value.find((r) => r.idempotencyKey === refundIdempotencyKey(paymentId, request.refundId));
  return found ? { outcome: "done", value: found } : sendRefund(gateway, chargeId, paymentId, request);
}
