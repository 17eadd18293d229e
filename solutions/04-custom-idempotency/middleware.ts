// Exercise 4, solved: idempotency as express middleware, over any IdempotencyStore.
//
//   no key                        400 idempotency_key_missing
//   new (or expired) key          run the handler; remember a 2xx or non-retryable 4xx answer for ttlMs,
//                                 forget a retryable one (5xx, 408, 429) so a retry runs again
//   same key, same payload, done  replay the stored answer, with Idempotent-Replayed: true
//   same key, still running       409 idempotency_key_in_use at once, with Retry-After (never wait)
//   same key, another payload     422 idempotency_key_reused
import { createHash } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { REPLAYED_HEADER } from "../../exercises/support/charge_api_contract.js";
import type { IdempotencyStore } from "./store.js";

export interface IdempotencyOptions {
  /** How long a completed key is remembered. */
  ttlMs: number;
  /** How long a running request holds its key before the claim counts as abandoned (default 30 s). */
  lockMs?: number;
}

/** What the middleware tells the handler (res.locals.idempotency). */
export interface IdempotencyLocals {
  key: string;
  /** sha256 of method, path and canonical body: the same for every repeat of this request. */
  fingerprint: string;
}

const MAX_KEY_LENGTH = 255;

export function idempotency(store: IdempotencyStore, options: IdempotencyOptions): RequestHandler {
  const claimOptions = { ttlMs: options.ttlMs, lockMs: options.lockMs ?? 30_000 };
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get("Idempotency-Key");
    if (!key || key.length > MAX_KEY_LENGTH) {
      res.status(400).json(error("idempotency_key_missing", `Send an Idempotency-Key header (1-${MAX_KEY_LENGTH} characters), one per intent; reuse it when you retry.`));
      return;
    }
    const fingerprint = fingerprintOf(req);
    const claim = await store.claim(key, fingerprint, claimOptions);
    switch (claim.outcome) {
      case "replay":
        res.set(REPLAYED_HEADER, "true");
        res.status(claim.response.status).json(claim.response.body);
        return;
      case "in-progress":
        res.set("Retry-After", "1");
        res.status(409).json(error("idempotency_key_in_use", `A request with Idempotency-Key '${key}' is still being processed; retry in a moment.`));
        return;
      case "mismatch":
        res.status(422).json(error("idempotency_key_reused", `Idempotency-Key '${key}' was used with a different request; use a new key for a new request.`));
        return;
      case "claimed":
        break;
    }

    res.locals.idempotency = { key, fingerprint } satisfies IdempotencyLocals;
    const send = res.json.bind(res);
    // The answer goes out only once the store has it: a client that saw it can rely on a replay.
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const recorded = retryable(status)
        ? store.release(key, claim.token)
        : store.complete(key, claim.token, { status, body }, claimOptions.ttlMs);
      recorded.then(
        () => send(body),
        () => {
          // The side effect may have happened; the key stays claimed until its lock lapses, and a retry
          // with the same key then runs again with the same provider key, so it cannot happen twice.
          res.status(503);
          send(error("idempotency_store_unavailable", "The result could not be recorded; retry with the same Idempotency-Key."));
        },
      );
      return res;
    };
    next();
  };
}

/** Failures a retry may fix: not remembered, so the retry runs. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

function fingerprintOf(req: Request): string {
  return createHash("sha256").update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalJson(req.body ?? null)}`).digest("hex");
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same payload. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const error = (code: string, message: string) => ({ error: { code, message } });
