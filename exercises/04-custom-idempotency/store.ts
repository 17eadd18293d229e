// Exercise 4: the idempotency store behind the middleware. Read README.md first.
//
// A store remembers, per idempotency key, the answer the API gave. This version
// can only `get` and `set`: two requests with the same key that arrive together
// both find nothing and both run. Redesign it (the middleware will change with
// it): what has to happen in one atomic step? What does a key hold while its
// first request is still running, and for how long?
import type { StoredResponse } from "./types.js";

export interface IdempotencyStore {
  // TODO(exercise): get-then-set is check-then-act. A new key must be claimed atomically, and a
  // claimed key must hold the request's fingerprint (to recognise a different payload), its state
  // (in progress or done) and when it expires.
  get(key: string): Promise<StoredResponse | undefined>;
  set(key: string, response: StoredResponse): Promise<void>;
}

/** Keys in this process's memory: fine for one instance, gone on restart. */
export class InMemoryStore implements IdempotencyStore {
  private readonly responses = new Map<string, StoredResponse>();

  async get(key: string): Promise<StoredResponse | undefined> {
    return this.responses.get(key);
  }

  async set(key: string, response: StoredResponse): Promise<void> {
    this.responses.set(key, response);
  }
}
