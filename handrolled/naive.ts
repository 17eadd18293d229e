// The NAIVE variant, kept as the course's contrast: look up the key, charge,
// store the answer. No lock, no phases, no recovery point, no completer; the
// provider key is the same as the phased variant's, so the only difference is
// what is written before the charge (nothing) and who finishes a request a
// crash interrupted (nobody but the client, if it comes back).
// Refunds and getStatus use the phased code: the contrast is `create`.
import { chargeIdempotencyKey } from "../code/payment_service.js";
import type { Database } from "./database.js";
import { fingerprint, storedAnswer } from "./idempotency_keys.js";
import { chargeMayBeOut, chargeOutcome } from "../code/payment_outcomes.js";
import { createAnswer, differentParameters, loadPayment } from "./payments_store.js";
import { callProvider, type GatewayClient } from "./provider.js";
import { requestPath } from "./requests.js";
import { type PaymentHandler, phasedHandler } from "./service.js";

export function naiveHandler(db: Database, gateway: GatewayClient, leaseMs: number): PaymentHandler {
  const phased = phasedHandler(db, gateway, leaseMs);
  return {
    async handle(request, idempotencyKey) {
      if (request.kind !== "create") return phased.handle(request, idempotencyKey);
      const { paymentId, body } = request;
      const path = requestPath(paymentId, "create");
      const print = fingerprint(path, body);

      const known = await db.query<{ fingerprint: string; response_code: number; response_body: string }>(
        "SELECT fingerprint, response_code, response_body FROM idempotency_keys WHERE request_path = $1 AND idempotency_key = $2",
        [path, idempotencyKey],
      );
      const row = known.rows[0];
      if (row && row.fingerprint !== print) return { status: 422, body: { message: `Idempotency key '${idempotencyKey}' was already used with a different request body.` }, replayed: false };
      if (row) return { ...storedAnswer(row), replayed: true };

      const stored = await loadPayment(db, paymentId);
      const refusal = stored && differentParameters(stored, body);
      if (refusal) return { ...refusal, replayed: false };
      if (stored && !chargeMayBeOut(stored)) return { ...createAnswer(stored), replayed: false };

      const result = await callProvider(() =>
        gateway.chargeOutcome({ amount: body.amount, currency: body.currency, source: body.source, reference: paymentId }, chargeIdempotencyKey(paymentId)),
      );
      const outcome = chargeOutcome(result);
      const response = await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO payments (payment_id, status, amount, currency, source, charge_id, failure) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (payment_id) DO UPDATE SET status = $2, charge_id = $6, failure = $7, updated_at = now()`,
          [paymentId, outcome.status, body.amount, body.currency, body.source, outcome.chargeId, outcome.failure && JSON.stringify(outcome.failure)],
        );
        const answer = createAnswer((await loadPayment(tx, paymentId))!);
        await tx.query(
          `INSERT INTO idempotency_keys (idempotency_key, request_path, request_params, fingerprint, recovery_point, locked_at, response_code, response_body)
           VALUES ($1, $2, $3, $4, 'finished', NULL, $5, $6) ON CONFLICT DO NOTHING`,
          [idempotencyKey, path, JSON.stringify(body), print, answer.status, JSON.stringify(answer.body)],
        );
        return answer;
      });
      return { ...response, replayed: false };
    },
  };
}
