// The payment provider: a mock that behaves like a real one (latency, transient
// 5xx, declines, its own idempotency keys, a ledger of every charge), built from
// the kit every mock provider of the course shares (code/mock_provider.ts).
//
// Run it alone with `npx tsx code/mock_gateway.ts` (port GATEWAY_PORT, default 9090).
import type { Server } from "node:http";
import { pathToFileURL } from "node:url";
import express from "express";
import { portFromEnv } from "./config.js";
import { createMockProvider, faultsFromEnv, invalidRequest, listNewestFirst, type MockProvider, newId } from "./mock_provider.js";
import { type Charge, ChargeRequest, type FaultSettings, type GatewayRefund, RefundChargeRequest } from "./types.js";

// ---------------------------------------------------------------------------
// Test cards, in the style of Stripe's test tokens.
// ---------------------------------------------------------------------------

type CardBehaviour = { outcome: "succeeds" } | { outcome: "declined"; declineCode: string; message: string };

export const TEST_CARDS: Record<string, CardBehaviour> = {
  tok_visa: { outcome: "succeeds" },
  tok_mastercard: { outcome: "succeeds" },
  tok_amex: { outcome: "succeeds" },
  tok_chargeDeclined: { outcome: "declined", declineCode: "generic_decline", message: "Your card was declined." },
  tok_chargeDeclinedInsufficientFunds: {
    outcome: "declined",
    declineCode: "insufficient_funds",
    message: "Your card has insufficient funds.",
  },
  tok_chargeDeclinedExpiredCard: { outcome: "declined", declineCode: "expired_card", message: "Your card has expired." },
  tok_chargeDeclinedFraudulent: { outcome: "declined", declineCode: "fraudulent", message: "Your card was declined." },
};

type LedgerEvent = { type: "charge"; charge: Charge } | { type: "refund"; refund: GatewayRefund };

export interface GatewayOptions {
  faults?: Partial<FaultSettings>;
  /**
   * Keep the ledger and the idempotency keys in this file (JSON lines), so a
   * restarted gateway still knows every charge, like a real provider. In memory when unset.
   */
  ledgerFile?: string;
  /** Called for each charge/refund request, for logs. */
  log?: (line: string) => void;
}

export interface MockGateway extends MockProvider {
  app: express.Express;
  /** Every charge ever attempted, oldest first (declined attempts included, as at Stripe). */
  charges: Charge[];
  refunds: GatewayRefund[];
}

export function createGateway(options: GatewayOptions = {}): MockGateway {
  const charges: Charge[] = [];
  const refunds: GatewayRefund[] = [];
  const log = options.log ?? (() => {});

  const provider = createMockProvider<LedgerEvent>({
    name: "provider",
    log,
    faults: options.faults,
    ledgerFile: options.ledgerFile,
    apply: (event) => {
      if (event.type === "charge") {
        charges.push(event.charge);
        return;
      }
      refunds.push(event.refund);
      const target = charges.find((c) => c.id === event.refund.charge);
      if (target) target.amountRefunded += event.refund.amount;
    },
    clearLedger: () => {
      charges.length = 0;
      refunds.length = 0;
    },
    define: (kit) => {
      kit.operation(
        "/v1/charges",
        ChargeRequest,
        (request, { idempotencyKey, record }) => {
          const card = TEST_CARDS[request.source];
          if (!card) {
            throw invalidRequest(`No such token: '${request.source}'. Test tokens: ${Object.keys(TEST_CARDS).join(", ")}`, "resource_missing");
          }
          const declined = card.outcome === "declined" ? card : null;
          const charge: Charge = {
            id: newId("ch"),
            object: "charge",
            amount: request.amount,
            currency: request.currency,
            source: request.source,
            reference: request.reference,
            status: declined ? "failed" : "succeeded",
            failureCode: declined ? "card_declined" : null,
            declineCode: declined?.declineCode ?? null,
            failureMessage: declined?.message ?? null,
            amountRefunded: 0,
            idempotencyKey,
            created: new Date().toISOString(),
          };
          record({ type: "charge", charge });
          log(`charge ${charge.id} ${charge.status} ${request.amount} ${request.currency} ref=${request.reference}`);
          if (declined) {
            const error = { type: "card_error", code: "card_declined", declineCode: declined.declineCode, message: declined.message };
            return { status: 402, body: { error, charge: charge.id } };
          }
          return { status: 200, body: charge };
        },
        "charges",
      );

      kit.operation(
        "/v1/refunds",
        RefundChargeRequest,
        (request, { idempotencyKey, record }) => {
          const target = charges.find((c) => c.id === request.charge);
          if (!target) throw invalidRequest(`No such charge: '${request.charge}'`, "resource_missing");
          if (target.status !== "succeeded") throw invalidRequest(`Charge ${target.id} did not succeed; there is nothing to refund.`);
          const refundable = target.amount - target.amountRefunded;
          if (request.amount > refundable) {
            throw invalidRequest(
              `Refund amount (${request.amount}) is greater than the unrefunded amount on charge ${target.id} (${refundable}).`,
              refundable === 0 ? "charge_already_refunded" : "amount_too_large",
            );
          }
          const refund: GatewayRefund = {
            id: newId("re"),
            object: "refund",
            charge: target.id,
            amount: request.amount,
            reference: request.reference,
            status: "succeeded",
            idempotencyKey,
            created: new Date().toISOString(),
          };
          record({ type: "refund", refund });
          log(`refund ${refund.id} ${request.amount} of ${target.id} ref=${request.reference}`);
          return { status: 200, body: refund };
        },
        "refunds",
      );

      kit.query("/v1/charges", (query) => listNewestFirst(charges, query, ["reference"]));
      kit.query("/v1/refunds", (query) => listNewestFirst(refunds, query, ["charge", "reference"]));
    },
  });

  const app = express();
  app.disable("x-powered-by");
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.use(provider.router);
  return Object.assign(provider, { app, charges, refunds });
}

export async function listenGateway(gateway: MockGateway, port: number, host = "127.0.0.1"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = gateway.app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

// ---------------------------------------------------------------------------
// Stand-alone: `tsx code/mock_gateway.ts`.
// ---------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = portFromEnv("gateway");
  const gateway = createGateway({
    faults: faultsFromEnv(),
    ledgerFile: process.env.GATEWAY_LEDGER_FILE || undefined,
    log: (line) => console.log(line),
  });
  const server = await listenGateway(gateway, port, process.env.GATEWAY_HOST ?? "127.0.0.1");
  console.log(`mock gateway listening on http://${process.env.GATEWAY_HOST ?? "127.0.0.1"}:${port} (faults: ${JSON.stringify(gateway.faults)})`);
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
