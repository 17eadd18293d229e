// Exercise 8's contract: what Ledger.book accepts and answers, the ledger table
// the business write goes to, the database the endpoint opens, and the
// LedgerInspection service the checker reads the table through and crashes the
// endpoint with. The starter, the solution and the checker share it, so keep it as it is.
import * as restate from "@restatedev/restate-sdk";
import type { Context } from "@restatedev/restate-sdk";
import { z } from "zod";
import { DEFAULT_DATA_DIR } from "../../code/config.js";
import { identifier } from "../../code/types.js";
import { type Database, type Queryable, openDatabase, withCommitHook } from "../../handrolled/database.js";

/** What a transaction gives your code: query(sql, params) with $1 parameters, the same on PGlite and on a server. */
export type { Database, Queryable };

export const BookingRequest = z.strictObject({
  /** The business identity: a payment is booked into the ledger once. */
  paymentId: identifier("paymentId"),
  account: identifier("account"),
  amount: z.number().int("amount must be a whole number of cents").positive("amount must be positive").max(100_000_000),
});
export type BookingRequest = z.infer<typeof BookingRequest>;

export interface Booking {
  paymentId: string;
  /** The id of the one ledger row for this payment (the same for every delivery of it). */
  entryId: number;
}

/** The business table. Append-only, like any ledger: nothing in it stops a payment from being booked twice. */
export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_entries (
  id         bigserial PRIMARY KEY,
  payment_id text NOT NULL,
  account    text NOT NULL,
  amount     bigint NOT NULL,
  booked_at  timestamptz NOT NULL DEFAULT now()
);`;

/** How endpoint.ts finds its database; the checker sets these when it starts it. */
export const LEDGER_ENV = {
  /** A PostgreSQL server (postgres://...); when unset, an embedded PGlite database in the data dir. */
  databaseUrl: "LEDGER_DATABASE_URL",
  /** The PGlite data dir (the checker gives each run its own). */
  dataDir: "EXERCISE_DATA_DIR",
} as const;
/** Relative to where endpoint.ts is started, in the data dir `npm start` keeps its data in too (git ignores it). */
export const DEFAULT_LEDGER_DATA_DIR = `${DEFAULT_DATA_DIR}/exercise-8-ledger`;

let crashArmed = false;
/** Transactions still to fail as if the database were unreachable (LedgerInspection/failNextTransactions). */
let failingTransactions = 0;
/** A database server answers over the network; PGlite, in the process, answers at once and hides races a server would show. */
let latencyMs = 0;
/** Half of a round trip: the way there, or the answer's way back. */
const halfTrip = () => (latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, latencyMs / 2)) : undefined);

/**
 * The endpoint's database (PGlite, or the server in LEDGER_DATABASE_URL), with the ledger table created. Armed by
 * LedgerInspection/crashAfterNextCommit, it SIGKILLs its own process right after the next commit that wrote rows:
 * after the database commit and before Restate has recorded the step, exactly where a real crash hurts.
 */
export async function openLedgerDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const db = await openDatabase({ url: env[LEDGER_ENV.databaseUrl] || undefined, dataDir: env[LEDGER_ENV.dataDir] || DEFAULT_LEDGER_DATA_DIR });
  await db.query(LEDGER_SCHEMA);
  return withCommitHook(withLatency(db), () => {
    if (crashArmed) process.kill(process.pid, "SIGKILL");
  });
}

/** Every query, and the start of each transaction, a round trip away (none unless simulateLatency asked for one). */
function withLatency(db: Database): Database {
  const slowly = (queryable: Queryable): Queryable => ({
    async query(sql, params) {
      await halfTrip();
      const result = await queryable.query(sql, params);
      await halfTrip();
      return result as never;
    },
  });
  return {
    ...db,
    query: slowly(db).query,
    async transaction(work) {
      if (failingTransactions > 0) {
        failingTransactions -= 1;
        throw new Error("connection to the database lost (LedgerInspection/failNextTransactions)");
      }
      await halfTrip(); // BEGIN on its way
      return db.transaction((tx) => work(slowly(tx)));
    },
  };
}

export interface LedgerRows {
  /** The ledger rows booked for the payment, oldest first. */
  entries: { id: number; account: string; amount: number }[];
}

/** The checker's window into the endpoint's database (PGlite has one process, the endpoint's) and its crash and latency switches. */
export function ledgerInspection(db: Promise<Database>) {
  return restate.service({
    name: "LedgerInspection",
    handlers: {
      entries: async (_ctx: Context, paymentId: string): Promise<LedgerRows> => {
        const { rows } = await (await db).query<{ id: string; account: string; amount: string }>(
          "SELECT id, account, amount FROM ledger_entries WHERE payment_id = $1 ORDER BY id",
          [paymentId],
        );
        return { entries: rows.map((row) => ({ id: Number(row.id), account: row.account, amount: Number(row.amount) })) };
      },
      crashAfterNextCommit: async (): Promise<void> => {
        crashArmed = true;
      },
      /** The next `count` transactions fail before they begin, as when the database is unreachable for a moment: nothing is written. */
      failNextTransactions: async (_ctx: Context, count: number): Promise<void> => {
        failingTransactions = Math.max(0, Math.min(Number(count) || 0, 10));
      },
      /** Every query takes this much longer, half on the way there and half on the way back, as with a database server (0: none). */
      simulateLatency: async (_ctx: Context, ms: number): Promise<void> => {
        latencyMs = Math.max(0, Math.min(Number(ms) || 0, 1_000));
      },
    },
  });
}
