// Exercise 3's contract: what EmailService.send accepts and answers. The
// starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";

const Identifier = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, `${what} must be 1-64 letters, digits, '-' or '_'`);

export const OrderEmailRequest = z.strictObject({
  userId: Identifier("userId"),
  /** Which email this is, e.g. "order-confirmation" or "shipping-notice". */
  template: Identifier("template"),
  orderId: Identifier("orderId"),
  to: z.email("to must be an email address"),
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(10_000),
});
export type OrderEmailRequest = z.infer<typeof OrderEmailRequest>;

export interface EmailReceipt {
  /** The mailer's id of the email that carries this intent (the same for every duplicate). */
  emailId: string;
}
