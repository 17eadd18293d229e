// A mock mailer: every email it sends is in its ledger
// (`GET /v1/emails?to=...&reference=...`), so a check can count what a user received.
import { z } from "zod";
import { ProviderClient } from "./provider_client.js";
import { type MockProvider, type ProviderFaults, createMockProvider, listNewestFirst, newId } from "./provider_kit.js";

export const SendEmailRequest = z.strictObject({
  to: z.email("to must be an email address"),
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(10_000),
  /** The caller's own reference (an order id, a run id), so the ledger can be searched by it. */
  reference: z.string().min(1).max(200).optional(),
});
export type SendEmailRequest = z.infer<typeof SendEmailRequest>;

export interface Email {
  id: string;
  object: "email";
  to: string;
  subject: string;
  body: string;
  reference: string | null;
  status: "sent";
  idempotencyKey: string | null;
  created: string;
}

export function createMailer(options: { log?: (line: string) => void; faults?: Partial<ProviderFaults> } = {}): MockProvider & { emails: Email[] } {
  const emails: Email[] = [];
  const log = options.log ?? (() => {});
  const provider = createMockProvider({
    name: "mailer",
    log,
    faults: options.faults,
    clearLedger: () => {
      emails.length = 0;
    },
    define: (kit) => {
      kit.operation("post", "/v1/emails", SendEmailRequest, (request, idempotencyKey) => {
        const email: Email = {
          id: newId("em"),
          object: "email",
          to: request.to,
          subject: request.subject,
          body: request.body,
          reference: request.reference ?? null,
          status: "sent",
          idempotencyKey,
          created: new Date().toISOString(),
        };
        emails.push(email);
        log(`sent ${email.id} to ${email.to}: ${email.subject}`);
        return { status: 200, body: email };
      });
      kit.query("/v1/emails", (query) => listNewestFirst(emails, query, ["to", "reference"]));
    },
  });
  return Object.assign(provider, { emails });
}

export class MailerClient extends ProviderClient {
  constructor(baseUrl: string, timeoutMs?: number) {
    super(baseUrl, "mailer", timeoutMs);
  }

  send(request: SendEmailRequest, idempotencyKey?: string): Promise<Email> {
    return this.post<Email>("/v1/emails", request, idempotencyKey);
  }

  listEmails(filter: { to?: string; reference?: string } = {}): Promise<Email[]> {
    return this.list<Email>("/v1/emails", filter);
  }
}
