// Exercise 1, solved: idempotent order creation. See README.md for why.
//
// Three layers, the same as PaymentService in code/:
//  1. the object key is the order id: Restate runs one `create` per order at a
//     time, and the order in state answers every later duplicate;
//  2. each side effect runs in ctx.run: a retry of the handler replays the
//     journaled reservation and charge instead of making them again;
//  3. each provider call carries a key derived from the order id: it covers the
//     one gap the journal cannot, a crash or lost answer after the provider
//     acted but before its answer was journaled.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../../exercises/support/env.js";
import { InventoryClient } from "../../exercises/support/inventory_client.js";
import { CreateOrderRequest, type Order } from "../../exercises/support/order_contract.js";

type OrderState = { order: Order };

const inventory = new InventoryClient(providerUrls().inventory);
const gateway = new GatewayClient(providerUrls().gateway);

/** Provider keys: the same order always maps to the same reservation, charge and release. */
const providerKey = (orderId: string, step: "reserve" | "charge" | "release") => `order-${orderId}-${step}`;

export const orderService = restate.object({
  name: "OrderService",
  handlers: {
    create: restate.handlers.object.exclusive(
      { input: restate.serde.schema(CreateOrderRequest) },
      async (ctx: ObjectContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {
        const orderId = ctx.key;
        const stored = await ctx.get("order");
        if (stored) {
          refuseDifferentItems(stored, request);
          return answer(stored);
        }

        const reservation = await ctx.run("reserve stock", () =>
          inventory
            .reserve({ sku: request.sku, quantity: request.quantity, reference: orderId }, providerKey(orderId, "reserve"))
            .catch(finalIfRejected),
        );

        // A decline is an answer, not a failure: journal it as a value so it is never retried.
        const charge = await ctx.run("charge", async () => {
          try {
            const made = await gateway.charge(
              { amount: request.amount, currency: request.currency, source: request.source, reference: orderId },
              providerKey(orderId, "charge"),
            );
            return { declined: false as const, chargeId: made.id };
          } catch (error) {
            if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retry with the same key
            const failedCharge = error.chargeId ?? null;
            return { declined: true as const, chargeId: failedCharge, reason: error.message };
          }
        });

        const base = { orderId, ...request, reservationId: reservation.id, chargeId: charge.chargeId, createdAt: await ctx.date.toJSON() };
        if (charge.declined) {
          await ctx.run("release stock", () => inventory.release(reservation.id, providerKey(orderId, "release")));
          const declined: Order = { ...base, status: "declined", failure: charge.reason };
          ctx.set("order", declined); // remembered: a duplicate gets the same 402 and charges nothing
          return answer(declined);
        }
        const order: Order = { ...base, status: "confirmed", failure: null };
        ctx.set("order", order);
        return order;
      },
    ),

    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<OrderState>): Promise<Order> => {
      const order = await ctx.get("order");
      if (!order) throw new TerminalError(`No order '${ctx.key}'.`, { errorCode: 404 });
      return order;
    }),
  },
});

/** The stored order as the answer to `create`: the order, or the same 402 every time. */
function answer(order: Order): Order {
  if (order.status === "declined") {
    throw new TerminalError(`Order '${order.orderId}' was declined: ${order.failure} The stock was released.`, { errorCode: 402 });
  }
  return order;
}

function refuseDifferentItems(stored: Order, request: CreateOrderRequest): void {
  const differences = (["sku", "quantity", "amount", "currency", "source"] as const)
    .filter((field) => stored[field] !== request[field])
    .map((field) => `${field} ${JSON.stringify(stored[field])} (now ${JSON.stringify(request[field])})`);
  if (differences.length === 0) return;
  throw new TerminalError(
    `Order '${stored.orderId}' already exists with different items: ${differences.join(", ")}. Use a new order id for a different order.`,
    { errorCode: 422 },
  );
}

/** A refusal (out of stock, a bad request) will not change on retry: make it final. */
function finalIfRejected(error: unknown): never {
  if (error instanceof ProviderRejection) throw new TerminalError(error.message, { errorCode: 409 });
  throw error;
}
