// Exercise 7, solved: the invoice workflow (unchanged from the starter: the
// keys it uses changed). See README.md for why.
//
// One run bills one customer for one period: charge the card, then email the
// invoice. Restate runs a workflow's `run` once per workflow id (the run id)
// for as long as it retains the completed run (workflowRetention below); after
// that the same id runs again, so the run first asks the invoice's durable
// record (InvoiceRecord) whether it was billed, and records it at the end.
// Each task is journaled (a replay returns the recorded result: memoisation)
// and gives its provider taskKey(runId, task), stable across retries, for the
// window the journal cannot cover.
import * as restate from "@restatedev/restate-sdk";
import { TerminalError, type WorkflowContext } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../../exercises/support/env.js";
import { InvoiceRequest, type InvoiceResult, invoiceRetentionMs } from "../../exercises/support/invoice_contract.js";
import { MailerClient } from "../../exercises/support/mailer_client.js";
import { type InvoiceRecord, invoiceRecordKey } from "./invoice_record.js";
import { taskKey } from "./keys.js";

const gateway = new GatewayClient(providerUrls().gateway);
const mailer = new MailerClient(providerUrls().mailer);

export const invoiceWorkflow = restate.workflow({
  name: "InvoiceWorkflow",
  handlers: {
    run: restate.handlers.workflow.workflow(
      { input: restate.serde.schema(InvoiceRequest) },
      async (ctx: WorkflowContext, request: InvoiceRequest): Promise<InvoiceResult> => {
        const runId = ctx.key;
        const record = ctx.objectClient<InvoiceRecord>({ name: "InvoiceRecord" }, invoiceRecordKey(request));
        const billed = await record.get();
        if (billed) return billed; // billed by an earlier run whose workflow Restate no longer retains
        const charge = await ctx.run("charge", () =>
          gateway
            .charge({ amount: request.amount, currency: request.currency, source: request.source, reference: runId }, taskKey(runId, "charge"))
            .catch((error: unknown) => {
              if (error instanceof ProviderRejection) throw new TerminalError(`Invoice ${runId}: ${error.message}`, { errorCode: 402 });
              throw error;
            }),
        );
        const email = await ctx.run("send-invoice", () =>
          mailer.send(
            {
              to: request.email,
              subject: `Your invoice for ${request.period}`,
              body: `We charged ${request.amount} ${request.currency} (charge ${charge.id}).`,
              reference: runId,
            },
            taskKey(runId, "send-invoice"),
          ),
        );
        return record.record({ runId, chargeId: charge.id, emailId: email.id });
      },
    ),
  },
  options: {
    // How long a finished run answers a repeat of its id (PreviouslyAccepted) instead of running again; Restate's
    // default is 1 day. Chosen, not inherited: a week covers any client's retries, and InvoiceRecord covers the
    // rest. (The checker shortens it through the contract's variable, to see what happens after it.)
    workflowRetention: invoiceRetentionMs(7 * 24 * 60 * 60 * 1000),
  },
});

export type InvoiceWorkflow = typeof invoiceWorkflow;
