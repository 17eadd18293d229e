// The mailer's API as a caller sees it: its request, its record, and the
// client (the mock itself is in mailer.ts).
import { z } from "zod";
import { ProviderClient } from "../../code/provider_client.js";

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
