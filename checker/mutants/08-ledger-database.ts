// Exercise 8's wrong solutions and correct alternatives: a ledger in the handler's own database.
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const FILE = "ledger.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const RECORD_KEY = "const recordKey = request.paymentId;";
const CLAIM = 'INSERT INTO booked_payments (payment_id) VALUES ($1) ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id';
const IN_ONE_TRANSACTION = 'const entryId = await ctx.run("book", () => db.transaction((tx) => bookOnce(tx, recordKey, request)));';

/** The booking row is its own record: a unique index on the ledger's payment id, and the insert skips a conflict. */
const BUSINESS_ROW_IS_THE_RECORD = `async function bookOnce(tx: Queryable, recordKey: string, request: BookingRequest): Promise<number> {
  const inserted = await tx.query<{ id: string }>(
    "INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) ON CONFLICT (payment_id) DO NOTHING RETURNING id",
    [recordKey, request.account, request.amount],
  );
  if (inserted.rows.length > 0) return Number(inserted.rows[0]!.id);
  const { rows } = await tx.query<{ id: string }>("SELECT id FROM ledger_entries WHERE payment_id = $1", [recordKey]);
  return Number(rows[0]!.id);
}

async function unused(`;

export const catalogue: ExerciseCatalogue = {
  folder: "08-ledger-database",
  mutants: [
    {
      id: "key-outside-journal",
      fast: true,
      scenario: "the record's key is a random uuid made in the handler, not taken from the input or the journal: the retry after a crash books again",
      patches: [addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'), { file: FILE, find: RECORD_KEY, replace: "const recordKey = randomUUID();" }],
      hint: /the same on the retry \(the payment id from the input, or a key taken from the journal/,
    },
    {
      id: "record-in-separate-transaction",
      scenario: "the record, the booking and the entry id are separate statements (each its own transaction): a crash after the record skips the booking for good",
      patches: [{ file: FILE, find: IN_ONE_TRANSACTION, replace: 'const entryId = await ctx.run("book", () => bookOnce(db, recordKey, request));' }],
      hint: /separate transactions; commit them in one transaction/,
    },
    {
      id: "on-conflict-do-update",
      scenario: "the record's insert is an upsert (ON CONFLICT DO UPDATE): it returns the row on a conflict too, and a redelivered payment is booked again",
      patches: [{ file: FILE, find: CLAIM, replace: "INSERT INTO booked_payments (payment_id) VALUES ($1) ON CONFLICT (payment_id) DO UPDATE SET payment_id = EXCLUDED.payment_id RETURNING payment_id" }],
      hint: /leave the record as it is \(ON CONFLICT DO NOTHING\)/,
    },
    {
      id: "business-write-without-record",
      scenario: "the booking is written and nothing records it: a redelivery or a retry books the payment again",
      patches: [{ file: FILE, find: CLAIM, replace: "SELECT $1::text AS payment_id" }],
      hint: /record the payment id in the same transaction as the booking/,
    },
    {
      id: "check-then-insert-no-constraint",
      scenario: "the record table has no primary key, and the handler checks (SELECT) before the transaction that inserts: copies delivered together all pass the check",
      patches: [
        { file: FILE, find: "payment_id text PRIMARY KEY,", replace: "payment_id text NOT NULL," },
        { file: FILE, find: CLAIM, replace: "INSERT INTO booked_payments (payment_id) VALUES ($1) RETURNING payment_id" },
        {
          file: FILE,
          find: IN_ONE_TRANSACTION,
          replace: `const entryId = await ctx.run("book", async () => {
          const { rows } = await db.query<{ entry_id: string }>("SELECT entry_id FROM booked_payments WHERE payment_id = $1", [recordKey]);
          if (rows.length > 0) return Number(rows[0]!.entry_id);
          return db.transaction((tx) => bookOnce(tx, recordKey, request));
        });`,
        },
      ],
      hint: /let a unique constraint \(the record's primary key\) decide/,
    },
  ],
  alternatives: [
    {
      id: "record-key-with-prefix",
      description: "the record key spelled `payment:<id>` (a fixed prefix, the payment id whole)",
      patches: [{ file: FILE, find: "        const recordKey = request.paymentId;", replace: "        const recordKey = `payment:${request.paymentId}`;" }],
    },
    {
      id: "business-row-is-the-record",
      fast: true,
      description: "no record table: a unique index on the ledger's payment id makes the booking row its own record (INSERT ... ON CONFLICT DO NOTHING)",
      patches: [
        {
          file: FILE,
          find: "  await db.query(MIGRATION);\n",
          replace: '  await db.query(MIGRATION);\n  await db.query("CREATE UNIQUE INDEX IF NOT EXISTS ledger_entries_payment ON ledger_entries (payment_id)");\n',
        },
        { file: FILE, find: "async function bookOnce(", replace: BUSINESS_ROW_IS_THE_RECORD },
      ],
    },
  ],
};
