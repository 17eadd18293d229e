// The mock providers' admin API (faults, reset, key counts), which no real
// provider has: used by tests, the benchmark and the checker, never by a
// service. `MockGatewayClient` is the gateway's client with it.
import { z } from "zod";
import { GatewayClient } from "./gateway_client.js";
import type { ProviderClient } from "./provider_client.js";
import { FaultSettings } from "./types.js";

/** What a test may ask of any mock provider. */
export interface MockAdmin {
  /** Switches faults on or off (only the fields given change); returns the faults now in force. */
  setFaults(faults: Partial<FaultSettings>): Promise<FaultSettings>;
  getFaults(): Promise<FaultSettings>;
  /** Clears the ledger, the idempotency keys and the faults. */
  reset(): Promise<void>;
  /** How many requests carried this idempotency key (replays included). */
  requestsWithKey(idempotencyKey: string): Promise<number>;
}

// A mixin's constructor must take `any[]` (TypeScript's rule for mixin classes).
type ClientClass = abstract new (...args: any[]) => ProviderClient;

/** A provider client class with the mock's admin API added. */
export function withMockAdmin<Base extends ClientClass>(Client: Base) {
  abstract class WithMockAdmin extends Client implements MockAdmin {
    async setFaults(faults: Partial<FaultSettings>): Promise<FaultSettings> {
      return FaultSettings.parse(await this.request<unknown>("PUT", "/admin/faults", faults));
    }

    async getFaults(): Promise<FaultSettings> {
      return FaultSettings.parse(await this.request<unknown>("GET", "/admin/faults"));
    }

    async reset(): Promise<void> {
      await this.request("POST", "/admin/reset", {});
    }

    async requestsWithKey(idempotencyKey: string): Promise<number> {
      return z.object({ requests: z.number() }).parse(await this.request<unknown>("GET", `/admin/keys/${encodeURIComponent(idempotencyKey)}`)).requests;
    }
  }
  return WithMockAdmin;
}

export class MockGatewayClient extends withMockAdmin(GatewayClient) {}
