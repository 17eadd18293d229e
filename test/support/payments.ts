// Small helpers the reliability cases share: the standard request, unique ids,
// polling, and a client that retries the way a real one would (same key).
import { randomUUID } from "node:crypto";
import { waitFor } from "../../orchestration/processes.js";
import type { GatewayClient } from "../../code/gateway_client.js";
import { type CallOptions, Ingress, type IngressResponse, type PaymentAnswer } from "./ingress.js";

export const visa = { amount: 10_000, currency: "USD", source: "tok_visa" } as const;

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Heavier counts for `npm run test:chaos`; CI runs the fast versions. */
export const CHAOS = process.env.CHAOS === "1";

export async function succeededCharges(gateway: GatewayClient, paymentId: string) {
  return (await gateway.listCharges({ reference: paymentId })).filter((c) => c.status === "succeeded");
}

export async function waitForStatus(ingress: Ingress, paymentId: string, status: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`payment ${paymentId} to be ${status}`, async () => (await ingress.getStatus(paymentId)).body?.status === status, {
    timeoutMs,
  });
}

/**
 * What a well-behaved client does when the connection breaks (restate-server
 * restarting, say): send the same request again, with the same idempotency key.
 */
export async function createWithRetries(
  ingress: Ingress,
  paymentId: string,
  request: unknown,
  options: CallOptions & { attempts?: number } = {},
): Promise<IngressResponse<PaymentAnswer>> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await ingress.createPayment(paymentId, request, options);
      if (response.status < 500 || response.body?.source === "invocation" || attempt >= attempts) return response;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 1_000)));
  }
}

export { Ingress };
