// Exercise 8: book each payment into the accounting ledger, a table in your own
// PostgreSQL, exactly once. Read README.md first.
import * as restate from "@restatedev/restate-sdk";
import type { Context } from "@restatedev/restate-sdk";
import { type Booking, BookingRequest, openLedgerDatabase } from "../support/ledger_contract.js";

// TODO(exercise): create the table that records which payments are booked.
const MIGRATION = ``;

export const database = openLedgerDatabase().then(async (db) => {
  if (MIGRATION) await db.query(MIGRATION);
  return db;
});

export const ledger = restate.service({
  name: "Ledger",
  handlers: {
    book: restate.handlers.handler(
      { input: restate.serde.schema(BookingRequest) },
      async (ctx: Context, request: BookingRequest): Promise<Booking> => {
        const db = await database;
        // TODO(exercise): a crash right after this commit (before Restate records the step) makes Restate run
        // the step again, and a payment delivered twice is two invocations: both book it again. Record the
        // payment's identity in the same transaction, and skip the booking when it is already recorded.
        const entryId = await ctx.run("book", async () =>
          db.transaction(async (tx) => {
            const { rows } = await tx.query<{ id: string }>(
              "INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) RETURNING id",
              [request.paymentId, request.account, request.amount],
            );
            return Number(rows[0]!.id);
          }),
        );
        return { paymentId: request.paymentId, entryId };
      },
    ),
  },
});
