// Exercise 7's wrong solutions and correct alternatives.
import type { ExerciseCatalogue } from "./catalogue.js";

const WORKFLOW = "invoice_workflow.ts";
const KEYS = "keys.ts";
const ENQUEUE = "enqueue.ts";
const RUN_ID = "return `invoice-${request.customerId}-${request.period}`;";
const TASK_KEY = "return `${runId}-${task}`;";

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
  ],
};
