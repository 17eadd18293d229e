// Exercise 3's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const FILE = "email_service.ts";
const MAILER_KEY = "`email-${ctx.key}`),";

export const outsiders: OutsiderCatalogue = {
  folder: "03-email-dedup",
  cases: [
    {
      id: "mailer-key-salted-with-pid",
      class: "key stable only within one process",
      scenario: "the mailer sent the email, its answer was lost and the endpoint restarted: the retry's key has a new pid, a second email",
      fast: true,
      patches: [{ file: FILE, find: MAILER_KEY, replace: "`email-${ctx.key}-${process.pid}`)," }],
    },
    {
      id: "mailer-key-per-day",
      class: "key stable only today",
      scenario: "a send whose answer was lost just before midnight is retried after it under a new key: a second email",
      patches: [{ file: FILE, find: MAILER_KEY, replace: "`email-${ctx.key}-${new Date().toISOString().slice(0, 10)}`)," }],
    },
    {
      id: "intent-key-joined-with-dash",
      class: "colliding ids",
      scenario: "user 'u-1' with template 'x' and user 'u' with template '1-x' (same order) are one intent: the second never gets its email",
      patches: [
        {
          file: FILE,
          find: "`${request.userId}/${request.template}/${request.orderId}`;",
          replace: "`${request.userId}-${request.template}-${request.orderId}`;",
        },
      ],
    },
    {
      id: "shared-check-then-exclusive-mark",
      class: "race in shared handlers",
      scenario: "five copies at once all find 'not sent' in the shared get, each sends under its own invocation's key, then marks: five emails",
      patches: [
        {
          file: FILE,
          find: `    send: restate.handlers.object.exclusive(
      { input: restate.serde.schema(OrderEmailRequest) },
      async (ctx: ObjectContext<{ emailId: string }>, request: OrderEmailRequest): Promise<EmailReceipt> => {
        const sent = await ctx.get("emailId");
        if (sent) return { emailId: sent };
        const email = await ctx.run("send email", () =>
          mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, \`email-\${ctx.key}\`),
        );
        ctx.set("emailId", email.id);
        return { emailId: email.id };
      },
    ),`,
          replace: `    /** The email sent for this intent, if any: shared, so looking never waits. */
    sent: restate.handlers.object.shared(async (ctx: ObjectSharedContext<{ emailId: string }>): Promise<string | null> => ctx.get("emailId")),
    /** Remembers the email sent; the first one stays. */
    markSent: restate.handlers.object.exclusive(async (ctx: ObjectContext<{ emailId: string }>, emailId: string): Promise<string> => {
      const earlier = await ctx.get("emailId");
      if (earlier) return earlier;
      ctx.set("emailId", emailId);
      return emailId;
    }),`,
        },
        {
          file: FILE,
          find: "import type { Context, ObjectContext } from \"@restatedev/restate-sdk\";",
          replace: "import type { Context, ObjectContext, ObjectSharedContext } from \"@restatedev/restate-sdk\";",
        },
        {
          file: FILE,
          find: "      async (ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> =>\n        ctx.objectClient<typeof emailIntent>({ name: \"EmailIntent\" }, intentKey(request)).send(request),",
          replace: `      async (ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> => {
        const intent = ctx.objectClient<typeof emailIntent>({ name: "EmailIntent" }, intentKey(request));
        const sent = await intent.sent();
        if (sent) return { emailId: sent };
        // This invocation's id is the same on every retry of it: the mailer's key for a lost answer.
        const email = await ctx.run("send email", () =>
          mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, \`email-\${ctx.request().id}\`),
        );
        return { emailId: await intent.markSent(email.id) };
      },`,
        },
      ],
    },
    {
      id: "no-state-mailer-key-only",
      class: "concurrency judged by the ledger",
      scenario: "every duplicate asks the mailer again and only the mailer's key keeps it to one email; once the mailer forgets its keys (a day at most providers), a duplicate is a second email",
      patches: [
        {
          file: FILE,
          find: "      async (ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> =>\n        ctx.objectClient<typeof emailIntent>({ name: \"EmailIntent\" }, intentKey(request)).send(request),",
          replace: `      async (ctx: Context, request: OrderEmailRequest): Promise<EmailReceipt> => {
        // The mailer's key is the intent: it sends once per key, whoever asks.
        const email = await ctx.run("send email", () =>
          mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, \`email-\${intentKey(request)}\`),
        );
        return { emailId: email.id };
      },`,
        },
      ],
    },
    {
      id: "mailer-failure-answered-as-sent",
      class: "error swallowed",
      scenario: "the mailer is down for a moment: the intent is answered 200 with an empty emailId instead of being retried by Restate, and its email never goes out",
      patches: [
        {
          file: FILE,
          find: "          mailer.send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, `email-${ctx.key}`),\n        );",
          replace: `          mailer
            .send({ to: request.to, subject: request.subject, body: request.body, reference: request.orderId }, \`email-\${ctx.key}\`)
            // An email is not worth failing the order flow for.
            .catch((error: unknown) => {
              console.error(\`email \${ctx.key} not sent: \${String(error)}\`);
              return { id: "" };
            }),
        );`,
        },
      ],
    },
  ],
};
