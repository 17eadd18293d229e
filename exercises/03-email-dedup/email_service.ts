// Exercise 3: email sending deduplication. Read README.md next to this file first.
//
// EmailService.send asks the mailer to send one email. The business rule: at
// most one email per intent, where the intent is (user, template, order): one
// order confirmation per order, one shipping notice per order. The same words
// sent for a different order are a different intent and must still go out.
//
// This version remembers what it sent in a Map, keyed by the email's content.
// It looks right when you try it by hand once. Find out what it gets wrong.
import { createHash, randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import type { Context } from "@restatedev/restate-sdk";
import { type EmailReceipt, OrderEmailRequest } from "../support/email_contract.js";
import { providerUrls } from "../support/env.js";
import { MailerClient } from "../support/mailer_client.js";

const mailer = new MailerClient(providerUrls().mailer);

// TODO(exercise): this memory lives in one process (gone after a restart, never shared),
// is read and written without any lock, and is keyed by content rather than by intent.
const sentByContent = new Map<string, string>();

export const emailService = restate.service({
  name: "EmailService",
  handlers: {
    send: restate.handlers.handler(
      { input: restate.serde.schema(OrderEmailRequest) },
      async (_ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> => {
        const contentKey = createHash("sha256").update(`${request.to}\n${request.subject}\n${request.body}`).digest("hex");
        const earlier = sentByContent.get(contentKey);
        if (earlier) return { emailId: earlier };

        // TODO(exercise): a retry of this handler sends again: outside ctx.run, with a new key each time.
        const email = await mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, randomUUID());
        sentByContent.set(contentKey, email.id);
        return { emailId: email.id };
      },
    ),
  },
});
