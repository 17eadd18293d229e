// Exercise 7: the invoice workflow. Read README.md first.
//
// One run bills one customer for one period: charge the card, then email the
// invoice. Restate runs a workflow's `run` once per workflow id (the run id)
// for as long as it retains the finished run (the workflow's retention, 1 day
// by default; after it the same id runs again); inside it, each task needs a
// key of its own for its provider.
import * as restate from "@restatedev/restate-sdk";
import { TerminalError, type WorkflowContext } from "@restatedev/restate-sdk";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { providerUrls } from "../support/env.js";
import { InvoiceRequest, type InvoiceResult } from "../support/invoice_contract.js";
import { MailerClient } from "../support/mailer_client.js";
import { taskKey } from "./keys.js";

const gateway = new GatewayClient(providerUrls().gateway);
const mailer = new MailerClient(providerUrls().mailer);

export const invoiceWorkflow = restate.workflow({
  name: "InvoiceWorkflow",
  // TODO(exercise): choose the retention (options.workflowRetention, from invoiceRetentionMs in the contract).
  handlers: {
    run: restate.handlers.workflow.workflow(
      { input: restate.serde.schema(InvoiceRequest) },
      async (ctx: WorkflowContext, request: InvoiceRequest): Promise<InvoiceResult> => {
        const runId = ctx.key;
        // TODO(exercise): after the workflow's retention the same id runs again: check a durable record of the
        // invoices billed (per customer and period, in an object's state) first, and record this one at the end.
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
        return { runId, chargeId: charge.id, emailId: email.id };
      },
    ),
  },
});

export type InvoiceWorkflow = typeof invoiceWorkflow;
