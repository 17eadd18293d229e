// Exercise 7 (advanced): the keys. Read README.md first.
//
// Three kinds of key, each with a job:
//  - invoiceRunId: the workflow id; Restate runs a workflow once per id while
//    it retains the finished run (the workflow's retention, 1 day by default),
//    so the same invoice enqueued twice must get the same id, and another
//    invoice another id;
//  - taskKey: what a task inside the run gives its provider, so a retried task
//    is recognised;
//  - payloadKey: for a request with no id of its own, the request itself.
import { randomUUID } from "node:crypto";
import type { InvoiceRequest } from "../support/invoice_contract.js";

// TODO(exercise): a new id for every enqueue starts a new run every time.
export function invoiceRunId(_request: InvoiceRequest): string {
  return `invoice-${randomUUID()}`;
}

// TODO(exercise): a new key for every attempt of a task lets a retried task act twice.
export function taskKey(_runId: string, task: string): string {
  return `${task}-${randomUUID()}`;
}

// TODO(exercise): the same payload must always give the same key (whatever the order of its fields),
// and another payload another key.
export function payloadKey(_payload: unknown): string {
  return randomUUID();
}
