// Calls to the payment provider with the reference service's retry budget
// (PROVIDER_RETRIES), sorted the same way: done, rejected on purpose, or
// unavailable after every attempt.
import { GatewayClient, GatewayRejection } from "../code/gateway_client.js";
import { PROVIDER_RETRIES } from "../code/payment_service.js";

export type ProviderResult<T> =
  | { outcome: "done"; value: T }
  | { outcome: "rejected"; status: number; code: string; declineCode?: string; message: string; chargeId?: string }
  | { outcome: "unavailable"; message: string };

export async function callProvider<T>(call: () => Promise<T>): Promise<ProviderResult<T>> {
  let delay = PROVIDER_RETRIES.initialRetryInterval;
  for (let attempt = 1; ; attempt++) {
    try {
      return { outcome: "done", value: await call() };
    } catch (error) {
      if (error instanceof GatewayRejection) {
        const body = error.body as GatewayRejection["body"] & { charge?: string };
        return {
          outcome: "rejected",
          status: error.status,
          code: body.error.code,
          declineCode: body.error.declineCode,
          message: body.error.message,
          chargeId: body.charge,
        };
      }
      if (attempt >= PROVIDER_RETRIES.maxRetryAttempts) {
        return { outcome: "unavailable", message: error instanceof Error ? error.message : String(error) };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * PROVIDER_RETRIES.retryIntervalFactor, PROVIDER_RETRIES.maxRetryInterval);
  }
}

export { GatewayClient };
