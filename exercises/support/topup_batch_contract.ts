// Exercise 5's contract: what TopUpBatch accepts and answers. The starter, the
// solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { Currency, Source } from "../../code/types.js";
import { PhoneNumber } from "./topups.js";

export const TopUpItem = z.strictObject({
  phoneNumber: PhoneNumber,
  amount: z.number().int().min(1).max(100_000),
});
export type TopUpItem = z.infer<typeof TopUpItem>;

export const TopUpBatchRequest = z.strictObject({
  /** The customer's card: charged once, for the whole batch. */
  source: Source,
  currency: Currency,
  items: z
    .array(TopUpItem)
    .min(1)
    .max(20)
    .refine((items) => new Set(items.map((item) => item.phoneNumber)).size === items.length, "each phone number may appear once in a batch"),
  /** After this instant (ISO 8601, e.g. "2030-01-01T12:00:00Z") nothing of the batch may execute any more. */
  deadline: z.iso.datetime({ offset: true }),
});
export type TopUpBatchRequest = z.infer<typeof TopUpBatchRequest>;

export interface ItemOutcome {
  phoneNumber: string;
  amount: number;
  status: "succeeded" | "failed";
  /** The provider's top-up, when it succeeded. */
  topUpId: string | null;
  /** Why it failed. */
  failure: string | null;
  /** The gateway's refund of this item's amount, when it failed (compensation). */
  refundId: string | null;
}

export interface BatchReport {
  batchId: string;
  /** Did all, some or none of the top-ups succeed? */
  outcome: "all" | "some" | "none";
  chargeId: string;
  /** The one charge: the sum of the items. */
  charged: number;
  /** The sum of the refunds for failed items. */
  refunded: number;
  items: ItemOutcome[];
}

export function outcomeOf(items: Pick<ItemOutcome, "status">[]): BatchReport["outcome"] {
  const succeeded = items.filter((item) => item.status === "succeeded").length;
  return succeeded === items.length ? "all" : succeeded === 0 ? "none" : "some";
}
