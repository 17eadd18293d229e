// Exercise 8's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const FILE = "ledger.ts";
const RECORD_KEY = "        const recordKey = request.paymentId;";
const BOOK_ONCE_CALL = "        const entryId = await ctx.run(\"book\", () => db.transaction((tx) => bookOnce(tx, recordKey, request)));";

export const outsiders: OutsiderCatalogue = {
  folder: "08-ledger-database",
  cases: [
    {
      id: "booked-cache-in-process-memory",
      class: "key stable only within one process",
      scenario: "the endpoint is killed right after the commit; the retry after its restart finds an empty cache and books a second row",
      fast: true,
      patches: [
        {
          file: FILE,
          find: BOOK_ONCE_CALL,
          replace: `        // The payments booked by this endpoint, and their rows: a duplicate never reaches the database.
        const known = booked.get(recordKey);
        if (known !== undefined) return { paymentId: request.paymentId, entryId: known };
        const entryId = await ctx.run("book", async () => {
          const { rows } = await db.query<{ id: string }>("INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) RETURNING id", [
            request.paymentId,
            request.account,
            request.amount,
          ]);
          return Number(rows[0]!.id);
        });
        booked.set(recordKey, entryId);`,
        },
        { file: FILE, find: "export const ledger = restate.service({", replace: "const booked = new Map<string, number>();\n\nexport const ledger = restate.service({" },
      ],
    },
    {
      id: "record-key-per-booking-day",
      class: "key stable only today",
      scenario: "a payment delivered again the next day (a consumer replaying its queue) has a new record key: a second row",
      patches: [{ file: FILE, find: RECORD_KEY, replace: "        const recordKey = `${request.paymentId}-${new Date().toISOString().slice(0, 10)}`;" }],
    },
    {
      id: "select-then-insert",
      class: "race in shared handlers",
      scenario: "four copies delivered at once each SELECT, find no row, and INSERT: four rows on a database server (or any store with latency)",
      patches: [
        {
          file: FILE,
          find: BOOK_ONCE_CALL,
          replace: `        const entryId = await ctx.run("book", async () => {
          const { rows: existing } = await db.query<{ id: string }>("SELECT id FROM ledger_entries WHERE payment_id = $1 ORDER BY id LIMIT 1", [request.paymentId]);
          if (existing[0]) return Number(existing[0].id); // booked already
          const { rows } = await db.query<{ id: string }>("INSERT INTO ledger_entries (payment_id, account, amount) VALUES ($1, $2, $3) RETURNING id", [
            request.paymentId,
            request.account,
            request.amount,
          ]);
          return Number(rows[0]!.id);
        });`,
        },
      ],
    },
    {
      id: "record-key-account-dash-payment",
      class: "colliding ids",
      scenario: "account 'a-b' paying 'c' and account 'a' paying 'b-c' share one record key: the second payment is never booked (it answers the first's row)",
      patches: [{ file: FILE, find: RECORD_KEY, replace: "        const recordKey = `${request.account}-${request.paymentId}`;" }],
    },
    {
      id: "booking-failure-answered-as-booked",
      class: "error swallowed",
      scenario: "the database is unreachable for a moment: the handler answers 200 with entry 0 and the payment is never booked, nor retried",
      patches: [
        {
          file: FILE,
          find: BOOK_ONCE_CALL,
          replace: `        const entryId = await ctx.run("book", () =>
          db.transaction((tx) => bookOnce(tx, recordKey, request)).catch((error: unknown) => {
            // A booking problem must not block the payment flow: the ledger team reconciles from the log.
            console.error(\`booking \${request.paymentId} failed: \${String(error)}\`);
            return 0;
          }),
        );`,
        },
      ],
    },
  ],
};
