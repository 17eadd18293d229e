// Exercise 3's contract: what EmailService.send accepts and answers. The
// starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { identifier } from "../../code/types.js";


export const OrderEmailRequest = z.strictObject({
  userId: identifier("userId"),
  /** Which email this is, e.g. "order-confirmation" or "shipping-notice". */
  template: identifier("template"),
  orderId: identifier("orderId"),
  to: z.email("to must be an email address"),
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(10_000),
});
export type OrderEmailRequest = z.infer<typeof OrderEmailRequest>;

export interface EmailReceipt {
  /** The mailer's id of the email that carries this intent (the same for every duplicate). */
  emailId: string;
}
