// The client the service uses to reach the payment provider: what a real
// provider offers, no more. Charges and refunds carry the provider's
// idempotency key; listing charges by our reference is how the service finds
// out what happened to a charge whose answer was lost.
import { ProviderClient, type ProviderOutcome } from "./provider_client.js";
import type { Charge, ChargeRequest, GatewayRefund, RefundChargeRequest } from "./types.js";

export class GatewayClient extends ProviderClient {
  constructor(baseUrl: string, timeoutMs?: number) {
    super(baseUrl, "payment provider", timeoutMs);
  }

  /** Charges a card. Throws ProviderRejection for a decline, ProviderUnavailable when the outcome is unknown. */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<Charge> {
    return this.post<Charge>("/v1/charges", request, idempotencyKey);
  }

  /** The same charge, its outcome as a value (what a journaled step stores). */
  chargeOutcome(request: ChargeRequest, idempotencyKey: string): Promise<ProviderOutcome<Charge>> {
    return this.exchange<Charge>("/v1/charges", request, idempotencyKey);
  }

  refund(request: RefundChargeRequest, idempotencyKey: string): Promise<GatewayRefund> {
    return this.post<GatewayRefund>("/v1/refunds", request, idempotencyKey);
  }

  refundOutcome(request: RefundChargeRequest, idempotencyKey: string): Promise<ProviderOutcome<GatewayRefund>> {
    return this.exchange<GatewayRefund>("/v1/refunds", request, idempotencyKey);
  }

  listCharges(filter: { reference?: string } = {}): Promise<Charge[]> {
    return this.list<Charge>("/v1/charges", filter);
  }

  listRefunds(filter: { reference?: string; charge?: string } = {}): Promise<GatewayRefund[]> {
    return this.list<GatewayRefund>("/v1/refunds", filter);
  }
}
