// What every mock provider of the course is built from (the payment gateway in
// code/mock_gateway.ts, and the exercises' inventory, mailer and top-ups): an
// `Idempotency-Key` that replays the first answer, a ledger of everything done,
// faults to switch on at run time (the most important being `dropNext`: do the
// work, then cut the connection before the answer), the admin routes, and
// errors in Stripe's shape.
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import { FAULT_VARIABLES, FaultSettings, type ProviderErrorBody } from "./types.js";

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
  if (!parsed.success) throw new Error(`bad fault settings in the environment: ${z.prettifyError(parsed.error)}`);
  return { ...NO_FAULTS, ...stripUndefined(parsed.data) };
}

/** An answer other than success; a 4xx is stored under the idempotency key like a success. */
export class ProviderError extends Error {
  constructor(
    readonly status: number,
    readonly body: ProviderErrorBody,
  ) {
    super(body.error.message);
  }
}

/** A refused request (400 by default), with Stripe's `invalid_request_error` type. */
export function invalidRequest(message: string, code = "parameter_invalid", status = 400): ProviderError {
  return new ProviderError(status, { error: { type: "invalid_request_error", code, message } });
}

export interface Reply {
  status: number;
  body: unknown;
}

interface IdempotencyRecord {
  endpoint: string;
  fingerprint: string;
  /** When the key was first used (ms since the epoch): it is forgotten `keyRetentionMs` later. */
  createdAt: number;
  /** Unset while the first request with this key is still being processed. */
  response?: Reply;
}

/** The kit's own ledger entries, beside the provider's (`E`): one line each in the ledger file. */
type KitEvent = { type: "key"; key: string; record: IdempotencyRecord } | { type: "reset" };

/** What an operation is given besides its validated body. */
export interface OperationContext<E> {
  idempotencyKey: string | null;
  params: Record<string, string>;
  /** Applies one of the provider's ledger events now, and keeps it in the ledger file with this request's key. */
  record(event: E): void;
}

export interface ProviderKit<E> {
  /**
   * A state-changing endpoint: injected faults first (nothing happens and
   * nothing is remembered, like a load balancer in front of the provider), then
   * validation, then the key (replay, mismatch, in progress; its in-progress
   * window covers the injected latency), then the operation; `dropNext` cuts
   * the connection after the work is done.
   */
  operation<T>(path: string, schema: z.ZodType<T>, run: (body: T, context: OperationContext<E>) => Reply, name?: string): void;
  /** A read-only endpoint over the ledger. */
  query(path: string, answer: (query: Record<string, string | undefined>, params: Record<string, string>) => unknown): void;
}

export interface MockProvider {
  name: string;
  router: Router;
  faults: FaultSettings;
  reset(): void;
}

export interface MockProviderOptions<E> {
  /** How the provider names itself in its error messages ("the mailer failed"). */
  name: string;
  log?: (line: string) => void;
  faults?: Partial<FaultSettings>;
  /**
   * Keep the ledger and the idempotency keys in this file (JSON lines), so a
   * restarted provider still knows everything it did, like a real one. In memory when unset.
   */
  ledgerFile?: string;
  /** Applies one of the provider's own ledger events (when it happens, and when the ledger file is read back). */
  apply: (event: E) => void;
  /** Clears the provider's own ledger (`POST /admin/reset`). */
  clearLedger: () => void;
  define: (kit: ProviderKit<E>) => void;
}

export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** Builds one provider's router: `define` adds its operations and ledger queries; the kit adds the rest. */
export function createMockProvider<E extends { type: string }>(options: MockProviderOptions<E>): MockProvider {
  const log = options.log ?? (() => {});
  const router = express.Router();
  const keys = new Map<string, IdempotencyRecord>();
  /** Requests per idempotency key, replays included: how often a caller asked for the same thing. */
  const requestsPerKey = new Map<string, number>();
  const provider: MockProvider = {
    name: options.name,
    router,
    faults: { ...NO_FAULTS, ...options.faults },
    reset() {
      applyEvent({ type: "reset" });
      persist([{ type: "reset" }]);
      provider.faults = { ...NO_FAULTS };
    },
  };

  const applyEvent = (event: E | KitEvent) => {
    if (isKitEvent(event)) {
      if (event.type === "reset") {
        options.clearLedger();
        keys.clear();
        requestsPerKey.clear();
        return;
      }
      // A ledger written before keys had `createdAt` kept `expiresAt`, 24 h after it.
      const legacy = event.record as IdempotencyRecord & { expiresAt?: number };
      const createdAt = legacy.createdAt ?? (legacy.expiresAt ?? 0) - IDEMPOTENCY_KEY_RETENTION_MS;
      keys.set(event.key, { ...event.record, createdAt });
      return;
    }
    options.apply(event);
  };
  /** One write per request: its ledger entries and its key are kept together, or not at all. */
  const persist = (events: (E | KitEvent)[]) => {
    if (options.ledgerFile && events.length > 0) appendFileSync(options.ledgerFile, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  };
  if (options.ledgerFile && existsSync(options.ledgerFile)) {
    const lines = readFileSync(options.ledgerFile, "utf8").split("\n").filter((line) => line.trim() !== "");
    for (const line of lines) applyEvent(JSON.parse(line) as E | KitEvent);
    log(`ledger loaded from ${options.ledgerFile}: ${lines.length} entries`);
  }
  router.use(express.json({ limit: "100kb" }));

  const kit: ProviderKit<E> = {
    operation(path, schema, run, name = `POST ${path}`) {
      router.post(path, async (req: Request, res: Response) => {
        const faults = provider.faults;
        if (faults.failNext > 0) {
          faults.failNext -= 1;
          log(`${name}: injected 500 (fail-next, ${faults.failNext} left)`);
          throw new ProviderError(500, { error: { type: "api_error", code: "internal_error", message: `Injected fault: the ${options.name} failed (fail-next).` } });
        }
        if (faults.failureRate > 0 && Math.random() < faults.failureRate) {
          log(`${name}: injected 503 (failure rate ${faults.failureRate})`);
          throw new ProviderError(503, {
            error: { type: "api_error", code: "service_unavailable", message: `Injected fault: the ${options.name} is temporarily unavailable.` },
          });
        }
        const key = req.get("Idempotency-Key") ?? null;
        if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
          throw invalidRequest(`Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, "idempotency_key_invalid");
        }
        const parsed = schema.safeParse(req.body ?? {});
        if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error));
        const params = req.params as Record<string, string>;
        if (key !== null) requestsPerKey.set(key, (requestsPerKey.get(key) ?? 0) + 1);

        const events: (E | KitEvent)[] = [];
        const context: OperationContext<E> = {
          idempotencyKey: key,
          params,
          record(event) {
            applyEvent(event);
            events.push(event);
          },
        };
        const execute = async (): Promise<Reply> => {
          if (provider.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, provider.faults.latencyMs));
          try {
            return run(parsed.data, context);
          } catch (error) {
            if (error instanceof ProviderError && error.status < 500) return { status: error.status, body: error.body };
            throw error;
          }
        };
        const executeOnce = async (idempotencyKey: string): Promise<Reply & { replayed?: boolean }> => {
          // The gateway's ledger files hold fingerprints of the body alone: kept so for operations without path parameters.
          const fingerprint = Object.keys(params).length === 0 ? JSON.stringify(req.body) : `${JSON.stringify(params)} ${JSON.stringify(req.body)}`;
          const existing = keys.get(idempotencyKey);
          if (existing && Date.now() - existing.createdAt < provider.faults.keyRetentionMs) {
            if (existing.endpoint !== name || existing.fingerprint !== fingerprint) {
              throw new ProviderError(400, {
                error: {
                  type: "idempotency_error",
                  code: "idempotency_key_reused",
                  message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Key '${idempotencyKey}' was used with a different request.`,
                },
              });
            }
            if (!existing.response) {
              throw new ProviderError(409, {
                error: {
                  type: "idempotency_error",
                  code: "idempotency_key_in_use",
                  message: `A request with Idempotency-Key '${idempotencyKey}' is still being processed; retry later.`,
                },
              });
            }
            log(`${name}: replayed the stored answer for key ${idempotencyKey}`);
            return { ...existing.response, replayed: true };
          }
          const record: IdempotencyRecord = { endpoint: name, fingerprint, createdAt: Date.now() };
          keys.set(idempotencyKey, record);
          try {
            record.response = await execute();
          } catch (error) {
            keys.delete(idempotencyKey); // nothing happened: a retry may run it again
            throw error;
          }
          events.push({ type: "key", key: idempotencyKey, record });
          return record.response;
        };

        const reply: Reply & { replayed?: boolean } = key === null ? await execute() : await executeOnce(key);
        persist(events);
        if (provider.faults.answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, provider.faults.answerDelayMs));
        if (provider.faults.dropNext > 0) {
          provider.faults.dropNext -= 1;
          log(`${name}: done, but the answer is dropped (drop-next, ${provider.faults.dropNext} left)`);
          res.socket?.destroy();
          return;
        }
        if (reply.replayed) res.set("Idempotent-Replayed", "true");
        res.status(reply.status).json(reply.body);
      });
    },
    query(path, answer) {
      router.get(path, (req, res) => {
        const query = Object.fromEntries(Object.entries(req.query).map(([field, value]) => [field, typeof value === "string" ? value : undefined]));
        res.json(answer(query, req.params as Record<string, string>));
      });
    },
  };
  options.define(kit);

  router.get("/admin/faults", (_req, res) => {
    res.json(provider.faults);
  });
  router.put("/admin/faults", (req, res) => {
    const parsed = FaultSettings.partial().safeParse(req.body ?? {});
    if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error));
    provider.faults = { ...provider.faults, ...stripUndefined(parsed.data) };
    log(`faults set: ${JSON.stringify(provider.faults)}`);
    res.json(provider.faults);
  });
  router.get("/admin/keys/:key", (req, res) => {
    res.json({ key: req.params.key, requests: requestsPerKey.get(req.params.key) ?? 0 });
  });
  router.post("/admin/reset", (_req, res) => {
    provider.reset();
    log("reset: ledger, idempotency keys and faults cleared");
    res.json({ reset: true });
  });

  router.use((req: Request, _res: Response, next: NextFunction) => {
    next(invalidRequest(`Unrecognized request URL (${req.method}: ${req.baseUrl}${req.path}).`, "not_found", 404));
  });
  // Errors from express.json (malformed JSON, too large) carry a status of their own.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ProviderError) {
      res.status(error.status).json(error.body);
      return;
    }
    const { status, type, limit } = error as { status?: number; type?: string; limit?: number };
    if (type === "entity.too.large") {
      res.status(413).json(invalidRequest(`The request body is larger than the limit of ${limit} bytes.`, "body_too_large", 413).body);
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json(invalidRequest((error as Error).message, "body_invalid", status).body);
      return;
    }
    log(`unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    res.status(500).json({ error: { type: "api_error", code: "internal_error", message: `Unexpected error in the ${options.name}.` } });
  });
  return provider;
}

const isKitEvent = (event: { type: string }): event is KitEvent => event.type === "key" || event.type === "reset";

/** Newest first, filtered by the fields given in the query string (`?reference=...&to=...`). */
export function listNewestFirst<T extends object>(records: T[], query: Record<string, string | undefined>, fields: (keyof T & string)[]) {
  const data = records
    .filter((record) => fields.every((field) => query[field] === undefined || String(record[field]) === query[field]))
    .toReversed();
  return { object: "list", data };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
