// Exercise 7, solved: the client side, as an application would enqueue the work.
// The checker imports these two functions and calls them.
import * as clients from "@restatedev/restate-sdk-clients";
import type { Enqueued, ExportRequest, InvoiceRequest } from "../../exercises/support/invoice_contract.js";
import type { ExportService } from "./export_service.js";
import type { InvoiceWorkflow } from "./invoice_workflow.js";
import { invoiceRunId, payloadKey } from "./keys.js";

/**
 * Starts the invoice workflow for this request, or finds the run already
 * started for it: a workflow id is an idempotency key for the whole run, and a
 * second submit answers PreviouslyAccepted with the same invocation.
 */
export async function enqueueInvoice(ingressUrl: string, request: InvoiceRequest): Promise<Enqueued & { runId: string }> {
  const restate = clients.connect({ url: ingressUrl });
  const runId = invoiceRunId(request);
  const submission = await restate.workflowClient<InvoiceWorkflow>({ name: "InvoiceWorkflow" }, runId).workflowSubmit(request);
  return { runId, invocationId: submission.invocationId, status: submission.status };
}

/** Enqueues the export task under a key made from its payload: the same export twice is one invocation. */
export async function enqueueExport(ingressUrl: string, request: ExportRequest): Promise<Enqueued> {
  const restate = clients.connect({ url: ingressUrl });
  const send = await restate
    .serviceSendClient<ExportService>({ name: "ExportService" })
    .export(request, clients.rpc.sendOpts({ idempotencyKey: payloadKey(request) }));
  return { invocationId: send.invocationId, status: send.status };
}
