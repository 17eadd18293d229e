// What a store keeps per idempotency key, and the one decision every store makes.

/** The answer to replay. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** One key's record. */
export type KeyRecord =
  | {
      state: "in-progress";
      fingerprint: string;
      /** Proves that complete/release come from the request that claimed the key. */
      token: string;
      /** After this, the claim is considered abandoned (the app died) and the key may be claimed again. */
      lockedUntil: number;
    }
  | {
      state: "done";
      fingerprint: string;
      response: StoredResponse;
      /** After this, the key is forgotten: the retention. */
      expiresAt: number;
    };

/** What a request gets when it presents its key. */
export type Claim =
  | { outcome: "claimed"; token: string }
  | { outcome: "replay"; response: StoredResponse }
  | { outcome: "in-progress" }
  | { outcome: "mismatch" };

export interface ClaimOptions {
  /** How long a completed key is remembered. */
  ttlMs: number;
  /** How long a claim holds without being completed or released. */
  lockMs: number;
}

/**
 * The decision, given the key's record (if any) and the time: shared by the
 * in-memory store and the Restate one, so both behave the same.
 */
export function decide(
  record: KeyRecord | undefined,
  fingerprint: string,
  now: number,
  newToken: () => string,
  options: ClaimOptions,
): { claim: Claim; record?: KeyRecord } {
  const live = record && (record.state === "done" ? record.expiresAt > now : record.lockedUntil > now) ? record : undefined;
  if (!live) {
    const token = newToken();
    return { claim: { outcome: "claimed", token }, record: { state: "in-progress", fingerprint, token, lockedUntil: now + options.lockMs } };
  }
  if (live.fingerprint !== fingerprint) return { claim: { outcome: "mismatch" } };
  if (live.state === "in-progress") return { claim: { outcome: "in-progress" } };
  return { claim: { outcome: "replay", response: live.response } };
}
