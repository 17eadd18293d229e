// The idempotency_keys table, after Brandur Leach's "Implementing Stripe-like
// idempotency keys in Postgres": a key is taken (or refused) in one
// transaction, carries a recovery point that each later atomic phase advances,
// and ends `finished` with the stored response that every retry replays.
// `locked_at` is a lease: a key locked longer ago than the lease was abandoned
// by a crashed process, and the next request or the completer takes it over.
// A key whose provider call went unanswered is not finished: it is parked,
// unlocked at its "unconfirmed" recovery point, until the client retries it or
// the reconciler resumes it (both look the charge or refund up first).
import { createHash } from "node:crypto";
import type { Database, Queryable } from "./database.js";

export const FINISHED = "finished";
/** The recovery points of a key parked after a lost answer (set by the create and refund phases). */
export const UNCONFIRMED_POINTS = ["charge_unconfirmed", "refund_unconfirmed"] as const;
/** SQL: the key is parked (left to the reconciler, not the completer). */
const PARKED = `(locked_at IS NULL AND recovery_point IN ('${UNCONFIRMED_POINTS.join("', '")}'))`;

export interface KeyRow {
  id: string;
  request_path: string;
  request_params: unknown;
  recovery_point: string;
  response_code: number | null;
  response_body: string | null;
}

export const storedAnswer = (row: Pick<KeyRow, "response_code" | "response_body">): StoredResponse => ({
  status: row.response_code!,
  body: JSON.parse(row.response_body!),
});

export interface StoredResponse {
  status: number;
  body: unknown;
  /** A `Retry-After` header (seconds) for an answer that says "not yet": never stored, never replayed. */
  retryAfterSeconds?: number;
}

/** How long a client should wait before retrying a request that found its key or payment busy. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export type Acquired =
  | { kind: "run"; key: KeyRow }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "refused"; response: StoredResponse };

/** The request fingerprint of the IETF draft: the same key with another payload is a client bug (422). */
export const fingerprint = (path: string, params: unknown) => createHash("sha256").update(`${path}\n${JSON.stringify(params)}`).digest("hex");

/** Phase one: insert the key locked by us, or find it and decide (replay, 409, 422, or take over an expired lease). */
export async function acquireKey(db: Database, key: string, path: string, params: unknown, leaseMs: number): Promise<Acquired> {
  // A key can vanish between our INSERT's conflict and our lock: the reaper deleted it, or its request gave it up
  // (another key was charging the payment). Then it is free: take it again, a few times at most.
  for (let attempt = 1; ; attempt++) {
    const acquired = await acquireOnce(db, key, path, params, leaseMs);
    if (acquired !== "vanished") return acquired;
    if (attempt === 3) return refused(503, `Idempotency key '${key}' was deleted while this request tried to take it; send the request again.`);
  }
}

async function acquireOnce(db: Database, key: string, path: string, params: unknown, leaseMs: number): Promise<Acquired | "vanished"> {
  const print = fingerprint(path, params);
  // A finished key never changes again: a replay is a plain read, no write and no lock.
  const known = await db.query<KeyRow & { fingerprint: string }>(
    "SELECT * FROM idempotency_keys WHERE request_path = $1 AND idempotency_key = $2 AND recovery_point = 'finished'",
    [path, key],
  );
  if (known.rows[0]) return settled(known.rows[0], key, path, print);
  // A new key is one statement, atomic on its own: no transaction around it.
  const inserted = await db.query<KeyRow>(
    `INSERT INTO idempotency_keys (idempotency_key, request_path, request_params, fingerprint, recovery_point)
     VALUES ($1, $2, $3, $4, 'started') ON CONFLICT (request_path, idempotency_key) DO NOTHING RETURNING *`,
    [key, path, JSON.stringify(params), print],
  );
  if (inserted.rows[0]) return { kind: "run", key: inserted.rows[0] };
  // A key that exists and is not finished: lock it and decide.
  return db.transaction<Acquired | "vanished">(async (tx) => {
    const found = await tx.query<KeyRow & { fingerprint: string; lease_live: boolean }>(
      `SELECT *, locked_at > now() - $3 * interval '1 millisecond' AS lease_live
       FROM idempotency_keys WHERE request_path = $1 AND idempotency_key = $2 FOR UPDATE`,
      [path, key, leaseMs],
    );
    const row = found.rows[0];
    if (!row) return "vanished";
    if (row.fingerprint !== print || row.recovery_point === FINISHED) return settled(row, key, path, print);
    if (row.lease_live) {
      return refused(409, `A request with idempotency key '${key}' is still in progress; retry after it has finished.`, BUSY_RETRY_AFTER_SECONDS);
    }
    const taken = await tx.query<KeyRow>("UPDATE idempotency_keys SET locked_at = now(), last_run_at = now() WHERE id = $1 RETURNING *", [row.id]);
    return { kind: "run", key: taken.rows[0]! };
  });
}

/** A key whose request is known: another payload is refused (422), a finished one replayed. */
function settled(row: KeyRow & { fingerprint: string }, key: string, path: string, print: string): Acquired {
  if (row.fingerprint !== print) {
    return refused(422, `Idempotency key '${key}' was already used for ${path} with a different request body; use a new key for a different request.`);
  }
  return { kind: "replay", response: storedAnswer(row) };
}

/** SQL, $2 the lease: the key's request died (lease run out) or gave it up after an error; a parked key is not abandoned. */
const ABANDONED = `recovery_point <> 'finished' AND NOT ${PARKED} AND (locked_at IS NULL OR locked_at < now() - $2 * interval '1 millisecond')`;
/** SQL, $2 the wait: parked, and last run longer ago than the wait. */
const DUE = `${PARKED} AND last_run_at < now() - $2 * interval '1 millisecond'`;

/** The completer's claim: takes over an abandoned key only if nobody else did since it was listed. */
export const claimAbandoned = (db: Database, id: string, leaseMs: number) => claimKey(db, id, ABANDONED, leaseMs);
export const abandonedKeys = (db: Database, leaseMs: number, limit = 100) => listKeys(db, ABANDONED, leaseMs, limit);

/** The reconciler's claim: a key parked after a lost answer, last tried longer ago than `afterMs`. */
export const claimUnconfirmed = (db: Database, id: string, afterMs: number) => claimKey(db, id, DUE, afterMs);
export const unconfirmedKeys = (db: Database, afterMs: number, limit = 100) => listKeys(db, DUE, afterMs, limit);

async function claimKey(db: Database, id: string, condition: string, ms: number): Promise<KeyRow | undefined> {
  const claimed = await db.query<KeyRow>(
    `UPDATE idempotency_keys SET locked_at = now(), last_run_at = now() WHERE id = $1 AND ${condition} RETURNING *`,
    [id, ms],
  );
  return claimed.rows[0];
}

async function listKeys(db: Database, condition: string, ms: number, limit: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(`SELECT id FROM idempotency_keys WHERE ${condition} ORDER BY id LIMIT $1`, [limit, ms]);
  return rows.rows.map((r) => r.id);
}

/** Inside a phase's transaction: the work of the phase and this commit together. */
export async function setRecoveryPoint(tx: Queryable, key: KeyRow, point: string): Promise<void> {
  await tx.query("UPDATE idempotency_keys SET recovery_point = $2 WHERE id = $1", [key.id, point]);
  key.recovery_point = point;
}

export async function finish(tx: Queryable, key: KeyRow, response: StoredResponse): Promise<StoredResponse> {
  await tx.query(
    "UPDATE idempotency_keys SET recovery_point = 'finished', response_code = $2, response_body = $3, locked_at = NULL WHERE id = $1",
    [key.id, response.status, JSON.stringify(response.body)],
  );
  key.recovery_point = FINISHED;
  return response;
}

/**
 * Inside the phase that stores an unknown outcome: the key moves to its unconfirmed recovery point, unlocked and
 * unanswered, so the client's retry with it, or the reconciler after its wait, resumes from there.
 */
export async function park(tx: Queryable, key: KeyRow, point: (typeof UNCONFIRMED_POINTS)[number]): Promise<void> {
  await tx.query("UPDATE idempotency_keys SET recovery_point = $2, locked_at = NULL, last_run_at = now() WHERE id = $1", [key.id, point]);
  key.recovery_point = point;
}

/** After an unexpected error: free the key at once so a retry need not wait out the lease (Brandur does the same). */
export async function unlock(db: Database, key: KeyRow): Promise<void> {
  await db.query("UPDATE idempotency_keys SET locked_at = NULL WHERE id = $1 AND recovery_point <> 'finished'", [key.id]).catch(() => undefined);
}

/** The reaper: keys are forgotten after the retention; unfinished ones are the completer's. */
export async function reapKeys(db: Database, retentionMs: number): Promise<number> {
  const deleted = await db.query(
    "DELETE FROM idempotency_keys WHERE recovery_point = 'finished' AND created_at < now() - $1 * interval '1 millisecond' RETURNING id",
    [retentionMs],
  );
  return deleted.rows.length;
}

const refused = (status: number, message: string, retryAfterSeconds?: number): Acquired => ({
  kind: "refused",
  response: { status, body: { message }, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) },
});
