// Exercise 3: at most one email per business intent (user + template + order), and every intent gets its email.
import type { EmailReceipt, OrderEmailRequest } from "../../exercises/support/email_contract.js";
import type { Email } from "../../exercises/support/mailer_client.js";
import { type CheckContext, expect, expectAskedOnce, fail, times } from "../lib/check.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import { type DeclaredEffect, faultMatrix } from "../lib/faults.js";
import type { Answer } from "../lib/restate.js";

type ReceiptAnswer = EmailReceipt & { message?: string };

/** A fresh user with an address of their own, so the mailer's ledger for that address holds only this check's emails. */
function orderConfirmation(ctx: CheckContext, userId = ctx.id("user")): OrderEmailRequest {
  return {
    userId,
    template: "order-confirmation",
    orderId: ctx.id("order"),
    to: `${userId}@example.com`,
    subject: "Thanks for your order",
    body: "We received your order and will let you know when it ships.",
  };
}

const send = (ctx: CheckContext, request: OrderEmailRequest): Promise<Answer<ReceiptAnswer>> =>
  ctx.restate.invoke({ service: "EmailService", handler: "send" }, request);

function expectReceipt(answer: Answer<ReceiptAnswer>, what: string): string {
  expect(answer.status === 200, `${what} answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 120)}), expected 200 with {"emailId"}`);
  expect(typeof answer.body?.emailId === "string", `${what} answered ${answer.text.slice(0, 120)}, expected {"emailId": "<the mailer's email id>"}`);
  return answer.body.emailId;
}

const inbox = (ctx: CheckContext, request: OrderEmailRequest): Promise<Email[]> => ctx.mailer.listEmails({ to: request.to });

function expectOneEmail(emails: Email[], hint: string): void {
  if (emails.length !== 1) fail(`the user got ${times(emails.length)} the same email for one intent: ${hint}`, { detail: emails });
}

/** The exercise's one side effect, checked with its answer lost. */
const EFFECTS: DeclaredEffect[] = [
  {
    id: "email",
    what: "the email",
    door: "providers",
    path: "/v1/emails",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "user",
    async scenario(ctx, userId) {
      // Everything derived from the user id: the concurrent column sends copies of this very request.
      const request = { ...orderConfirmation(ctx, userId), orderId: `${userId}-order` };
      const emailId = expectReceipt(await send(ctx, request), "send (with the mailer's answer lost)");
      const emails = await inbox(ctx, request);
      expect(emails[0]?.id === emailId, `send answered email ${emailId}, but the mailer sent ${emails[0]?.id}`);
    },
    made: async (ctx, userId) => (await ctx.mailer.listEmails({ to: `${userId}@example.com` })).length,
  },
];

export const exercise: ExerciseDefinition = {
  number: 3,
  folder: "03-email-dedup",
  title: "Email sending deduplication",
  services: ["EmailService"],
  checks: [
    {
      id: "sends-email",
      name: "sends the order confirmation, and answers with the mailer's email id",
      section: "what-idempotency-means",
      async run(ctx) {
        const request = orderConfirmation(ctx);
        const emailId = expectReceipt(await send(ctx, request), "send");
        const emails = await inbox(ctx, request);
        expect(emails.length === 1, `the mailer sent ${emails.length} emails to ${request.to}, expected 1`);
        expect(emails[0]!.subject === request.subject, `the mailer sent subject "${emails[0]!.subject}", expected "${request.subject}"`);
        expect(emails[0]!.id === emailId, `send answered emailId ${emailId}, but the mailer's email is ${emails[0]!.id}`);
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/emails", request.orderId).length, "the email");
      },
    },
    {
      id: "duplicate-intent",
      name: "the same intent sent twice: one email, and the same email id both times",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        const request = orderConfirmation(ctx);
        const first = expectReceipt(await send(ctx, request), "the first send");
        const second = expectReceipt(await send(ctx, request), "the duplicate send");
        expectOneEmail(await inbox(ctx, request), "remember the email sent for each (user, template, order) and answer a repeat from that record");
        expect(second === first, `the duplicate answered emailId ${second}, the first ${first}: answer with the email that was sent`);
      },
    },
    {
      id: "concurrent-duplicates",
      name: "five copies of one intent at the same time: one email",
      section: "concurrent-duplicates",
      async run(ctx) {
        const request = orderConfirmation(ctx);
        await ctx.mailer.setFaults({ latencyMs: 500 }); // the copies overlap, however fast the machine
        const answers = await Promise.all(Array.from({ length: 5 }, () => send(ctx, request)));
        const ids = answers.map((answer, index) => expectReceipt(answer, `copy ${index + 1} of 5`));
        expectOneEmail(
          await inbox(ctx, request),
          "copies arriving together all passed the 'sent already?' check; make the intent the key of a virtual object, whose exclusive handler lets one copy in at a time",
        );
        expect(new Set(ids).size === 1, `the copies were answered with ${new Set(ids).size} different email ids`);
      },
    },
    {
      id: "duplicate-after-restart",
      name: "a duplicate after the endpoint restarted: still one email",
      section: "anti-patterns",
      timeoutMs: 60_000,
      async run(ctx) {
        const request = orderConfirmation(ctx);
        expectReceipt(await send(ctx, request), "the first send");
        await ctx.endpoint.restart();
        expectReceipt(await send(ctx, request), "the duplicate, after the restart");
        const inMemory = "what was sent was remembered in the endpoint's memory, which a restart (or a second replica) does not have; keep it in Restate state";
        expectOneEmail(await inbox(ctx, request), inMemory);
        // The mailer's key may absorb the repeat; asking it again still shows that the record was lost.
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/emails", request.orderId).length, "the email", { why: inMemory, section: "anti-patterns" });
      },
    },
    {
      id: "lost-mailer-answer",
      name: "the mailer sends but its answer is lost: the retry sends nothing more",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const request = orderConfirmation(ctx);
        await ctx.mailer.setFaults({ dropNext: 1 });
        const emailId = expectReceipt(await send(ctx, request), "send (with the mailer's answer dropped once)");
        const emails = await inbox(ctx, request);
        expectOneEmail(emails, "send inside ctx.run and give the mailer an idempotency key derived from the intent, so the retry is recognised");
        expect(emails[0]!.id === emailId, `send answered emailId ${emailId}, but the mailer's one email is ${emails[0]!.id}`);
      },
    },
    {
      id: "colliding-intents",
      name: "intents built to collide on a separator (user 'u-1' + template 'x', user 'u' + template '1-x', one order) get an email each",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        // Ids may contain '-' and '_': an intent key joined with either gives these two intents one key.
        const user = ctx.id("user");
        const orderId = ctx.id("order");
        for (const sep of ["-", "_"]) {
          const first = { ...orderConfirmation(ctx, `${user}${sep}1`), template: "x", orderId };
          const second = { ...orderConfirmation(ctx, user), to: `${user}${sep === "-" ? "dash" : "underscore"}@example.com`, template: `1${sep}x`, orderId };
          const a = expectReceipt(await send(ctx, first), `the email of user '${first.userId}', template 'x'`);
          const b = expectReceipt(await send(ctx, second), `the email of user '${second.userId}', template '${second.template}'`);
          const got = (await inbox(ctx, second)).length;
          expect(
            got === 1 && a !== b,
            `user '${second.userId}' with template '${second.template}' got ${got} email(s) (answered ${b === a ? "with the other intent's email id" : `email ${b}`}), ` +
              `because its intent key is the key of user '${first.userId}' with template 'x' (same order): ids may contain '-' and '_'; ` +
              "join the parts with a separator they cannot contain ('/'), or make the intent the object's key in a form that keeps them apart",
          );
        }
      },
    },
    {
      id: "same-content-other-order",
      name: "the same words for another order are another intent: both emails are sent",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const first = orderConfirmation(ctx);
        const secondOrder = { ...first, orderId: ctx.id("order") };
        const a = expectReceipt(await send(ctx, first), "the confirmation of the first order");
        const b = expectReceipt(await send(ctx, secondOrder), "the confirmation of a second order (same subject and body)");
        const emails = await inbox(ctx, first);
        expect(
          emails.length === 2,
          `two orders with identical confirmation text got ${emails.length} email${emails.length === 1 ? "" : "s"}: deduplicate by intent (user + template + order), not by content`,
          { detail: emails },
        );
        expect(a !== b, "both orders were answered with the same email id");
      },
    },
    {
      id: "other-template",
      name: "another template for the same order is another intent: it is sent",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const confirmation = orderConfirmation(ctx);
        const shipping = { ...confirmation, template: "shipping-notice", subject: "Your order has shipped", body: "It is on its way." };
        expectReceipt(await send(ctx, confirmation), "the order confirmation");
        expectReceipt(await send(ctx, shipping), "the shipping notice for the same order");
        const emails = await inbox(ctx, confirmation);
        expect(emails.length === 2, `an order confirmation and a shipping notice for one order got ${emails.length} email(s): the template is part of the intent`);
      },
    },
    ...faultMatrix(EFFECTS),
  ],
  effects: EFFECTS,
};
