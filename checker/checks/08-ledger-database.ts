// Exercise 8: a Restate handler that books payments into a ledger table in its
// own PostgreSQL (PGlite here). The checks read the table through the endpoint's
// LedgerInspection service (PGlite has one process: the endpoint's), deliver
// payments again, restart the endpoint, and crash it right after the database
// commit, before Restate records the step.
import { type Booking, type BookingRequest, type LedgerRows } from "../../exercises/support/ledger_contract.js";
import { tcpOpen } from "../../orchestration/ports.js";
import { waitFor } from "../../orchestration/processes.js";
import { type CheckContext, expect, fail, plural, times } from "../lib/check.js";
import type { Answer } from "../lib/restate.js";
import type { ExerciseDefinition } from "../lib/exercise.js";

const LEDGER = { service: "Ledger", handler: "book" };

function payment(ctx: CheckContext, amount = 2_500): BookingRequest {
  return { paymentId: ctx.id("pay"), account: ctx.id("acct"), amount };
}

async function book(ctx: CheckContext, request: BookingRequest, options: { timeoutMs?: number } = {}): Promise<Answer<Booking>> {
  const answer = await ctx.restate.invoke<Booking>(LEDGER, request, options);
  expect(answer.status === 200, `booking ${request.paymentId} answered ${answer.status} (${answer.text.slice(0, 160)}), expected 200 with the booking`);
  return answer;
}

async function entriesOf(ctx: CheckContext, paymentId: string): Promise<LedgerRows["entries"]> {
  const answer = await ctx.restate.invoke<LedgerRows>({ service: "LedgerInspection", handler: "entries" }, paymentId);
  if (answer.status !== 200) fail(`reading the ledger table answered ${answer.status} (${answer.text.slice(0, 160)}): keep endpoint.ts serving ledgerInspection(database)`);
  return answer.body.entries;
}

const RECORD_IT =
  "record the payment id in the same transaction as the booking, in a table whose primary key is the payment id, and when that insert conflicts leave the record as it is (ON CONFLICT DO NOTHING) and skip the booking";

export const exercise: ExerciseDefinition = {
  number: 8,
  folder: "08-ledger-database",
  title: "A ledger in your own database",
  services: ["Ledger", "LedgerInspection"],
  endpointPgliteDataDir: true,
  checks: [
    {
      id: "books-payment",
      name: "a payment is booked: one ledger row with its account and amount, and the answer names it",
      section: "the-side-effect-and-the-state-commit-together",
      // The first booking waits for the endpoint's database to be created (PGlite's initdb: seconds on a busy machine).
      timeoutMs: 100_000,
      async run(ctx) {
        const request = payment(ctx);
        const answer = await book(ctx, request, { timeoutMs: 90_000 });
        const entries = await entriesOf(ctx, request.paymentId);
        expect(entries.length === 1, `one payment left ${plural(entries.length, "ledger row")}, expected 1`);
        const [entry] = entries;
        expect(entry!.account === request.account && entry!.amount === request.amount, `the ledger row says ${entry!.amount} to ${entry!.account}, expected ${request.amount} to ${request.account}`);
        expect(answer.body?.entryId === entry!.id, `the answer names entry ${answer.body?.entryId}, but the ledger row is ${entry!.id}`);
      },
    },
    {
      id: "same-payment-again",
      name: "the same payment delivered again (a new invocation) is booked once, and answered with the first booking",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const request = payment(ctx);
        const first = await book(ctx, request);
        const again = await book(ctx, request);
        const entries = await entriesOf(ctx, request.paymentId);
        expect(entries.length === 1, `the same payment delivered twice was booked ${times(entries.length)}: a redelivery is a new invocation with a new journal; ${RECORD_IT}`);
        expect(again.body?.entryId === first.body?.entryId, `the second delivery answered entry ${again.body?.entryId}, the first ${first.body?.entryId}: answer a redelivery with the booking already made`);
      },
    },
    {
      id: "same-payment-at-once",
      name: "four deliveries of one payment at the same moment book it once",
      section: "concurrent-duplicates",
      async run(ctx) {
        const request = payment(ctx);
        // A round trip per query, as to a database server: PGlite's instant answers would hide the race.
        await ctx.restate.invoke({ service: "LedgerInspection", handler: "simulateLatency" }, 40);
        const answers = await Promise.all(Array.from({ length: 4 }, () => book(ctx, request))).finally(() =>
          ctx.restate.invoke({ service: "LedgerInspection", handler: "simulateLatency" }, 0),
        );
        const entries = await entriesOf(ctx, request.paymentId);
        expect(
          entries.length === 1,
          `four deliveries of one payment at once booked it ${times(entries.length)}: a check (SELECT) and then an insert lets every copy pass the check before any inserts; let a unique constraint (the record's primary key) decide, with INSERT ... ON CONFLICT DO NOTHING in the booking's transaction`,
        );
        const ids = new Set(answers.map((answer) => answer.body?.entryId));
        expect(ids.size === 1, `the deliveries answered ${ids.size} different entries: answer every copy with the one booking`);
      },
    },
    {
      id: "other-payment-same-content",
      name: "two payments with the same account and amount are two bookings",
      section: "business-identity-the-leaderboard",
      async run(ctx) {
        const first = payment(ctx);
        const second = { ...first, paymentId: ctx.id("pay") };
        await book(ctx, first);
        await book(ctx, second);
        const counts = [(await entriesOf(ctx, first.paymentId)).length, (await entriesOf(ctx, second.paymentId)).length];
        expect(counts[0] === 1 && counts[1] === 1, `two payments with the same account and amount left ${counts.join(" and ")} rows: the identity is the payment id, not what the payment contains`);
      },
    },
    {
      id: "database-unreachable",
      name: "the database is unreachable for a moment: the booking is retried, and the answer names the one row it made",
      section: "remembering-failures",
      async run(ctx) {
        const request = payment(ctx);
        await ctx.restate.invoke({ service: "LedgerInspection", handler: "failNextTransactions" }, 1);
        const answer = await ctx.restate.invoke<Booking>(LEDGER, request, { stuckAfterRetries: Infinity, timeoutMs: 40_000 });
        const entries = await entriesOf(ctx, request.paymentId);
        expect(
          answer.status === 200 && entries.length === 1 && answer.body?.entryId === entries[0]!.id,
          `with the database unreachable once, booking ${request.paymentId} answered ${answer.status} (${answer.text.slice(0, 120)}) and the ledger holds ${plural(entries.length, "row")}: ` +
            "a failed booking is no booking; let the error out of ctx.run (Restate retries it) instead of answering as if it were booked",
        );
      },
    },
    {
      id: "colliding-ids",
      name: "payments whose account and payment ids collide on a separator (account 'a-b' paying 'c', account 'a' paying 'b-c') are each booked",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const paymentId = ctx.id("pay");
        const account = ctx.id("acct");
        for (const sep of ["-", "_"]) {
          const first: BookingRequest = { paymentId: `${paymentId}${sep}p`, account: `${account}${sep}x`, amount: 1_100 };
          const second: BookingRequest = { paymentId: `x${sep}${paymentId}${sep}p`, account, amount: 1_200 };
          await book(ctx, first);
          await book(ctx, second);
          const rows = await entriesOf(ctx, second.paymentId);
          expect(
            rows.length === 1 && rows[0]!.amount === 1_200,
            `payment '${second.paymentId}' of account '${second.account}' left ${plural(rows.length, "ledger row")}: its record key is that of payment '${first.paymentId}' of account '${first.account}'. ` +
              "The payment id alone is the identity; an account joined to it with a character ids may hold makes two payments one",
          );
        }
      },
    },
    {
      id: "redelivered-next-day",
      name: "the same payment delivered again the next day (the endpoint restarted with its clock a day ahead) is booked once",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const request = payment(ctx);
        await book(ctx, request);
        await ctx.endpoint.restart({ clockShiftMs: 24 * 60 * 60 * 1000 }); // the checker puts the clock back after the check
        await book(ctx, request);
        const rows = await entriesOf(ctx, request.paymentId);
        expect(rows.length === 1, `one payment, delivered again a day later, left ${plural(rows.length, "ledger row")}: its record key changed with the date; the payment id alone is its identity`);
      },
    },
    {
      id: "bad-request",
      name: "a booking with a negative amount is refused with 400 and a message, and books nothing",
      section: "remembering-failures",
      async run(ctx) {
        const request = { ...payment(ctx), amount: -5 };
        const answer = await ctx.restate.invoke(LEDGER, request);
        // Judged by the status and that there is a message, never by its words: any wording of what is wrong passes.
        const message = (answer.body as { message?: unknown } | undefined)?.message;
        expect(
          answer.status === 400 && typeof message === "string" && message.trim().length > 0,
          `a negative amount answered ${answer.status} (${answer.text.slice(0, 160)}), expected 400 with a message saying what is wrong with the amount`,
        );
        expect((await entriesOf(ctx, request.paymentId)).length === 0, "a refused booking left a ledger row");
      },
    },
    {
      id: "crash-after-commit",
      name: "kill -9 right after the booking's commit, before Restate records the step: the retry on the restarted endpoint books nothing more, nor does a redelivery after it",
      section: "the-side-effect-and-the-state-commit-together",
      timeoutMs: 75_000,
      async run(ctx) {
        const request = payment(ctx);
        ctx.endpoint.expectExit(); // the crash below is the check's own doing, not the learner's
        await ctx.restate.invoke({ service: "LedgerInspection", handler: "crashAfterNextCommit" }, null);
        const invocationId = await ctx.restate.send(LEDGER, request);
        const port = Number(new URL(ctx.endpoint.url).port);
        // The armed database SIGKILLs the endpoint once a transaction that wrote rows has committed.
        await waitFor("the endpoint to crash after its commit", async () => !(await tcpOpen(port)()), { timeoutMs: 20_000, intervalMs: 50 }).catch(() =>
          fail("the endpoint did not crash: the booking never committed a write through the database that openLedgerDatabase() gives you; book through it"),
        );
        ctx.note(`crashed after the commit of ${invocationId}; restarting the endpoint`);
        await ctx.endpoint.restart();
        const answer = await ctx.restate.attach<Booking>(invocationId, "Ledger/book", { stuckAfterRetries: Infinity, timeoutMs: 45_000 });
        expect(answer.status === 200, `after the crash the retried booking answered ${answer.status} (${answer.text.slice(0, 160)})`);
        const entries = await entriesOf(ctx, request.paymentId);
        if (entries.length === 0) {
          fail(
            "the crash came after a commit that recorded the payment but did not book it, and the retry then skipped it: the record and the booking went in separate transactions; commit them in one transaction",
          );
        }
        expect(
          entries.length === 1,
          `after a crash between the commit and Restate's journal entry, the retry booked the payment ${times(entries.length)}: Restate runs an unrecorded step again, so its write needs an identity that is the same on the retry (the payment id from the input, or a key taken from the journal: ctx.rand, the invocation id), recorded in one transaction with the booking`,
        );
        expect(answer.body?.entryId === entries[0]!.id, `the retried booking answered entry ${answer.body?.entryId}, but the ledger row is ${entries[0]!.id}`);
        await book(ctx, request);
        const afterRedelivery = await entriesOf(ctx, request.paymentId);
        expect(
          afterRedelivery.length === 1,
          `delivered again after the endpoint restarted, the payment was booked ${times(afterRedelivery.length)}: keep what was booked in the database, not in the endpoint's memory; ${RECORD_IT}`,
        );
      },
    },
  ],
};
