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
    {
      id: "record-key-salted-at-load",
      scenario: "the record key carries an id drawn when the endpoint starts (to tell deployments apart): the retry after a crash, on the restarted endpoint, books the payment again",
      patches: [
        addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'),
        { file: FILE, find: "export const ledger = restate.service({", replace: "/** This endpoint process: its record keys never meet another's. */\nconst bootId = randomUUID().slice(0, 8);\n\nexport const ledger = restate.service({" },
        { file: FILE, find: RECORD_KEY, replace: "const recordKey = `${bootId}/${request.paymentId}`;" },
      ],
      hint: /the same on the retry \(the payment id from the input, or a key taken from the journal/,
    },
    {
      id: "record-key-with-day-number",
      scenario: "the record key carries the day number (to let the table be partitioned by day): a payment delivered again the next day is booked again",
      patches: [{ file: FILE, find: RECORD_KEY, replace: "const recordKey = `${request.paymentId}/${Math.floor(Date.now() / 86_400_000)}`;" }],
      hint: /delivered again a day later, left 2 ledger rows: its record key changed with/,
    },
    {
      id: "record-key-account-underscore-payment",
      scenario: "the record key is account and payment id joined with '_': account 'a_b' paying 'c' and account 'a' paying 'b_c' share one record, and the second payment is never booked",
      patches: [{ file: FILE, find: RECORD_KEY, replace: "const recordKey = `${request.account}_${request.paymentId}`;" }],
      hint: /an account joined to it with a character ids may hold makes two payments one/,
    },
    {
      id: "duplicate-refused-by-the-database",
      scenario: "the record's primary key refuses a second delivery (unique violation, 23505) and the handler passes the refusal on as a 409: the redelivered payment, booked, is answered 'already booked' instead of with its booking",
      patches: [
        { file: FILE, find: CLAIM, replace: "INSERT INTO booked_payments (payment_id) VALUES ($1) RETURNING payment_id" },
        {
          file: FILE,
          find: IN_ONE_TRANSACTION,
          replace: `const entryId = await ctx.run("book", () =>
          db.transaction((tx) => bookOnce(tx, recordKey, request)).catch((error: { code?: string }) => {
            // The primary key is the rule: a second booking of a payment is refused by the database.
            if (error.code === "23505") throw new restate.TerminalError(\`payment \${request.paymentId} is booked already\`, { errorCode: 409 });
            throw error;
          }),
        );`,
        },
      ],
      hint: /^booking \S+ answered 409/,
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
    {
      id: "advisory-lock-helper-in-folder",
      description: "the booking from a helper in another folder: a transaction-scoped advisory lock on the payment id, then look up the record, else book and record it (the primary key still backs it)",
      patches: [
        {
          file: "db/book_once.ts",
          create: `// One booking per payment: the payment's advisory lock serialises its deliveries, so the look-up and the insert
// after it cannot interleave with another copy's; the record's primary key backs the lock up.
import type { Queryable } from "../../../exercises/support/ledger_contract.js";

export const PAYMENT_BOOKINGS = \`
CREATE TABLE IF NOT EXISTS payment_bookings (
  payment_ref text PRIMARY KEY,
  ledger_id   bigint NOT NULL
);\`;

export async function bookPaymentOnce(tx: Queryable, paymentRef: string, row: { paymentId: string; account: string; amount: number }): Promise<number> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [paymentRef]);
  const found = await tx.query<{ ledger_id: string }>("SELECT ledger_id FROM payment_bookings WHERE payment_ref = $1", [paymentRef]);
  if (found.rows[0]) return Number(found.rows[0].ledger_id);
  const entry = await tx.query<{ id: string }>("INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) RETURNING id", [
    row.paymentId,
    row.account,
    row.amount,
  ]);
  const id = Number(entry.rows[0]!.id);
  await tx.query("INSERT INTO payment_bookings (payment_ref, ledger_id) VALUES ($1, $2)", [paymentRef, id]);
  return id;
}
`,
        },
        addImport(FILE, FIRST_IMPORT, 'import { PAYMENT_BOOKINGS, bookPaymentOnce } from "./db/book_once.js";'),
        { file: FILE, find: "  await db.query(MIGRATION);\n", replace: "  await db.query(PAYMENT_BOOKINGS);\n" },
        { file: FILE, find: "db.transaction((tx) => bookOnce(tx, recordKey, request))", replace: "db.transaction((tx) => bookPaymentOnce(tx, `payment/${recordKey}`, request))" },
      ],
    },
  ],
};
