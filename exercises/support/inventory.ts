// A mock inventory: stock levels per SKU and reservations against them.
// Every reservation is in the ledger (`GET /v1/reservations?reference=...`),
// so a check can count how often an order reserved stock.
import { z } from "zod";
import { ProviderClient } from "./provider_client.js";
import { type MockProvider, ProviderError, type ProviderFaults, createMockProvider, listNewestFirst, newId } from "./provider_kit.js";

/** Every SKU starts with this many units (after a reset too). */
export const INITIAL_STOCK = 1_000;

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

export function createInventory(options: { log?: (line: string) => void; faults?: Partial<ProviderFaults> } = {}): MockProvider & {
  reservations: Reservation[];
} {
  const reservations: Reservation[] = [];
  const reserved = new Map<string, number>();
  const available = (sku: string) => INITIAL_STOCK - (reserved.get(sku) ?? 0);
  const log = options.log ?? (() => {});

  const provider = createMockProvider({
    name: "inventory",
    log,
    faults: options.faults,
    clearLedger: () => {
      reservations.length = 0;
      reserved.clear();
    },
    define: (kit) => {
      kit.operation("post", "/v1/reservations", ReserveRequest, (request, idempotencyKey) => {
        if (request.quantity > available(request.sku)) {
          throw new ProviderError(422, "insufficient_stock", `Only ${available(request.sku)} of ${request.sku} left; ${request.quantity} requested.`);
        }
        reserved.set(request.sku, (reserved.get(request.sku) ?? 0) + request.quantity);
        const reservation: Reservation = {
          id: newId("res"),
          object: "reservation",
          sku: request.sku,
          quantity: request.quantity,
          reference: request.reference,
          status: "reserved",
          idempotencyKey,
          created: new Date().toISOString(),
        };
        reservations.push(reservation);
        log(`reserved ${reservation.id}: ${request.quantity} x ${request.sku} ref=${request.reference}`);
        return { status: 200, body: reservation };
      });

      kit.operation("post", "/v1/reservations/:id/release", z.strictObject({}), (_request, _key, params) => {
        const reservation = reservations.find((r) => r.id === params.id);
        if (!reservation) throw new ProviderError(404, "resource_missing", `No such reservation: '${params.id}'`);
        if (reservation.status === "reserved") {
          reservation.status = "released";
          reserved.set(reservation.sku, (reserved.get(reservation.sku) ?? 0) - reservation.quantity);
          log(`released ${reservation.id}: ${reservation.quantity} x ${reservation.sku}`);
        }
        return { status: 200, body: reservation };
      });

      kit.query("/v1/reservations", (query) => listNewestFirst(reservations, query, ["reference", "sku", "status"]));
      kit.query("/v1/stock/:sku", (_query, params) => ({ sku: params.sku, available: available(params.sku ?? "") }));
    },
  });
  return Object.assign(provider, { reservations });
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
