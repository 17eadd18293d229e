// Exercise 1: idempotent order creation. Read README.md next to this file first.
//
// OrderService is a virtual object, one per order id. `create` reserves stock
// at the inventory and charges the customer through the payment gateway.
// This version works when every message arrives exactly once and nothing ever
// fails. Make a duplicate `create` return the same order while reserving and
// charging nothing more, also when a provider's answer is lost or the endpoint
// crashes half-way.
import { randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, TerminalError } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { providerUrls } from "../support/env.js";
import { InventoryClient } from "../support/inventory_client.js";
import { CreateOrderRequest, type Order } from "../support/order_contract.js";

type OrderState = { order: Order };

const inventory = new InventoryClient(providerUrls().inventory);
const gateway = new GatewayClient(providerUrls().gateway);

export const orderService = restate.object({
  name: "OrderService",
  handlers: {
    create: restate.handlers.object.exclusive(
      { input: restate.serde.schema(CreateOrderRequest) },
      async (ctx: ObjectContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {
        const orderId = ctx.key;

        // TODO(exercise): an order that already exists must be answered from state, without
        // reserving or charging again; the same order id with different items must be refused.

        // TODO(exercise): a side effect outside ctx.run runs again on every retry of this handler, and
        // one whose answer was lost is made again unless it carries a key that is the same on every attempt.
        const reservation = await inventory.reserve({ sku: request.sku, quantity: request.quantity, reference: orderId });

        // TODO(exercise): a random idempotency key changes on every retry, so the gateway cannot
        // recognise the repeat. A declined card is not worth retrying either.
        const charge = await gateway.charge(
          { amount: request.amount, currency: request.currency, source: request.source, reference: orderId },
          randomUUID(),
        );

        const order: Order = {
          orderId,
          status: "confirmed",
          ...request,
          reservationId: reservation.id,
          chargeId: charge.id,
          failure: null,
          createdAt: await ctx.date.toJSON(),
        };
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
