// Exercise 2's contract: what the Payments object accepts and answers. The
// starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { Amount, Currency, RefundId, Source } from "../../code/types.js";

export const ChargeRequest = z.strictObject({ amount: Amount, currency: Currency, source: Source });
export type ChargeRequest = z.infer<typeof ChargeRequest>;

export const RefundRequest = z.strictObject({ refundId: RefundId, amount: Amount });
export type RefundRequest = z.infer<typeof RefundRequest>;

/**
 * Why a refund is refused, as the `code` in the TerminalError's metadata (the caller reads it from the error's JSON
 * body): `new TerminalError(message, { errorCode: 409, metadata: { code: PAYMENT_NOT_SUCCEEDED } })`. The message is
 * for people, in your words; a program decides by the code.
 */
export const PAYMENT_NOT_SUCCEEDED = "payment_not_succeeded";

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
