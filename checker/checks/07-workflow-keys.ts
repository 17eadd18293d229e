// Exercise 7: workflow ids and idempotency keys from the client, task keys from
// run id + task name, hash-of-payload keys, a different key for a different intent.
// The checks call the learner's keys.ts and enqueue.ts like an application (each call in a child process).
import * as path from "node:path";
import { z } from "zod";
import { type EnqueueModule, type ExportRequest, INVOICE_RETENTION_VARIABLE, type InvoiceRequest, type InvoiceResult, type KeysModule } from "../../exercises/support/invoice_contract.js";
import { type CheckContext, expect, expectAskedOnce, fail, times } from "../lib/check.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import { type DeclaredEffect, faultMatrix } from "../lib/faults.js";
import { callAsync, callSync, exportedFunctions } from "../lib/learner_module.js";

/**
 * The learner's keys.ts or enqueue.ts, each function called in a child process with a deadline (learner_module.ts):
 * a process.exit or an endless loop there must not end or block the checker. keys.ts's functions return strings,
 * so the checks call them as plain functions (the checker waits for the child); enqueue.ts's return promises.
 */
async function load<T>(ctx: CheckContext, file: string, names: string[]): Promise<T> {
  const modulePath = path.join(ctx.implementationDir, file);
  let exported: string[];
  try {
    exported = await exportedFunctions(modulePath, LOAD_DEADLINE_MS);
  } catch (error) {
    fail(`${file} could not be loaded: ${(error as Error).message.split("\n")[0]}`);
  }
  const missing = names.filter((name) => !exported.includes(name));
  if (missing.length > 0) fail(`${file} does not export ${missing.join(", ")}: keep the functions of the exercise's ${file}`);
  const blocking = file === "keys.ts";
  const call = (name: string) => (...args: unknown[]) =>
    blocking
      ? callSync(modulePath, name, args, { what: `${file}'s ${name}`, deadlineMs: KEY_DEADLINE_MS })
      : callAsync(modulePath, name, args, { what: `${file}'s ${name}`, deadlineMs: ENQUEUE_DEADLINE_MS });
  return Object.fromEntries(names.map((name) => [name, call(name)])) as T;
}

const [LOAD_DEADLINE_MS, KEY_DEADLINE_MS, ENQUEUE_DEADLINE_MS] = [20_000, 10_000, 20_000];

const keysOf = (ctx: CheckContext) => load<KeysModule>(ctx, "keys.ts", ["invoiceRunId", "taskKey", "payloadKey"]);
const enqueueOf = (ctx: CheckContext) => load<EnqueueModule>(ctx, "enqueue.ts", ["enqueueInvoice", "enqueueExport"]);

async function attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    fail(`${what} threw: ${(error as Error).message.split("\n")[0]}`);
  }
}

function invoice(ctx: CheckContext, period = "2024-05", customerId = ctx.id("cust")): InvoiceRequest {
  return { customerId, period, amount: 4_900, currency: "EUR", source: "tok_visa", email: `${customerId}@example.com` };
}

function exportOf(ctx: CheckContext): ExportRequest {
  const userId = ctx.id("user");
  return { userId, format: "csv", filters: { from: "2024-01-01", to: "2024-03-31", status: "paid" }, email: `${userId}@example.com` };
}

async function invoiceResult(ctx: CheckContext, runId: string, invocationId: string): Promise<InvoiceResult> {
  const answer = await ctx.restate.attach<InvoiceResult & { message?: string }>(invocationId, `InvoiceWorkflow/${runId}/run`);
  if (answer.status !== 200) fail(`the invoice run ${runId} ended with ${answer.status}: ${answer.body?.message ?? answer.text.slice(0, 140)}`);
  return answer.body;
}

async function exportResult(ctx: CheckContext, invocationId: string): Promise<void> {
  const answer = await ctx.restate.attach<{ message?: string }>(invocationId, "ExportService/export");
  if (answer.status !== 200) fail(`the export ended with ${answer.status}: ${answer.body?.message ?? answer.text.slice(0, 140)}`);
}

const chargesOfRun = async (ctx: CheckContext, runId: string) => (await ctx.gateway.listCharges({ reference: runId })).filter((c) => c.status === "succeeded");

/** The workflow retention the checker gives the endpoint (the contract's variable): the check reads it back from Restate. */
const SHORT_RETENTION_MS = 60_000;

/** An amount of this check's own, so its charge can be told apart whatever the learner's run id (its reference) looks like. */
const amountOf = (id: string) => 1_000 + ([...id].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 1_000_003, 7) % 90_000);

/** Every side effect of the exercise, each checked with its answer lost: the invoice email and the export's too. */
const EFFECTS: DeclaredEffect[] = [
  {
    id: "invoice-charge",
    what: "the invoice's charge",
    door: "gateway",
    path: "/v1/charges",
    section: "workflows-and-tasks",
    idPrefix: "cust",
    // The charge's body names the run id, which the learner's keys.ts makes: the check's amount says which charge is its own.
    matches: (request, customerId) => new RegExp(`"amount":${amountOf(customerId)}[,}]`).test(request.body),
    async scenario(ctx, customerId) {
      const { enqueueInvoice } = await enqueueOf(ctx);
      const request = { ...invoice(ctx, "2024-05", customerId), amount: amountOf(customerId) };
      const enqueued = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
      const result = await invoiceResult(ctx, enqueued.runId, enqueued.invocationId);
      const charges = await chargesOfRun(ctx, enqueued.runId);
      expect(result.chargeId === charges[0]?.id, `the run's result names charge ${result.chargeId}, the gateway made ${charges[0]?.id}`);
    },
    made: async (ctx, customerId) => (await ctx.gateway.listCharges()).filter((c) => c.status === "succeeded" && c.amount === amountOf(customerId)).length,
  },
  {
    id: "invoice-email",
    what: "the invoice email",
    door: "providers",
    path: "/v1/emails",
    section: "workflows-and-tasks",
    idPrefix: "cust",
    async scenario(ctx, customerId) {
      const { enqueueInvoice } = await enqueueOf(ctx);
      const request = invoice(ctx, "2024-05", customerId);
      const enqueued = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
      const result = await invoiceResult(ctx, enqueued.runId, enqueued.invocationId);
      const emails = await ctx.mailer.listEmails({ to: request.email });
      expect(result.emailId === emails[0]?.id, `the run's result names email ${result.emailId}, the mailer sent ${emails[0]?.id}`);
    },
    made: async (ctx, customerId) => (await ctx.mailer.listEmails({ to: `${customerId}@example.com` })).length,
  },
  {
    id: "export-email",
    what: "the export email",
    door: "providers",
    path: "/v1/emails",
    section: "restates-three-tools",
    idPrefix: "user",
    async scenario(ctx, userId) {
      const { enqueueExport } = await enqueueOf(ctx);
      const request = { ...exportOf(ctx), userId, email: `${userId}@example.com` };
      const enqueued = await attempt("enqueueExport", () => enqueueExport(ctx.restate.ingressUrl, request));
      await exportResult(ctx, enqueued.invocationId);
    },
    made: async (ctx, userId) => (await ctx.mailer.listEmails({ to: `${userId}@example.com` })).length,
  },
];

export const exercise: ExerciseDefinition = {
  number: 7,
  folder: "07-workflow-keys",
  title: "Workflow idempotency keys (advanced)",
  services: ["InvoiceWorkflow", "ExportService"],
  checks: [
    {
      id: "invoice-run",
      name: "an invoice run charges once and emails the invoice once",
      section: "workflows-and-tasks",
      async run(ctx) {
        const { enqueueInvoice } = await enqueueOf(ctx);
        const request = invoice(ctx);
        const enqueued = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
        const result = await invoiceResult(ctx, enqueued.runId, enqueued.invocationId);
        const charges = await chargesOfRun(ctx, enqueued.runId);
        const emails = await ctx.mailer.listEmails({ to: request.email });
        expect(charges.length === 1, `the run made ${charges.length} charges (reference = the run id), expected 1`);
        expect(emails.length === 1, `the run sent ${emails.length} invoice emails, expected 1`);
        expect(result.chargeId === charges[0]!.id && result.emailId === emails[0]!.id, "the run's result does not name the charge and email it made");
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", enqueued.runId).length, "the run's charge");
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/emails", enqueued.runId).length, "the invoice email");
      },
    },
    {
      id: "same-invoice-same-run",
      name: "enqueueing the same invoice twice returns the same run: one charge, one email",
      section: "workflows-and-tasks",
      async run(ctx) {
        const { enqueueInvoice } = await enqueueOf(ctx);
        const request = invoice(ctx);
        const first = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
        const second = await attempt("enqueueInvoice (the same invoice again)", () => enqueueInvoice(ctx.restate.ingressUrl, request));
        await Promise.all([invoiceResult(ctx, first.runId, first.invocationId), invoiceResult(ctx, second.runId, second.invocationId)]);
        const emails = await ctx.mailer.listEmails({ to: request.email });
        expect(
          first.runId === second.runId,
          `the same invoice got two runs (${first.runId}, ${second.runId}) and the invoice email went out ${times(emails.length)}: derive the workflow id from the invoice's identity (customer and period), so Restate finds the run it has`,
        );
        expect(second.invocationId === first.invocationId && second.status === "PreviouslyAccepted", `the second enqueue answered ${second.status} with invocation ${second.invocationId}, expected PreviouslyAccepted and ${first.invocationId}`);
        expect(emails.length === 1 && (await chargesOfRun(ctx, first.runId)).length === 1, `one invoice was charged or emailed more than once (${emails.length} emails)`);
      },
    },
    {
      id: "other-period-other-run",
      name: "another period for the same customer is another intent: another run",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const { enqueueInvoice } = await enqueueOf(ctx);
        const may = invoice(ctx, "2024-05");
        const june = { ...may, period: "2024-06" };
        const a = await attempt("enqueueInvoice (May)", () => enqueueInvoice(ctx.restate.ingressUrl, may));
        const b = await attempt("enqueueInvoice (June)", () => enqueueInvoice(ctx.restate.ingressUrl, june));
        expect(a.runId !== b.runId, `May and June got the same run id ${a.runId}: the period is part of the invoice's identity, so June was never billed`);
        await Promise.all([invoiceResult(ctx, a.runId, a.invocationId), invoiceResult(ctx, b.runId, b.invocationId)]);
        const emails = await ctx.mailer.listEmails({ to: may.email });
        expect(emails.length === 2, `two periods got ${emails.length} invoice email(s), expected 2`);
      },
    },
    {
      id: "task-keys",
      name: "the charge's answer is lost: the retried task reuses its key taskKey(run id, \"charge\"), so there is one charge",
      section: "workflows-and-tasks",
      async run(ctx) {
        const [keys, { enqueueInvoice }] = await Promise.all([keysOf(ctx), enqueueOf(ctx)]);
        const request = invoice(ctx);
        await ctx.gateway.setFaults({ dropNext: 1 });
        const enqueued = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
        await invoiceResult(ctx, enqueued.runId, enqueued.invocationId);
        const charges = await chargesOfRun(ctx, enqueued.runId);
        expect(
          charges.length === 1,
          `one run charged ${times(charges.length)}: the retried task sent a new key; make taskKey a function of the run id and the task name only`,
        );
        const expected = keys.taskKey(enqueued.runId, "charge");
        expect(charges[0]!.idempotencyKey === expected, `the charge carried key ${JSON.stringify(charges[0]!.idempotencyKey)}, expected taskKey(runId, "charge") = ${JSON.stringify(expected)}`);
        expect(keys.taskKey(enqueued.runId, "charge") === expected, "taskKey gave two different keys for the same run and task");
        expect(keys.taskKey(enqueued.runId, "send-invoice") !== expected, "taskKey gives the charge and the invoice email the same key: each task needs its own");
        expect(keys.taskKey(`${enqueued.runId}-other`, "charge") !== expected, "taskKey gives two runs the same key for their charge");
      },
    },
    {
      id: "same-export-once",
      name: "the same export enqueued twice runs once (a key made from its payload): one email",
      section: "restates-three-tools",
      async run(ctx) {
        const { enqueueExport } = await enqueueOf(ctx);
        const request = exportOf(ctx);
        const first = await attempt("enqueueExport", () => enqueueExport(ctx.restate.ingressUrl, request));
        const second = await attempt("enqueueExport (the same export again)", () => enqueueExport(ctx.restate.ingressUrl, request));
        await Promise.all([exportResult(ctx, first.invocationId), exportResult(ctx, second.invocationId)]);
        const emails = await ctx.mailer.listEmails({ to: request.email });
        expect(
          second.invocationId === first.invocationId,
          `the same export became two invocations and sent ${times(emails.length)}: enqueue it with idempotencyKey: payloadKey(request) (clients.rpc.sendOpts), a key that is the same for the same payload`,
        );
        expect(second.status === "PreviouslyAccepted", `the second enqueue answered ${second.status}, expected PreviouslyAccepted`);
        expect(emails.length === 1, `the export was emailed ${times(emails.length)}`);
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/emails", request.userId).length, "the export email");
      },
    },
    {
      id: "export-field-order",
      name: "the same export with its fields in another order is the same intent",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const [keys, { enqueueExport }] = await Promise.all([keysOf(ctx), enqueueOf(ctx)]);
        const request = exportOf(ctx);
        const reordered: ExportRequest = {
          email: request.email,
          filters: Object.fromEntries(Object.entries(request.filters).reverse()),
          format: request.format,
          userId: request.userId,
        };
        expect(
          keys.payloadKey(reordered) === keys.payloadKey(request),
          "payloadKey gives another key when the same fields come in another order: hash a canonical form (keys sorted), not JSON.stringify as it comes",
        );
        const first = await attempt("enqueueExport", () => enqueueExport(ctx.restate.ingressUrl, request));
        const second = await attempt("enqueueExport (fields reordered)", () => enqueueExport(ctx.restate.ingressUrl, reordered));
        await exportResult(ctx, first.invocationId);
        expect(second.invocationId === first.invocationId, "the reordered export became a second invocation");
      },
    },
    {
      id: "other-export-other-intent",
      name: "an export with other filters is another intent: it runs and is emailed too",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const [keys, { enqueueExport }] = await Promise.all([keysOf(ctx), enqueueOf(ctx)]);
        const request = exportOf(ctx);
        const other = { ...request, filters: { ...request.filters, status: "refunded" } };
        expect(keys.payloadKey(other) !== keys.payloadKey(request), "payloadKey gives two different exports the same key: the second would never run");
        const a = await attempt("enqueueExport", () => enqueueExport(ctx.restate.ingressUrl, request));
        const b = await attempt("enqueueExport (other filters)", () => enqueueExport(ctx.restate.ingressUrl, other));
        expect(a.invocationId !== b.invocationId, "two different exports became one invocation");
        await Promise.all([exportResult(ctx, a.invocationId), exportResult(ctx, b.invocationId)]);
        const emails = await ctx.mailer.listEmails({ to: request.email });
        expect(emails.length === 2, `two different exports sent ${emails.length} email(s), expected 2`);
      },
    },
    {
      id: "colliding-payloads",
      name: "exports built to collide on a separator (filter values holding '&', '=', '|', ',', ':', a field's name moved into another) get keys of their own",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const keys = await keysOf(ctx);
        const base = exportOf(ctx);
        const pairs: [Record<string, string>, Record<string, string>][] = [
          [{ a: "1&b=2" }, { a: "1", b: "2" }],
          [{ a: "1|b|2" }, { a: "1", b: "2" }],
          [{ a: "1,b:2" }, { a: "1", b: "2" }],
          [{ ab: "c" }, { a: "bc" }],
          [{ "a=1&b": "2" }, { a: "1", b: "2" }],
        ];
        for (const [one, other] of pairs) {
          expect(
            keys.payloadKey({ ...base, filters: one }) !== keys.payloadKey({ ...base, filters: other }),
            `payloadKey gives the exports with filters ${JSON.stringify(one)} and ${JSON.stringify(other)} the same key: the second, a different export, would never run. ` +
              "Hash an unambiguous form of the payload (canonical JSON, with keys sorted), not the fields joined with separators their values may contain",
          );
        }
      },
    },
    {
      id: "same-invoice-after-retention",
      name: "the workflow's retention is set, and the same invoice run again after it (a new run for the same customer and period) bills nothing more",
      section: "retention-how-long-a-key-is-remembered",
      async run(ctx) {
        const { enqueueInvoice } = await enqueueOf(ctx);
        const customerId = ctx.id("cust");
        const request = { ...invoice(ctx, "2024-05", customerId), amount: amountOf(customerId) };
        const first = await attempt("enqueueInvoice", () => enqueueInvoice(ctx.restate.ingressUrl, request));
        const billed = await invoiceResult(ctx, first.runId, first.invocationId);
        const [row] = await ctx.restate.sql(
          `SELECT completion_retention FROM sys_invocation WHERE id = '${first.invocationId}'`,
          z.object({ completion_retention: z.string().nullable() }),
        );
        ctx.note(`the finished run's completion retention: ${row?.completion_retention}`);
        expect(
          row?.completion_retention === `PT${SHORT_RETENTION_MS / 1000}S`,
          `Restate keeps the finished invoice run for ${row?.completion_retention ?? "?"}, although the checker set ${INVOICE_RETENTION_VARIABLE}=${SHORT_RETENTION_MS}: ` +
            "a workflow id finds its run only within the workflow's retention (1 day by default); choose it: set workflowRetention explicitly, with invoiceRetentionMs(...) from invoice_contract.ts",
        );
        // After the retention Restate runs the same workflow id again, as a new run. Restate 1.7.12 does not purge
        // within seconds here (its cleaner, the admin purge), so the check starts that second run itself, under an
        // id of its own: what counts is that a second run for the same customer and period bills nothing.
        const rerunId = `${first.runId}-after-retention`;
        const invocationId = await ctx.restate.send({ service: "InvoiceWorkflow", key: rerunId, handler: "run" }, request);
        const second = await invoiceResult(ctx, rerunId, invocationId);
        const charges = (await ctx.gateway.listCharges()).filter((c) => c.status === "succeeded" && c.amount === request.amount);
        const emails = await ctx.mailer.listEmails({ to: request.email });
        expect(
          charges.length === 1 && emails.length === 1,
          `the invoice was run again, as Restate does once it no longer retains the finished run, and it was charged ${times(charges.length)} and emailed ${times(emails.length)}: ` +
            "the workflow id is only the first line of defence; keep a durable record of the invoices billed, per customer and period, in an object's state, and let the run check it first",
          { detail: { charges, emails } },
        );
        expect(
          second.chargeId === billed.chargeId && second.emailId === billed.emailId,
          `the second run answered charge ${second.chargeId} and email ${second.emailId}, expected the first run's ${billed.chargeId} and ${billed.emailId}, from the invoice's record`,
        );
      },
    },
    ...faultMatrix(EFFECTS),
  ],
  effects: EFFECTS,
  endpointEnv: { [INVOICE_RETENTION_VARIABLE]: String(SHORT_RETENTION_MS) },
};
