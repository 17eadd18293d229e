// Exercise 7's wrong solutions and correct alternatives.
import type { ExerciseCatalogue } from "./catalogue.js";

const WORKFLOW = "invoice_workflow.ts";
const KEYS = "keys.ts";
const ENQUEUE = "enqueue.ts";
const RUN_ID = "return `invoice-${request.customerId}-${request.period}`;";
const TASK_KEY = "return `${runId}-${task}`;";
const EXPORT = "export_service.ts";
const EXPORT_MAIL_KEY = 'taskKey(runId, "send-export"),';

export const catalogue: ExerciseCatalogue = {
  folder: "07-workflow-keys",
  mutants: [
    {
      id: "no-invoice-record",
      scenario: "the run trusts the workflow id alone: once Restate no longer retains the finished run (1 day by default), the same invoice runs again and is billed twice",
      patches: [{ file: WORKFLOW, find: "        if (billed) return billed; // billed by an earlier run whose workflow Restate no longer retains\n", replace: "" }],
      hint: /keep a durable record of the invoices billed, per customer and period/,
    },
    {
      id: "retention-inherited",
      scenario: "the workflow's retention is left to Restate's default: nobody chose how long a repeat finds the run",
      patches: [{ file: WORKFLOW, find: "    workflowRetention: invoiceRetentionMs(7 * 24 * 60 * 60 * 1000),\n", replace: "" }],
      hint: /set workflowRetention explicitly/,
    },
    {
      id: "invoice-email-key-random-per-attempt",
      scenario: "the invoice email's key gets a random suffix: an invoice email whose answer was lost is sent again by the retry",
      patches: [{ file: WORKFLOW, find: 'taskKey(runId, "send-invoice"),', replace: '`${taskKey(runId, "send-invoice")}-${Math.random()}`,' }],
      hint: /^the invoice email was made 2 times after its answer was lost/,
    },
    {
      id: "charge-outside-run",
      scenario: "the invoice's charge is made straight from the workflow (with its key): every replay asks the gateway again",
      patches: [
        { file: WORKFLOW, find: 'const charge = await ctx.run("charge", () =>', replace: "const charge = await (() =>" },
        { file: WORKFLOW, find: "              throw error;\n            }),\n        );", replace: "              throw error;\n            })\n        )();" },
      ],
      hint: /^the run's charge was sent \d+ times where once was expected/,
      fast: true,
    },
    {
      id: "invoice-email-outside-run-last-step",
      scenario: "the invoice email, the workflow's last step, is sent straight from the handler: a replay after the send emails the invoice again",
      patches: [
        { file: WORKFLOW, find: 'const email = await ctx.run("send-invoice", () =>', replace: "const email = await (() =>" },
        { file: WORKFLOW, find: 'taskKey(runId, "send-invoice"),\n          ),\n        );', replace: 'taskKey(runId, "send-invoice"),\n          )\n        )();' },
      ],
      hint: /^the invoice email was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
    },
    {
      id: "export-email-outside-run-last-step",
      scenario: "the export's email, its only and last step, is sent straight from the handler: a replay sends it again",
      patches: [
        { file: "export_service.ts", find: 'const email = await ctx.run("send-export", () =>', replace: "const email = await (() =>" },
        { file: "export_service.ts", find: 'taskKey(runId, "send-export"),\n          ),\n        );', replace: 'taskKey(runId, "send-export"),\n          )\n        )();' },
      ],
      hint: /^the export email was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
    },
    {
      id: "run-id-from-clock",
      scenario: "the workflow id carries Date.now(): the same invoice enqueued twice is billed and emailed twice",
      patches: [{ file: KEYS, find: RUN_ID, replace: "return `invoice-${request.customerId}-${request.period}-${Date.now()}`;" }],
      hint: /the same invoice got two runs/,
    },
    {
      id: "run-id-without-period",
      scenario: "the workflow id is the customer only: June's invoice finds May's run and is never billed",
      patches: [{ file: KEYS, find: RUN_ID, replace: "return `invoice-${request.customerId}`;" }],
      hint: /the period is part of the invoice's identity/,
    },
    {
      id: "task-key-without-task",
      scenario: "the task key is the run id alone: the invoice email reuses the charge's key, and a provider sharing keys swallows it",
      patches: [{ file: KEYS, find: TASK_KEY, replace: "return runId;" }],
      hint: /taskKey gives the charge and the invoice email the same key/,
    },
    {
      id: "task-key-random-per-attempt",
      scenario: "the task key gets a random suffix: the charge retried after a lost answer is a second charge",
      patches: [{ file: KEYS, find: TASK_KEY, replace: "return `${runId}-${task}-${Math.random().toString(36).slice(2)}`;" }],
      hint: /taskKey gave two different keys for the same run and task|the charge carried key|the retried task sent a new key/,
    },
    {
      id: "payload-key-field-order",
      scenario: "the export key hashes JSON.stringify as it comes: the same export with its fields reordered is run and emailed twice",
      patches: [{ file: KEYS, find: "update(canonicalJson(payload))", replace: "update(JSON.stringify(payload))" }],
      hint: /payloadKey gives another key when the same fields come in another order/,
    },
    {
      id: "export-without-idempotency-key",
      scenario: "the export is enqueued without an idempotency key: a double-click exports and emails twice",
      patches: [{ file: ENQUEUE, find: "    .export(request, clients.rpc.sendOpts({ idempotencyKey: payloadKey(request) }));", replace: "    .export(request);" }],
      hint: /the same export became two invocations/,
    },
    {
      id: "export-email-key-per-process",
      scenario: "the export email's key carries process.pid: an email whose answer was lost is sent again by the retry that a restarted endpoint makes",
      patches: [{ file: EXPORT, find: EXPORT_MAIL_KEY, replace: '`${taskKey(runId, "send-export")}-${process.pid}`,' }],
      hint: /^the export email was made 2 times when your endpoint was restarted between the attempt and its retry/,
    },
    {
      id: "export-email-key-dated",
      scenario: "the export email's key carries today's date: an email whose answer was lost before midnight is sent again by the retry after it",
      patches: [{ file: EXPORT, find: EXPORT_MAIL_KEY, replace: 'taskKey(runId, `send-export-${new Date().toISOString().slice(0, 10)}`),' }],
      hint: /^the export email was made 2 times when the retry ran on a date a day apart/,
    },
    {
      id: "payload-key-filters-joined",
      scenario: "the export key joins the sorted filters as name:value with commas: filters {a: '1,b:2'} and {a: '1', b: '2'} are one export, and the second is never run",
      patches: [
        {
          file: KEYS,
          find: "update(canonicalJson(payload))",
          replace:
            "update((({ filters, ...rest }) => `${canonicalJson(rest)}|${Object.keys(filters).sort().map((name) => `${name}:${filters[name]}`).join(\",\")}`)(payload as { filters: Record<string, string> }))",
        },
      ],
      hint: /payloadKey gives the exports with filters \{"a":"1,b:2"\}/,
    },
    {
      id: "invoice-email-failure-swallowed",
      scenario: "a failed invoice email is caught and the run goes on as if it was sent: an email whose answer was lost is recorded as never sent",
      patches: [{ file: WORKFLOW, find: '            taskKey(runId, "send-invoice"),\n          ),\n        );', replace: '            taskKey(runId, "send-invoice"),\n          ).catch(() => ({ id: "not-sent" })),\n        );' }],
      hint: /^the run's result names email not-sent/,
    },
  ],
  alternatives: [
    {
      id: "keys-with-slashes",
      description: "the run id and task keys spelled with slashes (`invoice/customer/period`, `run/task`)",
      patches: [
        { file: KEYS, find: RUN_ID, replace: "return `invoice/${request.customerId}/${request.period}`;" },
        { file: KEYS, find: TASK_KEY, replace: "return `${runId}/${task}`;" },
      ],
      fast: true,
    },
    {
      id: "payload-key-sha1",
      description: "the export key is another hash (sha1) of the same canonical payload",
      patches: [{ file: KEYS, find: 'createHash("sha256")', replace: 'createHash("sha1")' }],
    },
    {
      id: "keys-from-a-helper-folder",
      description: "keys.ts re-exports keys made in ids/invoice_keys.ts, spelled otherwise: `bill:<period>:<customer>`, `<task>@<run id>`, and a base64url sha512 of the canonical payload",
      patches: [
        {
          file: "ids/invoice_keys.ts",
          create: `import { createHash } from "node:crypto";
import type { InvoiceRequest } from "../../../exercises/support/invoice_contract.js";

/** One run per customer per period; the period (YYYY-MM) holds no ':', so the two parts cannot run into each other. */
export const invoiceRunId = (request: InvoiceRequest): string => \`bill:\${request.period}:\${request.customerId}\`;

/** The same for every retry of a task of a run. */
export const taskKey = (runId: string, task: string): string => \`\${task}@\${runId}\`;

/** Equal payloads, whatever the order of their fields, give equal keys. */
export const payloadKey = (payload: unknown): string => createHash("sha512").update(sortedJson(payload)).digest("base64url");

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value.map((item) => JSON.parse(sortedJson(item))));
  if (value !== null && typeof value === "object") {
    const names = Object.keys(value).filter((name) => (value as Record<string, unknown>)[name] !== undefined).sort();
    return \`{\${names.map((name) => \`\${JSON.stringify(name)}:\${sortedJson((value as Record<string, unknown>)[name])}\`).join(",")}}\`;
  }
  return JSON.stringify(value);
}
`,
        },
        { file: KEYS, create: 'export { invoiceRunId, payloadKey, taskKey } from "./ids/invoice_keys.js";\n' },
      ],
    },
    {
      id: "invoice-records-per-customer",
      description: "InvoiceRecord is one object per customer, its invoices kept by period in one map, instead of one object per customer and period",
      patches: [
        { file: "invoice_record.ts", find: "export const invoiceRecordKey = (request: Pick<InvoiceRequest, \"customerId\" | \"period\">) => `${request.customerId}-${request.period}`;", replace: "export const invoiceRecordKey = (request: Pick<InvoiceRequest, \"customerId\" | \"period\">) => request.customerId;" },
        {
          file: "invoice_record.ts",
          find: `    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<{ invoice: InvoiceResult }>): Promise<InvoiceResult | null> => ctx.get("invoice")),`,
          replace: `    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<Billed>, period: string): Promise<InvoiceResult | null> => (await ctx.get("byPeriod"))?.[period] ?? null),`,
        },
        {
          file: "invoice_record.ts",
          find: `    record: restate.handlers.object.exclusive(async (ctx: ObjectContext<{ invoice: InvoiceResult }>, invoice: InvoiceResult): Promise<InvoiceResult> => {
      const earlier = await ctx.get("invoice");
      if (earlier) return earlier;
      ctx.set("invoice", invoice);
      return invoice;
    }),`,
          replace: `    record: restate.handlers.object.exclusive(async (ctx: ObjectContext<Billed>, billed: { period: string; invoice: InvoiceResult }): Promise<InvoiceResult> => {
      const byPeriod = (await ctx.get("byPeriod")) ?? {};
      const earlier = byPeriod[billed.period];
      if (earlier) return earlier;
      ctx.set("byPeriod", { ...byPeriod, [billed.period]: billed.invoice });
      return billed.invoice;
    }),`,
        },
        { file: "invoice_record.ts", find: "export const invoiceRecord = restate.object({", replace: "/** A customer's billed invoices, by period. */\ntype Billed = { byPeriod: Record<string, InvoiceResult> };\n\nexport const invoiceRecord = restate.object({" },
        { file: WORKFLOW, find: "const billed = await record.get();", replace: "const billed = await record.get(request.period);" },
        { file: WORKFLOW, find: "return record.record({ runId, chargeId: charge.id, emailId: email.id });", replace: "return record.record({ period: request.period, invoice: { runId, chargeId: charge.id, emailId: email.id } });" },
      ],
    },
    {
      id: "export-email-key-from-payload",
      description: "the export email's key is made from the export's payload (payloadKey), not from the invocation's idempotency key",
      patches: [
        { file: EXPORT, find: EXPORT_MAIL_KEY, replace: "`export-mail:${payloadKey(request)}`," },
        { file: EXPORT, find: 'import { taskKey } from "./keys.js";', replace: 'import { payloadKey } from "./keys.js";' },
      ],
    },
  ],
};
