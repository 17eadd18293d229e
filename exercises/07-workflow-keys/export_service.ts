// Exercise 7: the export task. It has no business id: the client enqueues it
// with an idempotency key made from the payload (see enqueue.ts), and the task
// derives its own key for the mailer from that. Read README.md first.
import * as restate from "@restatedev/restate-sdk";
import type { Context } from "@restatedev/restate-sdk";
import { providerUrls } from "../support/env.js";
import { ExportRequest, type ExportResult } from "../support/invoice_contract.js";
import { MailerClient } from "../support/mailer_client.js";
import { taskKey } from "./keys.js";

const mailer = new MailerClient(providerUrls().mailer);

export const exportService = restate.service({
  name: "ExportService",
  handlers: {
    export: restate.handlers.handler(
      { input: restate.serde.schema(ExportRequest) },
      async (ctx: Context, request: ExportRequest): Promise<ExportResult> => {
        // The invocation's idempotency key, when the client sent one, names this run of the task.
        const runId = ctx.request().idempotencyKey ?? ctx.request().id;
        const email = await ctx.run("send-export", () =>
          mailer.send(
            {
              to: request.email,
              subject: `Your ${request.format} export`,
              body: `Your export with filters ${JSON.stringify(request.filters)} is ready.`,
              reference: request.userId,
            },
            taskKey(runId, "send-export"),
          ),
        );
        return { emailId: email.id };
      },
    ),
  },
});

export type ExportService = typeof exportService;
