// Exercise 1's contract: what OrderService accepts and answers. The starter,
// the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { Amount, Currency, Source, identifier } from "../../code/types.js";
import { Sku } from "./inventory_client.js";

export const OrderId = identifier("order id");

export const CreateOrderRequest = z.strictObject({
  sku: Sku,
  quantity: z.number().int().min(1).max(100),
  /** The price to charge, in minor units. */
  amount: Amount,
  currency: Currency,
  source: Source,
});
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

export interface Order {
  orderId: string;
  status: "confirmed" | "declined";
  sku: string;
  quantity: number;
  amount: number;
  currency: string;
  source: string;
  /** The inventory's reservation (released again when the card is declined). */
  reservationId: string | null;
  /** The gateway's charge (for a declined card: the failed attempt). */
  chargeId: string | null;
  /** Why the order failed, for a declined order. */
  failure: string | null;
  createdAt: string;
}
