// `refund` in atomic phases: the first reserves the amount (a refunds row with
// no provider id yet, so concurrent refunds cannot exceed the charge), the
// provider call runs between phases with a key derived from the refund id, and
// the last records the provider's refund and the new refunded amount together.
import { refundIdempotencyKey } from "../code/payment_service.js";
import type { RefundRequest } from "../code/types.js";
import type { Database } from "./database.js";
import { FINISHED, finish, type KeyRow, setRecoveryPoint } from "./idempotency_keys.js";
import { callProvider, type GatewayClient } from "./provider.js";
import { error, loadPayment, notFound, ok } from "./payments_store.js";
import { storedResponse } from "./create_phases.js";

export const REFUND_RESERVED = "refund_reserved";

export async function runRefund(db: Database, gateway: GatewayClient, key: KeyRow, paymentId: string, request: RefundRequest) {
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
          // found with no provider id: another key is refunding it now; the provider key makes joining it safe
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
          }
          return setRecoveryPoint(tx, key, REFUND_RESERVED);
        });
        break;
      case REFUND_RESERVED: {
        const payment = (await loadPayment(db, paymentId))!;
        const result = await callProvider(() =>
          gateway.refund({ charge: payment.chargeId!, amount: request.amount, reference: paymentId }, refundIdempotencyKey(paymentId, request.refundId)),
        );
        await db.transaction(async (tx) => {
          if (result.outcome !== "done") {
            await tx.query("DELETE FROM refunds WHERE payment_id = $1 AND refund_id = $2 AND gateway_refund_id IS NULL", [paymentId, request.refundId]);
            const response =
              result.outcome === "unavailable"
                ? error(502, `The payment provider is unavailable (${result.message}). Nothing was recorded; retry later with the same refundId: it cannot refund twice.`)
                : error(422, `The payment provider refused the refund: ${result.message}`);
            return finish(tx, key, response);
          }
          const recorded = await tx.query(
            `INSERT INTO refunds (payment_id, refund_id, amount, gateway_refund_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (payment_id, refund_id) DO UPDATE SET gateway_refund_id = EXCLUDED.gateway_refund_id
             WHERE refunds.gateway_refund_id IS NULL RETURNING amount`,
            [paymentId, request.refundId, request.amount, result.value.id],
          );
          if (recorded.rows.length > 0) {
            await tx.query("UPDATE payments SET refunded_amount = refunded_amount + $2, updated_at = now() WHERE payment_id = $1", [paymentId, request.amount]);
          }
          return finish(tx, key, ok((await loadPayment(tx, paymentId))!));
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
