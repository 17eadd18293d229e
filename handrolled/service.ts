// The two ways a request is carried out. `phased` is the Stripe-like design:
// take the key, run the atomic phases from its recovery point, replay the
// stored answer. `naive` is what many teams ship first: look up the key, call
// the provider, store the answer; nothing is written before the charge.
import type { Database } from "./database.js";
import { acquireKey, type KeyRow, type StoredResponse, unlock } from "./idempotency_keys.js";
import { runCreate } from "./create_phases.js";
import { runRefund } from "./refund_phases.js";
import type { GatewayClient } from "./provider.js";
import { type ParsedRequest, requestPath } from "./requests.js";

export interface Answer extends StoredResponse {
  replayed: boolean;
}

export interface PaymentHandler {
  handle(request: ParsedRequest, idempotencyKey: string): Promise<Answer>;
}

export function phasedHandler(db: Database, gateway: GatewayClient, leaseMs: number): PaymentHandler {
  return {
    async handle(request, idempotencyKey) {
      const acquired = await acquireKey(db, idempotencyKey, requestPath(request.paymentId, request.kind), request.body, leaseMs);
      if (acquired.kind === "replay") return { ...acquired.response, replayed: true };
      if (acquired.kind === "refused") return { ...acquired.response, replayed: false };
      return { ...(await runPhases(db, gateway, acquired.key, request, leaseMs)), replayed: false };
    },
  };
}

/** Runs a taken key's phases to the end; on an unexpected error the key is freed for the next attempt. */
export async function runPhases(db: Database, gateway: GatewayClient, key: KeyRow, request: ParsedRequest, leaseMs: number): Promise<StoredResponse> {
  try {
    return request.kind === "create"
      ? await runCreate(db, gateway, key, request.paymentId, request.body, leaseMs)
      : await runRefund(db, gateway, key, request.paymentId, request.body);
  } catch (error) {
    await unlock(db, key);
    throw error;
  }
}
