// Exercise 7: the client side, as an application would enqueue the work.
// The checker imports these two functions and calls them. Read README.md first.
import * as clients from "@restatedev/restate-sdk-clients";
import type { Enqueued, ExportRequest, InvoiceRequest } from "../support/invoice_contract.js";
import type { ExportService } from "./export_service.js";
import type { InvoiceWorkflow } from "./invoice_workflow.js";
import { invoiceRunId, payloadKey } from "./keys.js";

/** Starts the invoice workflow for this request (or finds the run already started for it). */
export async function enqueueInvoice(ingressUrl: string, request: InvoiceRequest): Promise<Enqueued & { runId: string }> {
  const restate = clients.connect({ url: ingressUrl });
  const runId = invoiceRunId(request);
  const submission = await restate.workflowClient<InvoiceWorkflow>({ name: "InvoiceWorkflow" }, runId).workflowSubmit(request);
  return { runId, invocationId: submission.invocationId, status: submission.status };
}

/** Enqueues the export task. */
export async function enqueueExport(ingressUrl: string, request: ExportRequest): Promise<Enqueued> {
  const restate = clients.connect({ url: ingressUrl });
  // TODO(exercise): without an idempotency key, every enqueue is a new invocation (keys.ts has payloadKey).
  const send = await restate.serviceSendClient<ExportService>({ name: "ExportService" }).export(request);
  return { invocationId: send.invocationId, status: send.status };
}
