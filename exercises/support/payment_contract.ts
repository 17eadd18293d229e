// Exercise 2's contract: what the Payments object accepts and answers. The
// starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { Amount, Currency, RefundId, Source } from "../../code/types.js";

export const ChargeRequest = z.strictObject({ amount: Amount, currency: Currency, source: Source });
export type ChargeRequest = z.infer<typeof ChargeRequest>;

export const RefundRequest = z.strictObject({ refundId: RefundId, amount: Amount });
export type RefundRequest = z.infer<typeof RefundRequest>;

export interface Refund {
  refundId: string;
  amount: number;
  /** The gateway's refund (`re_...`). */
  gatewayRefundId: string;
  createdAt: string;
}

export interface Payment {
  paymentId: string;
  status: "succeeded" | "declined";
  amount: number;
  currency: string;
  /** The gateway's charge; for a declined card, the failed attempt. */
  chargeId: string | null;
  refundedAmount: number;
  refunds: Refund[];
  /** Why the card was declined. */
  failure: string | null;
  createdAt: string;
}
