// Exercise 3's wrong solutions and correct alternatives.
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const FILE = "email_service.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const MAILER_KEY = "`email-${ctx.key}`";
const INTENT = "`${request.userId}/${request.template}/${request.orderId}`";

export const catalogue: ExerciseCatalogue = {
  folder: "03-email-dedup",
  mutants: [
    {
      id: "email-key-random-per-attempt",
      scenario: "the mailer key gets a random suffix: an email whose answer was lost is sent again by the retry",
      patches: [{ file: FILE, find: "`email-${ctx.key}`", replace: "`email-${ctx.key}-${Math.random()}`" }],
      hint: /the email was made 2 times after its answer was lost|the user got 2 times the same email/,
    },
    {
      id: "send-outside-run-last-step",
      scenario: "the email is sent straight from the handler as its last step (with its key): a crash or a replay after the send sends it again",
      patches: [
        { file: FILE, find: 'const email = await ctx.run("send email", () =>', replace: "const email = await (() =>" },
        { file: FILE, find: "`email-${ctx.key}`),\n        );", replace: "`email-${ctx.key}`)\n        )();" },
      ],
      hint: /^the email was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
      fast: true,
    },
    {
      id: "mailer-key-random",
      fast: true,
      scenario: "the mailer's key is a fresh UUID per attempt: after a lost answer the retry sends a second email",
      patches: [addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'), { file: FILE, find: MAILER_KEY, replace: "randomUUID()" }],
      hint: /same email for one intent: send inside ctx\.run and give the mailer an idempotency key derived from the intent/,
    },
    {
      id: "mailer-key-from-clock",
      scenario: "the mailer's key is the intent plus Date.now(): every attempt is a new email to the mailer",
      patches: [{ file: FILE, find: MAILER_KEY, replace: "`email-${ctx.key}-${Date.now()}`" }],
      hint: /same email for one intent: send inside ctx\.run and give the mailer an idempotency key derived from the intent/,
    },
    {
      id: "sent-intents-in-module-set",
      scenario: "sent intents are remembered in a module-level Map: after a deploy every pending duplicate is sent again",
      patches: [
        { file: FILE, find: "const mailer = new MailerClient(providerUrls().mailer);", replace: "const mailer = new MailerClient(providerUrls().mailer);\nconst sentEmails = new Map<string, string>();" },
        { file: FILE, find: 'const sent = await ctx.get("emailId");', replace: "const sent = sentEmails.get(ctx.key);" },
        { file: FILE, find: 'ctx.set("emailId", email.id);', replace: "sentEmails.set(ctx.key, email.id);" },
      ],
      hint: /remembered in the endpoint's memory/,
    },
    {
      id: "intent-without-order",
      scenario: "the intent is user and template only: the confirmation of a second order is never sent",
      patches: [{ file: FILE, find: INTENT, replace: "`${request.userId}/${request.template}`" }],
      hint: /deduplicate by intent \(user \+ template \+ order\)|both orders were answered with the same email id/,
    },
    {
      id: "intent-without-template",
      scenario: "the intent is user and order only: the shipping notice is swallowed as a duplicate of the confirmation",
      patches: [{ file: FILE, find: INTENT, replace: "`${request.userId}/${request.orderId}`" }],
      hint: /the template is part of the intent/,
    },
    {
      id: "intent-from-content",
      scenario: "emails are deduplicated by a hash of their text: two orders with the same confirmation text get one email",
      patches: [
        addImport(FILE, FIRST_IMPORT, 'import { createHash } from "node:crypto";'),
        { file: FILE, find: INTENT, replace: 'createHash("sha256").update(`${request.to}\\n${request.subject}\\n${request.body}`).digest("hex")' },
      ],
      hint: /deduplicate by intent \(user \+ template \+ order\), not by content/,
    },
    {
      id: "mailer-key-salted-at-load",
      scenario: "the mailer's key carries a salt drawn when the module loads: the same on every retry while the endpoint lives, new after a deploy or a crash, so the retry after a restart is a second email",
      patches: [
        addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'),
        { file: FILE, find: "const mailer = new MailerClient(providerUrls().mailer);", replace: "const mailer = new MailerClient(providerUrls().mailer);\n/** Tells this deployment's keys apart from another's. */\nconst deployment = randomUUID().slice(0, 8);" },
        { file: FILE, find: MAILER_KEY, replace: "`email-${deployment}-${ctx.key}`" },
      ],
      hint: /^the email was made 2 times when your endpoint was restarted between the attempt and its retry: its provider key changed with the process/,
    },
    {
      id: "mailer-key-day-number",
      scenario: "the mailer's key is the intent plus the day number: a send whose answer was lost before midnight is retried after it as a new email",
      patches: [{ file: FILE, find: MAILER_KEY, replace: "`email-${ctx.key}-${Math.floor(Date.now() / 86_400_000)}`" }],
      hint: /^the email was made 2 times when the retry ran on a date a day apart from the attempt's/,
    },
    {
      id: "intent-joined-with-dash",
      scenario: "the intent key joins user, template and order with '-', which ids may contain: user 'u-1' with template 'x' and user 'u' with template '1-x' share one key, and the second never gets its email",
      patches: [{ file: FILE, find: INTENT, replace: "`${request.userId}-${request.template}-${request.orderId}`" }],
      hint: /because its intent key is the key of user .* ids may contain '-' and '_'/,
    },
    {
      id: "intent-joined-with-underscore",
      scenario: "the intent key joins its parts with '_': ids with underscores collide the same way",
      patches: [{ file: FILE, find: INTENT, replace: "[request.userId, request.template, request.orderId].join(\"_\")" }],
      hint: /because its intent key is the key of user .* ids may contain '-' and '_'/,
    },
  ],
  alternatives: [
    {
      id: "intent-key-as-json",
      description: "the intent key is the JSON array of user, template and order (any characters, no collision)",
      patches: [{ file: FILE, find: "  `${request.userId}/${request.template}/${request.orderId}`;", replace: "  JSON.stringify([request.userId, request.template, request.orderId]);" }],
    },
    {
      id: "mailer-key-from-ctx-rand",
      description: "the mailer's key drawn with ctx.rand.uuidv4() before the send: the same in every retry, and a duplicate is answered from state",
      patches: [
        { file: FILE, find: "        const email = await ctx.run(", replace: "        const mailerKey = ctx.rand.uuidv4();\n        const email = await ctx.run(" },
        { file: FILE, find: MAILER_KEY, replace: "mailerKey" },
      ],
      fast: true,
    },
    {
      id: "receipt-in-state",
      description: "the whole receipt (email id and when) kept in state, under another name",
      patches: [
        { file: FILE, find: 'const sent = await ctx.get("emailId");\n        if (sent) return { emailId: sent };', replace: 'const receipt = (await ctx.get("receipt" as "emailId")) as unknown as { emailId: string; sentAt: string } | null;\n        if (receipt) return { emailId: receipt.emailId };' },
        { file: FILE, find: 'ctx.set("emailId", email.id);', replace: 'ctx.set("receipt" as "emailId", { emailId: email.id, sentAt: await ctx.date.toJSON() } as never);' },
      ],
    },
    {
      id: "intent-key-with-colons",
      description: "the intent key spelled `user:template:order`",
      patches: [{ file: FILE, find: INTENT, replace: "`${request.userId}:${request.template}:${request.orderId}`" }],
    },
    {
      id: "length-prefixed-intent-in-helper-folder",
      description: "the intent key comes from a helper in another folder, each part prefixed with its length (`6:user-1|...`), so no id can run into the next",
      patches: [
        {
          file: "keys/intent.ts",
          create: `// Each part carries its length, so the parts cannot run into each other whatever characters they hold.
export const lengthPrefixed = (...parts: string[]): string => parts.map((part) => \`\${part.length}:\${part}\`).join("|");
`,
        },
        addImport(FILE, FIRST_IMPORT, 'import { lengthPrefixed } from "./keys/intent.js";'),
        { file: FILE, find: INTENT, replace: "lengthPrefixed(request.userId, request.template, request.orderId)" },
      ],
    },
    {
      id: "mailer-key-hashed-intent",
      description: "the mailer's key is a sha256 of the intent key (a fixed length the mailer accepts, the same on every attempt and process)",
      patches: [
        addImport(FILE, FIRST_IMPORT, 'import { createHash } from "node:crypto";'),
        { file: FILE, find: MAILER_KEY, replace: 'createHash("sha256").update(`email/${ctx.key}`).digest("hex")' },
      ],
    },
  ],
};
