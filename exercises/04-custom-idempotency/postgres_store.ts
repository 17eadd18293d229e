// Exercise 4: the same store, kept in PostgreSQL: one row per key, in a table
// that survives restarts of the app and that every instance of it could share.
// Read README.md first.
//
// PGlite is PostgreSQL compiled to WebAssembly, embedded in the app, with its
// data in a folder (IDEMPOTENCY_PG_DIR); the SQL is plain PostgreSQL and runs
// unchanged on a server. CREATE TABLE IF NOT EXISTS keeps a table that exists:
// when you change it, delete the folder (the checker starts with a new one).
import { PGlite } from "@electric-sql/pglite";
import type { IdempotencyStore } from "./store.js";
import type { StoredResponse } from "./types.js";

// TODO(exercise): a key holds more than its answer: the request's fingerprint, its state (in
// progress or done), how long a claim holds, and when the answer expires.
// (json, not jsonb, for the body: jsonb reorders an object's keys, and a replay must be the bytes first sent.)
const MIGRATION = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key    text PRIMARY KEY,
  status integer NOT NULL,
  body   json NOT NULL
);
`;

export class PostgresStore implements IdempotencyStore {
  private constructor(private readonly db: PGlite) {}

  /** Opens (creating it when missing) the database in `dataDir` and creates the table. */
  static async open(dataDir: string): Promise<PostgresStore> {
    const db = await PGlite.create(dataDir);
    await db.exec(MIGRATION);
    return new PostgresStore(db);
  }

  // TODO(exercise): a SELECT now and an INSERT later is check-then-act: two requests with the same
  // key both find no row. The primary key can decide between them in one statement
  // (INSERT ... ON CONFLICT DO NOTHING), in a transaction that then looks at the row that was there.
  async get(key: string): Promise<StoredResponse | undefined> {
    const { rows } = await this.db.query<StoredResponse>(`SELECT status, body FROM idempotency_keys WHERE key = $1`, [key]);
    return rows[0];
  }

  async set(key: string, response: StoredResponse): Promise<void> {
    await this.db.query(
      `INSERT INTO idempotency_keys (key, status, body) VALUES ($1, $2, $3::text::json)
       ON CONFLICT (key) DO UPDATE SET status = excluded.status, body = excluded.body`,
      [key, response.status, JSON.stringify(response.body ?? null)],
    );
  }
}
