// Exercise 7's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const WORKFLOW = "invoice_workflow.ts";
const INVOICE_MAIL_KEY = "            taskKey(runId, \"send-invoice\"),";

export const outsiders: OutsiderCatalogue = {
  folder: "07-workflow-keys",
  cases: [
    {
      id: "task-key-salted-per-process",
      class: "key stable only within one process",
      scenario: "a charge made with its answer lost and the endpoint restarted (a deploy) before the retry: the task key has a new salt, the customer is charged twice",
      fast: true,
      patches: [
        {
          file: "keys.ts",
          find: "  return `${runId}-${task}`;",
          // "so two deployments never hand a provider the same key"
          replace: "  return `${runId}-${task}-${DEPLOYMENT}`;",
        },
        {
          file: "keys.ts",
          find: "/** Stable across retries of the task (and of the whole run), different for every task of every run. */",
          replace:
            "/** This process's salt. */\nconst DEPLOYMENT = createHash(\"sha256\").update(`${process.pid}-${process.hrtime.bigint()}`).digest(\"hex\").slice(0, 8);\n\n/** Stable across retries of the task (and of the whole run), different for every task of every run. */",
        },
      ],
    },
    {
      id: "invoice-mail-key-per-day",
      class: "key stable only today",
      scenario: "the invoice email's answer is lost before midnight and the task retried after it: a new key, a second invoice email",
      patches: [{ file: WORKFLOW, find: INVOICE_MAIL_KEY, replace: "            taskKey(runId, `send-invoice-${new Date().toISOString().slice(0, 10)}`)," }],
    },
    {
      id: "invoice-mail-key-random",
      class: "lost answer after the happy path",
      scenario: "the invoice email is sent and its answer lost: the retried task sends it again under a fresh key",
      patches: [
        { file: WORKFLOW, find: INVOICE_MAIL_KEY, replace: "            `${taskKey(runId, \"send-invoice\")}-${randomUUID()}`," },
        { file: WORKFLOW, find: "import * as restate from \"@restatedev/restate-sdk\";", replace: "import { randomUUID } from \"node:crypto\";\nimport * as restate from \"@restatedev/restate-sdk\";" },
      ],
    },
    {
      id: "payload-key-as-query-string",
      class: "colliding ids",
      scenario: "filters {a: '1&b=2'} and {a: '1', b: '2'} make one key: the second, different export is never run or emailed",
      patches: [
        {
          file: "keys.ts",
          find: "  return `payload-${createHash(\"sha256\").update(canonicalJson(payload)).digest(\"hex\")}`;",
          replace: `  // Readable and order-independent: fields sorted, like a query string.
  const { userId, format, filters, email } = payload as { userId: string; format: string; filters: Record<string, string>; email: string };
  const query = Object.keys(filters)
    .sort()
    .map((name) => \`\${name}=\${filters[name]}\`)
    .join("&");
  return \`export-\${createHash("sha256").update(\`\${userId}|\${format}|\${email}|\${query}\`).digest("hex")}\`;`,
        },
      ],
    },
    {
      id: "charge-failure-swallowed",
      class: "error swallowed",
      scenario: "the gateway is down (or its answer lost): the run carries on with no charge, emails the invoice and records the invoice as billed, so it is never charged",
      patches: [
        {
          file: WORKFLOW,
          find: "              if (error instanceof ProviderRejection) throw new TerminalError(`Invoice ${runId}: ${error.message}`, { errorCode: 402 });\n              throw error;",
          replace:
            "              if (error instanceof ProviderRejection) throw new TerminalError(`Invoice ${runId}: ${error.message}`, { errorCode: 402 });\n              // The invoice still goes out; billing follows up on unpaid ones.\n              console.error(`Invoice ${runId}: the charge failed (${String(error)})`);\n              return { id: \"unpaid\" };",
        },
      ],
    },
    {
      id: "after-retention-left-to-provider-keys",
      class: "rule left to the provider",
      scenario: "after the workflow's retention the same invoice runs again and asks the gateway and mailer again; their keys replay the first charge and email only while they keep keys (a day at most providers)",
      patches: [
        {
          file: WORKFLOW,
          find: "        const billed = await record.get();\n        if (billed) return billed; // billed by an earlier run whose workflow Restate no longer retains\n",
          replace: "        // A run again after the retention uses the same task keys: the providers answer with what they did.\n",
        },
      ],
    },
  ],
};
