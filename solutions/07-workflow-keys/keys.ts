// Exercise 7, solved: the keys. See README.md for why.
import { createHash } from "node:crypto";
import type { InvoiceRequest } from "../../exercises/support/invoice_contract.js";

/**
 * The business key: one invoice per customer per period. Enqueued twice, the
 * same invoice gets the same workflow id, so Restate returns the run it already
 * has; another period is another intent, another run.
 */
export function invoiceRunId(request: InvoiceRequest): string {
  return `invoice-${request.customerId}-${request.period}`;
}

/** Stable across retries of the task (and of the whole run), different for every task of every run. */
export function taskKey(runId: string, task: string): string {
  return `${runId}-${task}`;
}

/**
 * Hash of the canonical payload: equal requests give equal keys whatever the
 * order of their fields. The caveat: two legitimate identical requests become
 * one, which for "export my data with these filters" is what we want.
 */
export function payloadKey(payload: unknown): string {
  return `payload-${createHash("sha256").update(canonicalJson(payload)).digest("hex")}`;
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same payload. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
