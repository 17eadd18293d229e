// Calls to the payment provider with the reference service's retry budget
// (PROVIDER_RETRIES): an unknown outcome is tried again, the same call with the
// same key; a charge or refund that is done or rejected is its answer.
import type { GatewayClient } from "../code/gateway_client.js";
import { PROVIDER_RETRIES } from "../code/payment_service.js";
import type { ProviderOutcome } from "../code/provider_client.js";

export async function callProvider<T>(call: () => Promise<ProviderOutcome<T>>): Promise<ProviderOutcome<T>> {
  let delay = PROVIDER_RETRIES.initialRetryInterval;
  for (let attempt = 1; ; attempt++) {
    const outcome = await call();
    if (outcome.outcome !== "unavailable" || attempt >= PROVIDER_RETRIES.maxRetryAttempts) return outcome;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * PROVIDER_RETRIES.retryIntervalFactor, PROVIDER_RETRIES.maxRetryInterval);
  }
}

/** A lookup in the provider's ledger as an outcome: a failed lookup is an unknown outcome, retried like any call. */
export async function lookUp<T>(read: () => Promise<T>): Promise<ProviderOutcome<T>> {
  try {
    return { outcome: "done", value: await read() };
  } catch (error) {
    return { outcome: "unavailable", message: error instanceof Error ? error.message : String(error) };
  }
}

export type { GatewayClient };
