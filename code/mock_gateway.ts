// The payment provider: a mock that behaves like a real one (latency, transient
// 5xx, declines, its own idempotency keys, a ledger of every charge).
//
// Run it alone with `npx tsx code/mock_gateway.ts` (port GATEWAY_PORT, default 9090).
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { pathToFileURL } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import {
  type Charge,
  ChargeRequest,
  FAULT_VARIABLES,
  FaultSettings,
  type GatewayErrorBody,
  type GatewayRefund,
  RefundChargeRequest,
} from "./types.js";
import { portFromEnv } from "./config.js";

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

/** Keys are kept this long by default, like Stripe's (at least 24 hours); `keyRetentionMs` changes it. */
const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  failureRate: 0,
  failNext: 0,
  dropNext: 0,
  answerDelayMs: 0,
  keyRetentionMs: IDEMPOTENCY_KEY_RETENTION_MS,
};

export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultSettings {
  const set = Object.entries(FAULT_VARIABLES).filter(([, name]) => env[name] !== undefined && env[name] !== "");
  const parsed = FaultSettings.partial().safeParse(Object.fromEntries(set.map(([fault, name]) => [fault, Number(env[name])])));
  if (!parsed.success) throw new Error(`bad gateway fault settings in the environment: ${z.prettifyError(parsed.error)}`);
  return { ...NO_FAULTS, ...stripUndefined(parsed.data) };
}

// ---------------------------------------------------------------------------
// The mock provider.
// ---------------------------------------------------------------------------

interface StoredResponse {
  status: number;
  body: unknown;
}

interface IdempotencyRecord {
  endpoint: string;
  fingerprint: string;
  /** When the key was first used (ms since the epoch): it is forgotten `keyRetentionMs` later. */
  createdAt: number;
  /** Unset while the first request with this key is still being processed. */
  response?: StoredResponse;
}

type LedgerEvent =
  | { type: "charge"; charge: Charge }
  | { type: "refund"; refund: GatewayRefund }
  | { type: "key"; key: string; record: IdempotencyRecord }
  | { type: "reset" };

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

export interface MockGateway {
  app: express.Express;
  /** Every charge ever attempted, oldest first (declined attempts included, as at Stripe). */
  charges: Charge[];
  refunds: GatewayRefund[];
  faults: FaultSettings;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: GatewayErrorBody,
  ) {
    super(body.error.message);
  }
}

function invalidRequest(message: string, code = "parameter_invalid"): ApiError {
  return new ApiError(400, { error: { type: "invalid_request_error", code, message } });
}

export function createGateway(options: GatewayOptions = {}): MockGateway {
  const gateway: MockGateway = {
    app: express(),
    charges: [],
    refunds: [],
    faults: { ...NO_FAULTS, ...options.faults },
  };
  const idempotency = new Map<string, IdempotencyRecord>();
  const log = options.log ?? (() => {});

  const apply = (event: LedgerEvent) => {
    switch (event.type) {
      case "charge":
        gateway.charges.push(event.charge);
        break;
      case "refund": {
        gateway.refunds.push(event.refund);
        const target = gateway.charges.find((c) => c.id === event.refund.charge);
        if (target) target.amountRefunded += event.refund.amount;
        break;
      }
      case "key": {
        // A ledger written before keys had `createdAt` kept `expiresAt`, 24 h after it.
        const legacy = event.record as IdempotencyRecord & { expiresAt?: number };
        const createdAt = legacy.createdAt ?? (legacy.expiresAt ?? 0) - IDEMPOTENCY_KEY_RETENTION_MS;
        idempotency.set(event.key, { ...event.record, createdAt });
        break;
      }
      case "reset":
        gateway.charges.length = 0;
        gateway.refunds.length = 0;
        idempotency.clear();
        break;
    }
  };
  /** One write per request: its ledger entries and its key are kept together, or not at all. */
  const persist = (events: LedgerEvent[]) => {
    if (options.ledgerFile && events.length > 0) appendFileSync(options.ledgerFile, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  };
  if (options.ledgerFile && existsSync(options.ledgerFile)) {
    const lines = readFileSync(options.ledgerFile, "utf8").split("\n").filter((line) => line.trim() !== "");
    for (const line of lines) apply(JSON.parse(line) as LedgerEvent);
    log(`ledger loaded from ${options.ledgerFile}: ${gateway.charges.length} charges, ${gateway.refunds.length} refunds`);
  }
  const app = gateway.app;
  app.disable("x-powered-by");
  app.use(express.json({ limit: "100kb" }));

  const charge = (request: ChargeRequest, idempotencyKey: string | null, events: LedgerEvent[]): StoredResponse => {
    const card = TEST_CARDS[request.source];
    if (!card) {
      throw invalidRequest(`No such token: '${request.source}'. Test tokens: ${Object.keys(TEST_CARDS).join(", ")}`, "resource_missing");
    }
    const declined = card.outcome === "declined" ? card : null;
    const record: Charge = {
      id: `ch_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
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
    apply({ type: "charge", charge: record });
    events.push({ type: "charge", charge: record });
    log(`charge ${record.id} ${record.status} ${request.amount} ${request.currency} ref=${request.reference}`);
    if (declined) {
      const body: GatewayErrorBody = {
        error: { type: "card_error", code: "card_declined", declineCode: declined.declineCode, message: declined.message },
      };
      return { status: 402, body: { ...body, charge: record.id } };
    }
    return { status: 200, body: record };
  };

  const refund = (request: RefundChargeRequest, idempotencyKey: string | null, events: LedgerEvent[]): StoredResponse => {
    const target = gateway.charges.find((c) => c.id === request.charge);
    if (!target) throw invalidRequest(`No such charge: '${request.charge}'`, "resource_missing");
    if (target.status !== "succeeded") throw invalidRequest(`Charge ${target.id} did not succeed; there is nothing to refund.`);
    const refundable = target.amount - target.amountRefunded;
    if (request.amount > refundable) {
      throw invalidRequest(
        `Refund amount (${request.amount}) is greater than the unrefunded amount on charge ${target.id} (${refundable}).`,
        refundable === 0 ? "charge_already_refunded" : "amount_too_large",
      );
    }
    const record: GatewayRefund = {
      id: `re_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
      object: "refund",
      charge: target.id,
      amount: request.amount,
      reference: request.reference,
      status: "succeeded",
      idempotencyKey,
      created: new Date().toISOString(),
    };
    apply({ type: "refund", refund: record });
    events.push({ type: "refund", refund: record });
    log(`refund ${record.id} ${request.amount} of ${target.id} ref=${request.reference}`);
    return { status: 200, body: record };
  };

  /**
   * One money-moving endpoint. Injected failures come first (like a load
   * balancer in front of the provider: nothing happens and nothing is
   * remembered), then validation, then the provider's own idempotency layer,
   * whose in-progress window covers the injected latency, then the operation.
   */
  const moneyEndpoint =
    <T>(endpoint: string, schema: z.ZodType<T>, operation: (body: T, key: string | null, events: LedgerEvent[]) => StoredResponse) =>
    async (req: Request, res: Response) => {
      const faults = gateway.faults;
      if (faults.failNext > 0) {
        faults.failNext -= 1;
        log(`${endpoint}: injected 500 (fail-next, ${faults.failNext} left)`);
        throw new ApiError(500, { error: { type: "api_error", code: "internal_error", message: "Injected fault: the provider failed (fail-next)." } });
      }
      if (faults.failureRate > 0 && Math.random() < faults.failureRate) {
        log(`${endpoint}: injected 503 (failure rate ${faults.failureRate})`);
        throw new ApiError(503, { error: { type: "api_error", code: "service_unavailable", message: "Injected fault: the provider is temporarily unavailable." } });
      }

      const key = req.get("Idempotency-Key") ?? null;
      if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
        throw invalidRequest(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, "idempotency_key_invalid");
      }
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error));

      const events: LedgerEvent[] = [];
      const response = key === null ? await execute(null) : await executeOnce(key);
      persist(events);
      if (gateway.faults.answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, gateway.faults.answerDelayMs));
      if (gateway.faults.dropNext > 0) {
        gateway.faults.dropNext -= 1;
        log(`${endpoint}: done, but the answer is dropped (drop-next, ${gateway.faults.dropNext} left)`);
        res.socket?.destroy();
        return;
      }
      if (response.replayed) res.set("Idempotent-Replayed", "true");
      res.status(response.status).json(response.body);

      async function execute(idempotencyKey: string | null): Promise<StoredResponse & { replayed?: boolean }> {
        if (gateway.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, gateway.faults.latencyMs));
        return runOperation(() => operation(parsed.data as T, idempotencyKey, events));
      }

      async function executeOnce(idempotencyKey: string): Promise<StoredResponse & { replayed?: boolean }> {
        const fingerprint = JSON.stringify(req.body);
        const existing = idempotency.get(idempotencyKey);
        if (existing && Date.now() - existing.createdAt < gateway.faults.keyRetentionMs) {
          if (existing.endpoint !== endpoint || existing.fingerprint !== fingerprint) {
            throw new ApiError(400, {
              error: {
                type: "idempotency_error",
                code: "idempotency_key_reused",
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Key '${idempotencyKey}' was used with a different request.`,
              },
            });
          }
          if (!existing.response) {
            throw new ApiError(409, {
              error: {
                type: "idempotency_error",
                code: "idempotency_key_in_use",
                message: `A request with Idempotency-Key '${idempotencyKey}' is still being processed; retry later.`,
              },
            });
          }
          log(`${endpoint}: replayed the stored answer for key ${idempotencyKey}`);
          return { ...existing.response, replayed: true };
        }
        const record: IdempotencyRecord = { endpoint, fingerprint, createdAt: Date.now() };
        idempotency.set(idempotencyKey, record);
        try {
          record.response = await execute(idempotencyKey);
        } catch (error) {
          idempotency.delete(idempotencyKey); // nothing happened: a retry may run it again
          throw error;
        }
        events.push({ type: "key", key: idempotencyKey, record });
        return record.response;
      }
    };

  app.post("/v1/charges", moneyEndpoint("charges", ChargeRequest, charge));
  app.post("/v1/refunds", moneyEndpoint("refunds", RefundChargeRequest, refund));

  app.get("/v1/charges", (req, res) => {
    const reference = typeof req.query.reference === "string" ? req.query.reference : undefined;
    const data = gateway.charges.filter((c) => reference === undefined || c.reference === reference).toReversed();
    res.json({ object: "list", data });
  });
  app.get("/v1/refunds", (req, res) => {
    const charge = typeof req.query.charge === "string" ? req.query.charge : undefined;
    const reference = typeof req.query.reference === "string" ? req.query.reference : undefined;
    const data = gateway.refunds
      .filter((r) => (charge === undefined || r.charge === charge) && (reference === undefined || r.reference === reference))
      .toReversed();
    res.json({ object: "list", data });
  });

  app.get("/admin/faults", (_req, res) => {
    res.json(gateway.faults);
  });
  app.put("/admin/faults", (req, res) => {
    const parsed = FaultSettings.partial().safeParse(req.body);
    if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error));
    gateway.faults = { ...gateway.faults, ...stripUndefined(parsed.data) };
    log(`faults set: ${JSON.stringify(gateway.faults)}`);
    res.json(gateway.faults);
  });
  app.post("/admin/reset", (_req, res) => {
    apply({ type: "reset" });
    persist([{ type: "reset" }]);
    gateway.faults = { ...NO_FAULTS };
    log("reset: ledger, idempotency keys and faults cleared");
    res.json({ reset: true });
  });
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ApiError(404, { error: { type: "invalid_request_error", code: "not_found", message: `Unrecognized request URL (${req.method}: ${req.path}).` } }));
  });
  // Errors from express.json (malformed JSON, too large) carry a status of their own.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ApiError) {
      res.status(error.status).json(error.body);
      return;
    }
    const { status, type, limit } = error as { status?: number; type?: string; limit?: number };
    if (type === "entity.too.large") {
      res.status(413).json({ error: { type: "invalid_request_error", code: "body_too_large", message: `The request body is larger than the limit of ${limit} bytes.` } });
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: { type: "invalid_request_error", code: "body_invalid", message: (error as Error).message } });
      return;
    }
    log(`unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    res.status(500).json({ error: { type: "api_error", code: "internal_error", message: "Unexpected error in the gateway." } });
  });

  return gateway;
}

function runOperation(operation: () => StoredResponse): StoredResponse {
  try {
    return operation();
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { status: error.status, body: error.body };
    throw error;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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
