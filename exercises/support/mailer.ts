// A mock mailer: every email it sends is in its ledger
// (`GET /v1/emails?to=...&reference=...`), so a check can count what a user
// received. Its API and client: mailer_client.ts.
import { createMockProvider, listNewestFirst, type MockProvider, newId } from "../../code/mock_provider.js";
import type { FaultSettings } from "../../code/types.js";
import { type Email, SendEmailRequest } from "./mailer_client.js";

export function createMailer(options: { log?: (line: string) => void; faults?: Partial<FaultSettings> } = {}): MockProvider & { emails: Email[] } {
  const emails: Email[] = [];
  const log = options.log ?? (() => {});
  const provider = createMockProvider<{ type: "sent"; email: Email }>({
    name: "mailer",
    log,
    faults: options.faults,
    apply: (event) => void emails.push(event.email),
    clearLedger: () => {
      emails.length = 0;
    },
    define: (kit) => {
      kit.operation("/v1/emails", SendEmailRequest, (request, { idempotencyKey, record }) => {
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
        record({ type: "sent", email });
        log(`sent ${email.id} to ${email.to}: ${email.subject}`);
        return { status: 200, body: email };
      });
      kit.query("/v1/emails", (query) => listNewestFirst(emails, query, ["to", "reference"]));
    },
  });
  return Object.assign(provider, { emails });
}
