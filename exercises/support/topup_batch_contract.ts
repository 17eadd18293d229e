// Exercise 5's contract: what TopUpBatch accepts and answers. The starter, the
// solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { Currency, Source } from "../../code/types.js";
import { PhoneNumber } from "./topup_client.js";

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
  /**
   * After this instant (ISO 8601, e.g. "2030-01-01T12:00:00Z") nothing more of the batch is sent to a provider.
   * An effect whose attempt went out before it, with its answer lost, is looked up at the provider by the batch id:
   * adopted if it happened, and refunded if the batch is refused.
   */
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

/**
 * The `metadata` of a refused batch's error (TerminalError's `metadata`, in the error body the caller gets), so a
 * program can tell exactly what happened without reading the message. Amounts are in minor units, as strings
 * (metadata values are strings).
 *  - `deadline_passed` (422): the deadline passed before the charge was confirmed. `charged` is what the gateway
 *    holds for the batch ("0" only when its ledger was looked up and has no charge); when something was charged,
 *    `chargeId` names it and `refundId` its compensation, refunded in full (`refunded`). Nothing was topped up.
 *  - `card_declined` (402): the card was declined; nothing was charged or topped up.
 *  - `batch_id_reused` (422): the batch id was first used with another request.
 */
export type RefusalMetadata =
  | { code: "deadline_passed"; charged: string; refunded: string; chargeId?: string; refundId?: string }
  | { code: "card_declined" }
  | { code: "batch_id_reused" };

/** The codes of RefusalMetadata, for callers and checks. */
export const REFUSAL_CODES = { deadlinePassed: "deadline_passed", cardDeclined: "card_declined", batchIdReused: "batch_id_reused" } as const;
