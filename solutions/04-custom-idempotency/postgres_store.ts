// Exercise 4, solved: the store kept in PostgreSQL, one row per key.
//
// PGlite is PostgreSQL compiled to WebAssembly, embedded in the app, with its
// data in a folder: the keys survive a restart (even a kill -9) of the app.
// The SQL is plain PostgreSQL and runs unchanged on a server, where every
// instance of the app would share the table.
//
// `claim` is one transaction. INSERT ... ON CONFLICT DO NOTHING takes a new key
// in one statement: the primary key decides between two requests that arrive
// together, on a server too (the second waits for the first to commit, then
// finds the conflict). When the key exists, SELECT ... FOR UPDATE locks its row
// until the commit, and the same decide() as the other stores says whether this
// request may take it over (an expired answer, an abandoned claim), gets the
// stored answer, or is refused. The clock is the database's: now() is the
// transaction's time, the same for every instance of the app.
import { randomUUID } from "node:crypto";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { IdempotencyStore } from "./store.js";
import { type Claim, type ClaimOptions, type KeyRecord, type StoredResponse, decide } from "./types.js";

// json, not jsonb, for the answer: jsonb reorders an object's keys, and a replay must be the bytes first sent.
const MIGRATION = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key             text PRIMARY KEY,
  fingerprint     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('in-progress', 'done')),
  token           text,         -- in progress: proves that complete/release come from the request that claimed the key
  locked_until    timestamptz,  -- in progress: the lease; after it the claim counts as abandoned
  response_status integer,      -- done: the answer to replay
  response_body   json,
  expires_at      timestamptz,  -- done: the retention
  CHECK (state = 'in-progress' AND token IS NOT NULL AND locked_until IS NOT NULL
      OR state = 'done' AND response_status IS NOT NULL AND expires_at IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_end ON idempotency_keys ((coalesce(expires_at, locked_until)));
`;

/** How often the reaper deletes the rows whose retention (or lease) has ended: a claim ignores them anyway. */
const REAP_EVERY_MS = 60_000;

interface KeyRow {
  fingerprint: string;
  state: "in-progress" | "done";
  token: string | null;
  locked_until: Date | null;
  response_status: number | null;
  response_body: unknown;
  expires_at: Date | null;
  now: Date;
}

export class PostgresStore implements IdempotencyStore {
  private readonly reaper: NodeJS.Timeout;

  private constructor(private readonly db: PGlite) {
    this.reaper = setInterval(() => {
      this.forgetExpired().catch((error: unknown) => console.error(`the idempotency keys' reaper failed: ${String(error)}`));
    }, REAP_EVERY_MS).unref();
  }

  /** Opens (creating it when missing) the database in `dataDir` and brings its schema up to date. */
  static async open(dataDir: string): Promise<PostgresStore> {
    const db = await PGlite.create(dataDir);
    await db.exec(MIGRATION);
    return new PostgresStore(db);
  }

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<Claim> {
    return await this.db.transaction(async (tx) => {
      // A second round only when the reaper deleted the row between our INSERT and our SELECT.
      for (let round = 1; round <= 3; round++) {
        const token = randomUUID();
        const inserted = await tx.query(
          `INSERT INTO idempotency_keys (key, fingerprint, state, token, locked_until)
           VALUES ($1, $2, 'in-progress', $3, now() + $4::float8 * interval '1 millisecond')
           ON CONFLICT (key) DO NOTHING`,
          [key, fingerprint, token, options.lockMs],
        );
        if (inserted.affectedRows === 1) return { outcome: "claimed", token };

        const { rows } = await tx.query<KeyRow>(
          `SELECT fingerprint, state, token, locked_until, response_status, response_body, expires_at, now() AS now
           FROM idempotency_keys WHERE key = $1 FOR UPDATE`,
          [key],
        );
        const row = rows[0];
        if (!row) continue;
        const { claim, record } = decide(recordOf(row), fingerprint, row.now.getTime(), () => token, options);
        if (record?.state === "in-progress") await takeOver(tx, key, record);
        return claim;
      }
      throw new Error(`idempotency key '${key}' kept vanishing while being claimed`);
    });
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<void> {
    // Only the request that holds the claim: if its lease lapsed and another request took the key, nothing changes.
    await this.db.query(
      `UPDATE idempotency_keys
       SET state = 'done', token = NULL, locked_until = NULL, response_status = $3, response_body = $4::text::json,
           expires_at = now() + $5::float8 * interval '1 millisecond'
       WHERE key = $1 AND state = 'in-progress' AND token = $2`,
      [key, token, response.status, JSON.stringify(response.body ?? null), ttlMs],
    );
  }

  async release(key: string, token: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE key = $1 AND state = 'in-progress' AND token = $2`, [key, token]);
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    await this.db.close();
  }

  /** The reaper: without it, the table grows with every key ever seen. */
  private async forgetExpired(): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE coalesce(expires_at, locked_until) <= now()`);
  }
}

/** A new claim on a key whose record has ended: the row is locked (FOR UPDATE), so no other request can do the same. */
async function takeOver(tx: Transaction, key: string, record: Extract<KeyRecord, { state: "in-progress" }>): Promise<void> {
  await tx.query(
    `UPDATE idempotency_keys
     SET fingerprint = $2, state = 'in-progress', token = $3, locked_until = $4,
         response_status = NULL, response_body = NULL, expires_at = NULL
     WHERE key = $1`,
    [key, record.fingerprint, record.token, new Date(record.lockedUntil)],
  );
}

function recordOf(row: KeyRow): KeyRecord {
  if (row.state === "in-progress") {
    return { state: "in-progress", fingerprint: row.fingerprint, token: row.token!, lockedUntil: row.locked_until!.getTime() };
  }
  return {
    state: "done",
    fingerprint: row.fingerprint,
    response: { status: row.response_status!, body: row.response_body },
    expiresAt: row.expires_at!.getTime(),
  };
}
