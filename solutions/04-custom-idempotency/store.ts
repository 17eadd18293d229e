// Exercise 4, solved: the store interface, and the in-memory store.
//
// The one operation that must be atomic is `claim`: look at the key and, if it
// is free (new, or expired), take it for this request. Everything else follows
// from the record a claim leaves behind.
import { randomUUID } from "node:crypto";
import { type Claim, type ClaimOptions, type KeyRecord, type StoredResponse, decide } from "./types.js";

export interface IdempotencyStore {
  /** Atomically: claim a free key for this request, or say what the key holds (a response, a request in progress, another payload). */
  claim(key: string, fingerprint: string, options: ClaimOptions): Promise<Claim>;
  /** The claimed request's final answer (success or non-retryable failure), remembered for ttlMs. */
  complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Gives a claimed key up (a retryable failure): the next request with it runs again. */
  release(key: string, token: string): Promise<void>;
  /** On shutdown: lets go of what the store holds open (a database). */
  close?(): Promise<void>;
}

/** Keys in this process's memory: one instance only, gone on restart. JavaScript runs claim() without interruption. */
export class InMemoryStore implements IdempotencyStore {
  private readonly records = new Map<string, KeyRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<Claim> {
    const { claim, record } = decide(this.records.get(key), fingerprint, this.now(), randomUUID, options);
    if (record) this.records.set(key, record);
    this.forgetExpired();
    return claim;
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const record = this.records.get(key);
    if (record?.state !== "in-progress" || record.token !== token) return; // our claim lapsed and another request took the key
    this.records.set(key, { state: "done", fingerprint: record.fingerprint, response, expiresAt: this.now() + ttlMs });
  }

  async release(key: string, token: string): Promise<void> {
    const record = this.records.get(key);
    if (record?.state === "in-progress" && record.token === token) this.records.delete(key);
  }

  /** The reaper: without it, memory grows with every key ever seen. */
  private forgetExpired(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if ((record.state === "done" ? record.expiresAt : record.lockedUntil) <= now) this.records.delete(key);
    }
  }
}
