// The inventory's API as a caller sees it: its requests, its records, and the
// client (the mock itself is in inventory.ts).
import { z } from "zod";
import { ProviderClient } from "../../code/provider_client.js";

export const Sku = z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,39}$/, "sku must be 1-40 upper-case letters, digits or '-', e.g. \"MUG-RED\"");
export const Reference = z.string().min(1).max(200);

export const ReserveRequest = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(1_000),
  /** The caller's own reference (an order id), so the ledger can be searched by it. */
  reference: Reference,
});
export type ReserveRequest = z.infer<typeof ReserveRequest>;

export interface Reservation {
  id: string;
  object: "reservation";
  sku: string;
  quantity: number;
  reference: string;
  status: "reserved" | "released";
  idempotencyKey: string | null;
  created: string;
}

export class InventoryClient extends ProviderClient {
  constructor(baseUrl: string, timeoutMs?: number) {
    super(baseUrl, "inventory", timeoutMs);
  }

  reserve(request: ReserveRequest, idempotencyKey?: string): Promise<Reservation> {
    return this.post<Reservation>("/v1/reservations", request, idempotencyKey);
  }

  /** Puts the units back. Releasing a released reservation changes nothing. */
  release(reservationId: string, idempotencyKey?: string): Promise<Reservation> {
    return this.post<Reservation>(`/v1/reservations/${encodeURIComponent(reservationId)}/release`, {}, idempotencyKey);
  }

  listReservations(filter: { reference?: string; sku?: string; status?: Reservation["status"] } = {}): Promise<Reservation[]> {
    return this.list<Reservation>("/v1/reservations", filter);
  }

  async stock(sku: string): Promise<number> {
    return (await this.get<{ available: number }>(`/v1/stock/${encodeURIComponent(sku)}`)).available;
  }
}
