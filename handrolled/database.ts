// One interface over the two PostgreSQLs the service runs on: PGlite (Postgres
// compiled to WASM, embedded, a data dir on disk) by default, a real server when
// DATABASE_URL is set. Same SQL on both: `$1` parameters, plain transactions.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction: all of it commits, or none of it. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDatabase(options: { url?: string; dataDir?: string }): Promise<Database> {
  return options.url ? openPostgres(options.url) : openPglite(options.dataDir);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  // relaxedDurability stays off (the default): each query waits until PGlite has synced its files.
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? "memory://");
  return {
    kind: "pglite",
    query: (sql, params) => db.query(sql, params),
    // PGlite has one connection: its transaction() queues every other query until it ends.
    transaction: (work) => db.transaction((tx) => work({ query: (sql, params) => tx.query(sql, params) })),
    close: () => db.close(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  pool.on("error", (error) => console.error(`PostgreSQL connection error: ${error.message}`));
  await pool.query("SELECT 1"); // fail at start, with the server's message, rather than on the first request
  const query = async <T>(sql: string, params?: unknown[]) => ({ rows: (await pool.query(sql, params)).rows as T[] });
  return {
    kind: "postgres",
    query,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work({ query: async (sql, params) => ({ rows: (await client.query(sql, params)).rows }) });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** A statement or transaction that changes rows (its commit is what a crash after the commit comes after). */
const WRITES = /\b(insert|update|delete)\b/i;

/**
 * The same database, with `afterCommit` called right after each commit that wrote rows (a transaction, or a
 * statement on its own): where the crash tests put a crash, between the database's commit and whatever the caller
 * does next (acknowledge a message, let Restate record the step).
 */
export function withCommitHook(db: Database, afterCommit: () => void): Database {
  return {
    kind: db.kind,
    async query(sql, params) {
      const result = await db.query(sql, params);
      if (WRITES.test(sql)) afterCommit();
      return result as never;
    },
    async transaction(work) {
      let wrote = false;
      const result = await db.transaction((tx) =>
        work({
          query(sql, params) {
            if (WRITES.test(sql)) wrote = true;
            return tx.query(sql, params);
          },
        }),
      );
      if (wrote) afterCommit();
      return result;
    },
    close: () => db.close(),
  };
}
