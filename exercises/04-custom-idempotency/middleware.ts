// Exercise 4: idempotency as express middleware, over any IdempotencyStore.
// Read README.md first: it lists every behaviour the checker expects.
//
// Use it in front of a handler:  app.post("/charges", idempotency(store, { ttlMs }), handler)
// The handler finds the request's key in res.locals.idempotency.
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { REPLAYED_HEADER } from "../support/charge_api_contract.js";
import type { IdempotencyStore } from "./store.js";

export interface IdempotencyOptions {
  /** How long a completed key is remembered. */
  ttlMs: number;
}

/** What the middleware tells the handler (res.locals.idempotency). */
export interface IdempotencyLocals {
  key: string;
}

export function idempotency(store: IdempotencyStore, _options: IdempotencyOptions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = req.get("Idempotency-Key");
    // TODO(exercise): a request without a key cannot be made safe to retry; refuse it with a 400.
    if (!key) return next();

    // TODO(exercise): a stored answer is replayed whatever the request says now, and forever.
    const stored = await store.get(key);
    if (stored) {
      res.set(REPLAYED_HEADER, "true");
      res.status(stored.status).json(stored.body);
      return;
    }

    // TODO(exercise): nothing marks the key as taken while this request runs, so a second request
    // with the same key runs too instead of being answered 409 at once.
    res.locals.idempotency = { key } satisfies IdempotencyLocals;
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      // TODO(exercise): only successes are remembered. Which failures must be remembered too,
      // and which must not be (so that a retry runs again)?
      if (res.statusCode >= 200 && res.statusCode < 300) {
        store.set(key, { status: res.statusCode, body }).then(
          () => send(body),
          (error: unknown) => send({ error: { code: "store_failed", message: String(error) } }),
        );
        return res;
      }
      return send(body);
    };
    next();
  };
}
