// Exercise 7's contract: the invoice workflow, the export task, and the
// functions of keys.ts and enqueue.ts that the checker imports and calls.
// The starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { identifier } from "../../code/types.js";
import { Amount, Currency, Source } from "../../code/types.js";


/**
 * How long Restate keeps a finished invoice run (the workflow's `workflowRetention`), in ms. A workflow id finds
 * its run, and a repeat is answered PreviouslyAccepted, only within this retention (Restate's default is 1 day);
 * after it, the same id runs again. The workflow reads its retention from this variable when it is set; the
 * checker sets it to a few seconds to see what happens after it.
 */
export const INVOICE_RETENTION_VARIABLE = "INVOICE_WORKFLOW_RETENTION_MS";

/** The retention the workflow declares: the variable's value, or `fallbackMs`. */
export function invoiceRetentionMs(fallbackMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[INVOICE_RETENTION_VARIABLE];
  if (raw === undefined || raw === "") return fallbackMs;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1_000) throw new Error(`${INVOICE_RETENTION_VARIABLE}=${raw} is not a retention in ms (an integer, at least 1000)`);
  return ms;
}

/** Bill a customer for one period: charge the card, then email the invoice. */
export const InvoiceRequest = z.strictObject({
  customerId: identifier("customerId"),
  /** The billing period, "YYYY-MM". */
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "period must be YYYY-MM"),
  amount: Amount,
  currency: Currency,
  source: Source,
  email: z.email(),
});
export type InvoiceRequest = z.infer<typeof InvoiceRequest>;

export interface InvoiceResult {
  runId: string;
  chargeId: string;
  emailId: string;
}

/** The workflow's two tasks, by name. */
export const INVOICE_TASKS = ["charge", "send-invoice"] as const;

/** Export a user's data and email it to them: a task with no business id of its own. */
export const ExportRequest = z.strictObject({
  userId: identifier("userId"),
  format: z.enum(["csv", "json"]),
  filters: z.record(z.string(), z.string()),
  email: z.email(),
});
export type ExportRequest = z.infer<typeof ExportRequest>;

export interface ExportResult {
  emailId: string;
}

export interface Enqueued {
  invocationId: string;
  status: "Accepted" | "PreviouslyAccepted";
}

/** keys.ts exports these. */
export interface KeysModule {
  /** The workflow id (run id) for an invoice: the same intent must give the same id. */
  invoiceRunId(request: InvoiceRequest): string;
  /** A task's idempotency key at a provider, from the run id and the task's name. */
  taskKey(runId: string, task: string): string;
  /** An idempotency key from the payload itself (for the export, which has no id). */
  payloadKey(payload: unknown): string;
}

/** enqueue.ts exports these: the client side, which the checker calls like an application would. */
export interface EnqueueModule {
  enqueueInvoice(ingressUrl: string, request: InvoiceRequest): Promise<Enqueued & { runId: string }>;
  enqueueExport(ingressUrl: string, request: ExportRequest): Promise<Enqueued>;
}
