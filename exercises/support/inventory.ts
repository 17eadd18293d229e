// A mock inventory: stock levels per SKU and reservations against them.
// Every reservation is in the ledger (`GET /v1/reservations?reference=...`),
// so a check can count how often an order reserved stock. Its API and client: inventory_client.ts.
import { z } from "zod";
import { createMockProvider, invalidRequest, listNewestFirst, type MockProvider, newId } from "../../code/mock_provider.js";
import type { FaultSettings } from "../../code/types.js";
import { type Reservation, ReserveRequest } from "./inventory_client.js";

/** Every SKU starts with this many units (after a reset too). */
export const INITIAL_STOCK = 1_000;

type InventoryEvent = { type: "reserved"; reservation: Reservation } | { type: "released"; reservationId: string };

export function createInventory(options: { log?: (line: string) => void; faults?: Partial<FaultSettings> } = {}): MockProvider & {
  reservations: Reservation[];
} {
  const reservations: Reservation[] = [];
  const reserved = new Map<string, number>();
  const available = (sku: string) => INITIAL_STOCK - (reserved.get(sku) ?? 0);
  const log = options.log ?? (() => {});

  const provider = createMockProvider<InventoryEvent>({
    name: "inventory",
    log,
    faults: options.faults,
    apply: (event) => {
      if (event.type === "reserved") {
        reservations.push(event.reservation);
        reserved.set(event.reservation.sku, (reserved.get(event.reservation.sku) ?? 0) + event.reservation.quantity);
        return;
      }
      const reservation = reservations.find((r) => r.id === event.reservationId);
      if (reservation?.status !== "reserved") return;
      reservation.status = "released";
      reserved.set(reservation.sku, (reserved.get(reservation.sku) ?? 0) - reservation.quantity);
    },
    clearLedger: () => {
      reservations.length = 0;
      reserved.clear();
    },
    define: (kit) => {
      kit.operation("/v1/reservations", ReserveRequest, (request, { idempotencyKey, record }) => {
        if (request.quantity > available(request.sku)) {
          throw invalidRequest(`Only ${available(request.sku)} of ${request.sku} left; ${request.quantity} requested.`, "insufficient_stock", 422);
        }
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
        record({ type: "reserved", reservation });
        log(`reserved ${reservation.id}: ${request.quantity} x ${request.sku} ref=${request.reference}`);
        return { status: 200, body: reservation };
      });

      kit.operation("/v1/reservations/:id/release", z.strictObject({}), (_request, { params, record }) => {
        const reservation = reservations.find((r) => r.id === params.id);
        if (!reservation) throw invalidRequest(`No such reservation: '${params.id}'`, "resource_missing", 404);
        if (reservation.status === "reserved") {
          record({ type: "released", reservationId: reservation.id });
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
