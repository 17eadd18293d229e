// Exercise 8, solved: each payment is booked into the ledger once. See README.md for why.
//
// The payment id is the write's identity: it is in the invocation's input, so it is the same on every retry of the
// invocation and on every delivery of the payment. The booking and the record of that id commit in one
// transaction, and the record's primary key decides: a retry after a crash between the commit and Restate's
// journal entry, or a second delivery, finds the record (ON CONFLICT DO NOTHING) and answers the first booking.
import * as restate from "@restatedev/restate-sdk";
import type { Context } from "@restatedev/restate-sdk";
import { type Booking, BookingRequest, type Queryable, openLedgerDatabase } from "../../exercises/support/ledger_contract.js";

const MIGRATION = `
CREATE TABLE IF NOT EXISTS booked_payments (
  payment_id text PRIMARY KEY,
  entry_id   bigint
);`;

export const database = openLedgerDatabase().then(async (db) => {
  await db.query(MIGRATION);
  return db;
});

/** In the caller's transaction: the booking and its record commit together, or neither does. */
async function bookOnce(tx: Queryable, recordKey: string, request: BookingRequest): Promise<number> {
  const claimed = await tx.query("INSERT INTO booked_payments (payment_id) VALUES ($1) ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id", [recordKey]);
  if (claimed.rows.length === 0) {
    const { rows } = await tx.query<{ entry_id: string }>("SELECT entry_id FROM booked_payments WHERE payment_id = $1", [recordKey]);
    return Number(rows[0]!.entry_id);
  }
  const { rows } = await tx.query<{ id: string }>("INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) RETURNING id", [
    request.paymentId,
    request.account,
    request.amount,
  ]);
  const entryId = Number(rows[0]!.id);
  await tx.query("UPDATE booked_payments SET entry_id = $2 WHERE payment_id = $1", [recordKey, entryId]);
  return entryId;
}

export const ledger = restate.service({
  name: "Ledger",
  handlers: {
    book: restate.handlers.handler(
      { input: restate.serde.schema(BookingRequest) },
      async (ctx: Context, request: BookingRequest): Promise<Booking> => {
        const db = await database;
        // The same on every retry of this invocation and on every delivery of this payment.
        const recordKey = request.paymentId;
        const entryId = await ctx.run("book", () => db.transaction((tx) => bookOnce(tx, recordKey, request)));
        return { paymentId: request.paymentId, entryId };
      },
    ),
  },
});
