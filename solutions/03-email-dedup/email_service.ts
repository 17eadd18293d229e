// Exercise 3, solved: at most one email per business intent. See README.md for why.
//
// The intent (user, template, order) becomes the key of a virtual object,
// EmailIntent. Its state remembers the email sent for that intent: durably (a
// restart forgets nothing), per intent (the same words for another order are
// another object), and behind an exclusive handler (two copies arriving
// together cannot both pass the "not sent yet?" check). The send itself is
// journaled and carries a key derived from the intent, for the lost answer.
import * as restate from "@restatedev/restate-sdk";
import type { Context, ObjectContext } from "@restatedev/restate-sdk";
import { type EmailReceipt, OrderEmailRequest } from "../../exercises/support/email_contract.js";
import { providerUrls } from "../../exercises/support/env.js";
import { MailerClient } from "../../exercises/support/mailer_client.js";

const mailer = new MailerClient(providerUrls().mailer);

/** The business identity of an email: who, which email, about what. (The parts cannot contain '/'.) */
export const intentKey = (request: Pick<OrderEmailRequest, "userId" | "template" | "orderId">) =>
  `${request.userId}/${request.template}/${request.orderId}`;

export const emailIntent = restate.object({
  name: "EmailIntent",
  handlers: {
    send: restate.handlers.object.exclusive(
      { input: restate.serde.schema(OrderEmailRequest) },
      async (ctx: ObjectContext<{ emailId: string }>, request: OrderEmailRequest): Promise<EmailReceipt> => {
        const sent = await ctx.get("emailId");
        if (sent) return { emailId: sent };
        const email = await ctx.run("send email", () =>
          mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, `email-${ctx.key}`),
        );
        ctx.set("emailId", email.id);
        return { emailId: email.id };
      },
    ),
  },
});

export const emailService = restate.service({
  name: "EmailService",
  handlers: {
    send: restate.handlers.handler(
      { input: restate.serde.schema(OrderEmailRequest) },
      async (ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> =>
        ctx.objectClient<typeof emailIntent>({ name: "EmailIntent" }, intentKey(request)).send(request),
    ),
  },
});
