// What the exercises' mock providers (inventory, mailer, top-ups) have in common,
// modelled on the payment gateway in code/mock_gateway.ts: an `Idempotency-Key`
// header that replays the first answer, a ledger of everything done, and faults
// to switch on at run time, the most important being `dropNext`: do the work,
// then cut the connection before the answer.
import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";

export const ProviderFaults = z.strictObject({
  /** Added to every operation, inside the key's in-progress window. */
  latencyMs: z.number().int().min(0).max(60_000),
  /** The next N operations answer 500 without doing anything. */
  failNext: z.number().int().min(0).max(1_000_000),
  /** The next N operations are carried out, then the connection is cut before the answer. */
  dropNext: z.number().int().min(0).max(1_000_000),
});
export type ProviderFaults = z.infer<typeof ProviderFaults>;

export const NO_FAULTS: ProviderFaults = { latencyMs: 0, failNext: 0, dropNext: 0 };

/** Keys are kept this long, like Stripe's. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface ProviderErrorBody {
  error: { type: "invalid_request_error" | "idempotency_error" | "api_error"; code: string; message: string };
}

/** An answer other than success; 4xx answers are stored under the idempotency key like successes. */
export class ProviderError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: ProviderErrorBody["error"]["type"] = status >= 500 ? "api_error" : "invalid_request_error",
  ) {
    super(message);
  }

  get body(): ProviderErrorBody {
    return { error: { type: this.type, code: this.code, message: this.message } };
  }
}

export interface Reply {
  status: number;
  body: unknown;
}

interface KeyRecord {
  operation: string;
  fingerprint: string;
  expiresAt: number;
  /** Unset while the first request with this key is still running. */
  reply?: Reply;
}

export interface ProviderKit {
  router: Router;
  /**
   * A state-changing endpoint: faults first (nothing happens and nothing is
   * remembered), then validation, then the key (replay, mismatch, in progress),
   * then the operation; `dropNext` cuts the connection after the work is done.
   */
  operation<T>(method: "post", path: string, schema: z.ZodType<T>, run: (body: T, idempotencyKey: string | null, params: Record<string, string>) => Reply): void;
  /** A read-only endpoint over the ledger. */
  query(path: string, answer: (query: Record<string, string | undefined>, params: Record<string, string>) => unknown): void;
}

export interface MockProvider {
  name: string;
  router: Router;
  faults: ProviderFaults;
  reset(): void;
}

export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

/**
 * Builds one provider's router: `define` adds its operations and ledger
 * queries; the kit adds `/admin/faults`, `/admin/reset` and error handling.
 */
export function createMockProvider(options: {
  name: string;
  log?: (line: string) => void;
  faults?: Partial<ProviderFaults>;
  /** Clears the provider's own ledger on `POST /admin/reset`. */
  clearLedger: () => void;
  define: (kit: ProviderKit) => void;
}): MockProvider {
  const log = options.log ?? (() => {});
  const router = express.Router();
  const keys = new Map<string, KeyRecord>();
  /** Requests per idempotency key, replays included: how often a caller asked for the same thing. */
  const requestsPerKey = new Map<string, number>();
  const provider: MockProvider = {
    name: options.name,
    router,
    faults: { ...NO_FAULTS, ...options.faults },
    reset() {
      options.clearLedger();
      keys.clear();
      requestsPerKey.clear();
      provider.faults = { ...NO_FAULTS };
    },
  };
  router.use(express.json({ limit: "100kb" }));

  const kit: ProviderKit = {
    router,
    operation(method, path, schema, run) {
      const operation = `${method.toUpperCase()} ${path}`;
      router[method](path, async (req: Request, res: Response) => {
        if (provider.faults.failNext > 0) {
          provider.faults.failNext -= 1;
          log(`${operation}: injected 500 (fail-next, ${provider.faults.failNext} left)`);
          throw new ProviderError(500, "internal_error", `Injected fault: the ${options.name} failed (fail-next).`);
        }
        const key = req.get("Idempotency-Key") ?? null;
        if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
          throw new ProviderError(400, "idempotency_key_invalid", `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
        }
        const parsed = schema.safeParse(req.body ?? {});
        if (!parsed.success) throw new ProviderError(400, "parameter_invalid", z.prettifyError(parsed.error));
        const params = req.params as Record<string, string>;
        if (key !== null) requestsPerKey.set(key, (requestsPerKey.get(key) ?? 0) + 1);

        const execute = async (): Promise<Reply> => {
          if (provider.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, provider.faults.latencyMs));
          try {
            return run(parsed.data, key, params);
          } catch (error) {
            if (error instanceof ProviderError && error.status < 500) return { status: error.status, body: error.body };
            throw error;
          }
        };

        let reply: Reply;
        let replayed = false;
        if (key === null) {
          reply = await execute();
        } else {
          const fingerprint = `${JSON.stringify(params)} ${JSON.stringify(req.body)}`;
          const existing = keys.get(key);
          if (existing && existing.expiresAt > Date.now()) {
            if (existing.operation !== operation || existing.fingerprint !== fingerprint) {
              throw new ProviderError(
                400,
                "idempotency_key_reused",
                `Keys for idempotent requests can only be used with the same parameters they were first used with. Key '${key}' was used with a different request.`,
                "idempotency_error",
              );
            }
            if (!existing.reply) {
              throw new ProviderError(409, "idempotency_key_in_use", `A request with Idempotency-Key '${key}' is still being processed; retry later.`, "idempotency_error");
            }
            log(`${operation}: replayed the stored answer for key ${key}`);
            reply = existing.reply;
            replayed = true;
          } else {
            const record: KeyRecord = { operation, fingerprint, expiresAt: Date.now() + IDEMPOTENCY_KEY_TTL_MS };
            keys.set(key, record);
            try {
              record.reply = await execute();
            } catch (error) {
              keys.delete(key); // nothing happened: a retry may run it again
              throw error;
            }
            reply = record.reply;
          }
        }

        if (provider.faults.dropNext > 0) {
          provider.faults.dropNext -= 1;
          log(`${operation}: done, but the answer is dropped (drop-next, ${provider.faults.dropNext} left)`);
          res.socket?.destroy();
          return;
        }
        if (replayed) res.set("Idempotent-Replayed", "true");
        res.status(reply.status).json(reply.body);
      });
    },
    query(path, answer) {
      router.get(path, (req, res) => {
        const query = Object.fromEntries(
          Object.entries(req.query).map(([name, value]) => [name, typeof value === "string" ? value : undefined]),
        );
        res.json(answer(query, req.params as Record<string, string>));
      });
    },
  };
  options.define(kit);

  router.get("/admin/faults", (_req, res) => {
    res.json(provider.faults);
  });
  router.put("/admin/faults", (req, res) => {
    const parsed = ProviderFaults.partial().safeParse(req.body ?? {});
    if (!parsed.success) throw new ProviderError(400, "parameter_invalid", z.prettifyError(parsed.error));
    const changes = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
    provider.faults = { ...provider.faults, ...changes };
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
    next(new ProviderError(404, "not_found", `Unrecognized request URL (${req.method}: ${req.baseUrl}${req.path}).`));
  });
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ProviderError) {
      res.status(error.status).json(error.body);
      return;
    }
    const status = (error as { status?: number }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json(new ProviderError(status, "body_invalid", (error as Error).message).body);
      return;
    }
    log(`unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    res.status(500).json(new ProviderError(500, "internal_error", `Unexpected error in the ${options.name}.`).body);
  });
  return provider;
}

/** Newest first, filtered by the fields given in the query string (`?reference=...&to=...`). */
export function listNewestFirst<T extends object>(records: T[], query: Record<string, string | undefined>, fields: (keyof T & string)[]) {
  const data = records
    .filter((record) => fields.every((field) => query[field] === undefined || String(record[field]) === query[field]))
    .toReversed();
  return { object: "list", data };
}
