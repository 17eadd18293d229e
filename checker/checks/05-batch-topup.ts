// Exercise 5: one payment, N top-ups, each exactly once; all/some/none reported;
// failed items refunded; nothing executes past the batch's deadline.
import { type BatchReport, REFUSAL_CODES, type TopUpBatchRequest } from "../../exercises/support/topup_batch_contract.js";
import { type CheckContext, expect, expectAskedOnce, fail, plural, pollUntil, sleep, times } from "../lib/check.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import { type DeclaredEffect, ScenarioTooSlow, faultMatrix, runWithLostAnswer, withSlowRetry } from "../lib/faults.js";
import type { SeenRequest } from "../lib/request_ledger.js";
import type { Answer, InvokeOptions } from "../lib/restate.js";

/** The report, or Restate's error body with the refusal's metadata. */
type ReportAnswer = BatchReport & { message?: string; metadata?: Record<string, string> };

let numberSeed = Math.floor(Math.random() * 9_000);
/** A prepaid number the provider tops up. */
const okNumber = () => `+1415555${String(1_000 + (numberSeed++ % 8_999)).padStart(4, "0")}`;
/** A number the provider refuses (it ends in 0000: not a prepaid line). */
const refusedNumber = () => `+4477${String(numberSeed++ % 100).padStart(2, "0")}990000`;

/** A number of `id`'s own, the same for every copy of a scenario (the concurrent column sends copies of one batch). */
const hashOf = (id: string) => [...id].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 1_000_003, 7);
const okNumberFor = (id: string) => `+1415555${String(1_000 + (hashOf(id) % 8_999)).padStart(4, "0")}`;
const refusedNumberFor = (id: string) => `+4477${String(hashOf(id) % 100).padStart(2, "0")}990000`;
/**
 * The effects' scenarios run with the endpoint's clock a day ahead too (the clock column), and their copies must be
 * one request (the concurrent column): a deadline two days ahead, on the hour, the same for every copy.
 */
const deadlineFor = (id: string) => new Date((Math.floor(Date.now() / 3_600_000) + 49) * 3_600_000 + (hashOf(id) % 1_000)).toISOString();

function batch(items: { phoneNumber: string; amount: number }[], deadlineInMs = 60_000): TopUpBatchRequest {
  return { source: "tok_visa", currency: "USD", items, deadline: new Date(Date.now() + deadlineInMs).toISOString() };
}

/**
 * How far ahead a batch's deadline is set when a check needs it to pass while the batch is being retried: short, so
 * that the check waits little (a batch's first charge reaches the gateway within about 0.1 s, even on a busy machine);
 * a first attempt that still came after it throws ScenarioTooSlow, and the check runs again on the slow deadline.
 */
const PASSING_DEADLINE_MS = { first: 1_000, slow: 4_000 };
/** Each batch id's passing deadline, set once: the concurrent column's copies of one batch must be one request. */
const passingDeadlines = new Map<string, string>();
function passingDeadlineFor(batchId: string, slow: boolean): string {
  const deadline = passingDeadlines.get(batchId) ?? new Date(Date.now() + PASSING_DEADLINE_MS[slow ? "slow" : "first"]).toISOString();
  passingDeadlines.set(batchId, deadline);
  return deadline;
}

/**
 * Runs the batch with the answer to its first request to `effect.path` lost, and the provider unreachable for it until
 * just past its deadline: the effect may have happened, and only a retry after the deadline can find out. The retries
 * waiting out the learner's back-off are resumed then, so the retry comes at once instead of after the back-off.
 * Throws ScenarioTooSlow (unless `slow`) when no such request reached the provider at all: the first attempt came after the deadline.
 */
async function runPastDeadline(
  ctx: CheckContext,
  batchId: string,
  request: TopUpBatchRequest,
  effect: { door: "gateway" | "providers"; path: string },
  slow: boolean,
): Promise<{ answer: Answer<ReportAnswer>; lost: number }> {
  const reachableAgain = Date.parse(request.deadline) + 300;
  const isEffect = (sent: SeenRequest) => sent.path.includes(effect.path) && sent.body.includes(batchId);
  const door = ctx.requests[effect.door];
  const from = door.mark();
  const resume = setTimeout(() => void ctx.restate.retryBackingOffNow().catch(() => 0), Math.max(0, reachableAgain - Date.now()));
  let answer!: Answer<ReportAnswer>;
  try {
    const fault = await runWithLostAnswer(
      ctx,
      effect.door,
      { matches: isEffect, unreachableUntil: reachableAgain },
      async () => {
        answer = await run(ctx, batchId, request, { stuckAfterRetries: Infinity, timeoutMs: 40_000 });
      },
    );
    if (fault.failure !== undefined) throw fault.failure;
    ctx.note(`answer: ${answer.status} ${answer.text.slice(0, 300)}`);
    if (!slow && !door.since(from).some(isEffect)) {
      throw new ScenarioTooSlow(`batch '${batchId}' sent nothing to ${effect.path} before its deadline ${request.deadline}`);
    }
    return { answer, lost: fault.lost };
  } finally {
    clearTimeout(resume);
  }
}

const run = (ctx: CheckContext, batchId: string, request: TopUpBatchRequest, options?: InvokeOptions): Promise<Answer<ReportAnswer>> =>
  ctx.restate.invoke({ service: "TopUpBatch", key: batchId, handler: "run" }, request, options);

async function ledger(ctx: CheckContext, batchId: string) {
  const [charges, topUps, refunds] = await Promise.all([
    ctx.gateway.listCharges({ reference: batchId }),
    ctx.topups.listTopUps({ reference: batchId }),
    ctx.gateway.listRefunds({ reference: batchId }),
  ]);
  return {
    charges: charges.filter((charge) => charge.status === "succeeded"),
    topUps,
    succeededTopUps: topUps.filter((topUp) => topUp.status === "succeeded"),
    refunds,
    refunded: refunds.reduce((sum, refund) => sum + refund.amount, 0),
  };
}

function expectReport(answer: Answer<ReportAnswer>, what: string): BatchReport {
  expect(answer.status === 200, `${what} answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 140)}), expected 200 with the batch report`);
  expect(Array.isArray(answer.body?.items), `${what} answered ${answer.text.slice(0, 140)}, expected a batch report with items`);
  return answer.body;
}

/** At most one top-up per number, and at most one successful charge. */
function expectEachOnce(book: Awaited<ReturnType<typeof ledger>>, hints: { charge: string; topUp: string }): void {
  if (book.charges.length > 1) fail(`the customer was charged ${times(book.charges.length)} for one batch: ${hints.charge}`, { detail: book.charges });
  const perNumber = new Map<string, number>();
  for (const topUp of book.topUps) perNumber.set(topUp.phoneNumber, (perNumber.get(topUp.phoneNumber) ?? 0) + 1);
  const repeated = [...perNumber].filter(([, count]) => count > 1);
  if (repeated.length > 0) {
    const [number, count] = repeated[0]!;
    fail(`${number} was topped up ${times(count)} in one batch: ${hints.topUp}`, { detail: book.topUps });
  }
}

/** A refusal for the deadline: a 4xx that says the request is no longer valid (409 or 422), and the contract's code. */
const isDeadlineRefusal = (answer: Answer<ReportAnswer>) =>
  (answer.status === 409 || answer.status === 422) && answer.body?.metadata?.code === REFUSAL_CODES.deadlinePassed;

const deadlineRefusalHint = (answer: Answer<ReportAnswer>) =>
  `the batch past its deadline answered ${answer.status} with metadata ${JSON.stringify(answer.body?.metadata ?? null)}, expected 409 or 422 with ` +
  `metadata {code: "${REFUSAL_CODES.deadlinePassed}", ...} (TerminalError's metadata, see topup_batch_contract.ts): a program must be able to tell what happened without reading the message`;

/**
 * Every side effect of a batch, each checked under every fault. In this order the clock column's checks leave the
 * endpoint's clock true before the one that needs it (charge-refund) and after the last: no restart just to put it back.
 */
const EFFECTS: DeclaredEffect[] = [
  {
    id: "charge",
    what: "the batch's charge",
    door: "gateway",
    path: "/v1/charges",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "batch",
    async scenario(ctx, batchId) {
      const report = expectReport(await run(ctx, batchId, { ...batch([{ phoneNumber: okNumberFor(batchId), amount: 1_000 }]), deadline: deadlineFor(batchId) }), "the batch (with the charge's answer lost)");
      const book = await ledger(ctx, batchId);
      expect(report.chargeId === book.charges[0]?.id, `the report names charge ${report.chargeId}, the gateway made ${book.charges[0]?.id}`);
    },
    made: async (ctx, batchId) => (await ledger(ctx, batchId)).charges.length,
  },
  {
    id: "top-up",
    what: "a top-up",
    door: "providers",
    path: "/v1/topups",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "batch",
    async scenario(ctx, batchId) {
      const report = expectReport(await run(ctx, batchId, { ...batch([{ phoneNumber: okNumberFor(batchId), amount: 800 }]), deadline: deadlineFor(batchId) }), "the batch (with the top-up's answer lost)");
      expect(report.outcome === "all", `the report says outcome ${JSON.stringify(report.outcome)}, expected "all": the top-up was made`);
    },
    made: async (ctx, batchId) => (await ledger(ctx, batchId)).succeededTopUps.length,
  },
  {
    id: "charge-refund",
    what: "the refund of the whole charge when the batch passes its deadline (compensation)",
    door: "gateway",
    path: "/v1/refunds",
    section: "batch-idempotency",
    idPrefix: "batch",
    timeoutMs: 60_000,
    needsTrueClockAtStart: true,
    async scenario(ctx, batchId, slow = false) {
      // The charge is made with its answer lost, and unreachable until past the deadline: the retry finds it and refunds it.
      const request = { ...batch([{ phoneNumber: okNumberFor(batchId), amount: 900 }]), deadline: passingDeadlineFor(batchId, slow) };
      const { answer } = await runPastDeadline(ctx, batchId, request, { door: "gateway", path: "/v1/charges" }, slow);
      const book = await ledger(ctx, batchId);
      expect(isDeadlineRefusal(answer), deadlineRefusalHint(answer));
      expect(book.refunded === 900, `the batch's charge of 900 was found after the deadline, and the gateway refunded ${book.refunded}, expected 900`);
    },
    made: async (ctx, batchId) => (await ledger(ctx, batchId)).refunds.length,
  },
  {
    id: "refund",
    what: "the refund of a failed item (compensation)",
    door: "gateway",
    path: "/v1/refunds",
    section: "batch-idempotency",
    idPrefix: "batch",
    async scenario(ctx, batchId) {
      const request = { ...batch([{ phoneNumber: okNumberFor(batchId), amount: 1_000 }, { phoneNumber: refusedNumberFor(batchId), amount: 700 }]), deadline: deadlineFor(batchId) };
      const report = expectReport(await run(ctx, batchId, request), "the batch (with the refund's answer lost)");
      const book = await ledger(ctx, batchId);
      expect(report.refunded === 700 && book.refunded === 700, `the report says ${report.refunded} refunded and the gateway refunded ${book.refunded}, expected 700 (the failed item)`);
    },
    made: async (ctx, batchId) => (await ledger(ctx, batchId)).refunds.length,
  },
];

export const exercise: ExerciseDefinition = {
  number: 5,
  folder: "05-batch-topup",
  title: "Batch top-up (advanced)",
  services: ["TopUpBatch"],
  checks: [
    {
      id: "all-succeed",
      name: "a batch of three numbers: one charge of the total, one top-up per number, outcome \"all\"",
      section: "batch-idempotency",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: okNumber(), amount: 2_000 }, { phoneNumber: okNumber(), amount: 500 }]);
        const report = expectReport(await run(ctx, batchId, request), "the batch");
        const book = await ledger(ctx, batchId);
        expect(book.charges.length === 1 && book.charges[0]!.amount === 3_500, `the gateway has ${plural(book.charges.length, "charge")} (${book.charges.map((c) => c.amount).join(", ")}) for the batch, expected one of 3500 with reference = the batch id`);
        expect(book.succeededTopUps.length === 3, `the provider made ${plural(book.succeededTopUps.length, "top-up")}, expected 3 with reference = the batch id`);
        expect(report.outcome === "all", `the report says outcome ${JSON.stringify(report.outcome)}, expected "all"`);
        expect(report.chargeId === book.charges[0]!.id, `the report names charge ${report.chargeId}, the gateway made ${book.charges[0]!.id}`);
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", batchId).length, "the batch's charge");
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/topups", batchId).length, "each top-up (3 numbers)", { expected: 3 });
      },
    },
    {
      id: "duplicate-batch",
      name: "the same batch sent twice: nothing more is charged or topped up, and the same report comes back",
      section: "batch-idempotency",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: okNumber(), amount: 2_000 }]);
        const first = expectReport(await run(ctx, batchId, request), "the batch");
        const second = expectReport(await run(ctx, batchId, request), "the duplicate batch");
        expectEachOnce(await ledger(ctx, batchId), {
          charge: "the batch id is the batch's identity: store the report and answer a repeat from it",
          topUp: "the batch id is the batch's identity: store the report and answer a repeat from it",
        });
        expect(JSON.stringify(second) === JSON.stringify(first), "the duplicate got a different report than the first: answer with the stored one");
        // The providers' keys absorb a re-run today; asking them again shows that the repeat was not answered from state.
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", batchId).length, "the batch's charge", {
          why: "the repeat ran the batch again (the providers' keys hid it, until they expire or the deadline passes): store the report and answer a repeat from it",
          section: "batch-idempotency",
        });
      },
    },
    {
      id: "lost-topup-answer",
      name: "the provider tops up but its answer is lost: the retry tops up nothing more and charges nothing more",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const batchId = ctx.id("batch");
        await ctx.topups.setFaults({ dropNext: 1 });
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: okNumber(), amount: 2_000 }]);
        expectReport(await run(ctx, batchId, request), "the batch (with the first top-up's answer dropped)");
        const book = await ledger(ctx, batchId);
        expectEachOnce(book, {
          charge: "a retry of the handler charged again: journal the charge in ctx.run with a key derived from the batch id",
          topUp: "journal each top-up in ctx.run and give the provider a key derived from the batch id and the item",
        });
        expect(book.succeededTopUps.length === 2, `the provider made ${book.succeededTopUps.length} top-ups, expected 2`);
      },
    },
    {
      id: "some-fail-refunded",
      name: "one of three numbers is refused: outcome \"some\", and exactly its amount is refunded, once",
      section: "batch-idempotency",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const refused = refusedNumber();
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: refused, amount: 700 }, { phoneNumber: okNumber(), amount: 300 }]);
        const report = expectReport(await run(ctx, batchId, request), "the batch with one refused number");
        expect(report.outcome === "some", `the report says outcome ${JSON.stringify(report.outcome)}, expected "some"`);
        const item = report.items.find((i) => i.phoneNumber === refused);
        expect(item?.status === "failed", `the refused number's item is ${JSON.stringify(item?.status)}, expected "failed"`);
        const book = await ledger(ctx, batchId);
        expect(
          book.refunded === 700,
          book.refunded === 0
            ? "the customer paid for a top-up that failed and got nothing back: refund each failed item's amount (compensation), each refund once with its own key"
            : `the gateway refunded ${book.refunded} for the batch, expected exactly the failed item's 700`,
          { detail: book.refunds },
        );
        expect(report.refunded === 700, `the report says ${report.refunded} refunded, the gateway refunded 700`);
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/refunds", batchId).length, "the refund of the failed item");
      },
    },
    {
      id: "none-succeed-refunded",
      name: "every number is refused: outcome \"none\", and the whole charge is refunded",
      section: "batch-idempotency",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = batch([{ phoneNumber: refusedNumber(), amount: 400 }, { phoneNumber: refusedNumber(), amount: 600 }]);
        const report = expectReport(await run(ctx, batchId, request), "the batch where every number is refused");
        expect(report.outcome === "none", `the report says outcome ${JSON.stringify(report.outcome)}, expected "none"`);
        const book = await ledger(ctx, batchId);
        const charged = book.charges.reduce((sum, charge) => sum + charge.amount, 0);
        expect(
          book.refunded === charged && charged === 1_000,
          `charged ${charged} and refunded ${book.refunded} for a batch where nothing was topped up: refund every failed item`,
          { detail: book.refunds },
        );
      },
    },
    {
      id: "colliding-batches",
      name: "two batches sharing their numbers, one id the other's plus '-refund': each is charged, topped up and refunded on its own",
      section: "batch-idempotency",
      async run(ctx) {
        // A key without the batch id, or joined with a separator a batch id may contain, gives the second batch the first one's effects.
        const first = ctx.id("batch");
        const second = `${first}-refund`;
        const items = [{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: refusedNumber(), amount: 700 }];
        for (const batchId of [first, second]) {
          const report = expectReport(await run(ctx, batchId, batch(items)), `batch '${batchId}'`);
          const book = await ledger(ctx, batchId);
          expect(
            book.charges.length === 1 && book.succeededTopUps.length === 1 && book.refunded === 700 && report.chargeId === book.charges[0]!.id,
            `batch '${batchId}' (the same numbers as ${batchId === first ? `batch '${second}'` : `batch '${first}'`}) has ${plural(book.charges.length, "charge")}, ` +
              `${plural(book.succeededTopUps.length, "top-up")} and ${book.refunded} refunded under its own reference, expected one charge, one top-up and 700 refunded: ` +
              "another batch's effects answered its own, because their provider keys are equal. Put the batch id in every key, and join the parts with a separator a batch id cannot contain, or put a fixed word last",
            { detail: book },
          );
        }
      },
    },
    {
      id: "declined-card",
      name: "a declined card tops up nothing and answers 402",
      section: "remembering-failures",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = { ...batch([{ phoneNumber: okNumber(), amount: 1_000 }]), source: "tok_chargeDeclined" };
        const answer = await run(ctx, batchId, request);
        expect(answer.status === 402, `a declined card answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 120)}), expected 402: a decline is final (TerminalError)`);
        const book = await ledger(ctx, batchId);
        expect(book.topUps.length === 0, `${plural(book.topUps.length, "number")} topped up although the customer's card was declined`);
      },
    },
    {
      id: "deadline-passed",
      name: "a batch whose deadline has already passed is refused, and nothing is charged or topped up",
      section: "batch-idempotency",
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }], -1_000);
        const answer = await run(ctx, batchId, request);
        const book = await ledger(ctx, batchId);
        expect(
          isDeadlineRefusal(answer),
          answer.status === 200
            ? `a batch past its deadline ran (charged ${book.charges.length}, ${plural(book.succeededTopUps.length, "top-up")}): compare the deadline with the clock before the first side effect and refuse it`
            : deadlineRefusalHint(answer),
        );
        expect(book.charges.length === 0 && book.topUps.length === 0, "a batch past its deadline was charged or topped up");
        expect(answer.body?.metadata?.charged === "0", `the refusal says charged ${JSON.stringify(answer.body?.metadata?.charged)}, but the gateway holds no charge for the batch: say "0"`);
      },
    },
    {
      id: "deadline-on-retry",
      name: "the gateway is down until after the deadline: the retried batch does not execute",
      section: "batch-idempotency",
      timeoutMs: 60_000,
      async run(ctx) {
        const batchId = ctx.id("batch");
        const request = batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: okNumber(), amount: 2_000 }], 1_000);
        const deadline = Date.parse(request.deadline);
        const outage = 1_000_000;
        await ctx.gateway.setFaults({ failNext: outage });
        const invocationId = await ctx.restate.send({ service: "TopUpBatch", key: batchId, handler: "run" }, request);
        // Wait until the batch has met the outage (or finished without trying: also fine, if it refuses).
        await pollUntil(
          async () => (await ctx.gateway.setFaults({})).failNext < outage || (await ctx.restate.invocation(invocationId))?.status === "completed",
          (settled) => settled,
          10_000,
        );
        await sleep(Math.max(0, deadline + 300 - Date.now()));
        await ctx.gateway.setFaults({ failNext: 0 });
        await ctx.restate.retryBackingOffNow(); // the retry need not wait out the rest of the learner's back-off
        ctx.note(`gateway back ${Date.now() - deadline} ms after the deadline`);

        let answer = await ctx.restate.attach<ReportAnswer>(invocationId, `TopUpBatch/${batchId}/run`, { stuckAfterRetries: Infinity, timeoutMs: 40_000 });
        ctx.note(`first answer: ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.status !== 200) answer = await run(ctx, batchId, request, { stuckAfterRetries: Infinity }); // the client retries the batch
        const book = await ledger(ctx, batchId);
        if (answer.status === 200 || book.charges.length > 0 || book.succeededTopUps.length > 0) {
          fail(
            `the batch ran after its deadline (charged ${times(book.charges.length)}, ${plural(book.succeededTopUps.length, "top-up")}): ` +
              "check the deadline inside each retried step (ctx.run), with the real clock, before calling the provider; a journaled ctx.date keeps the time of the first attempt",
          );
        }
        expect(isDeadlineRefusal(answer), deadlineRefusalHint(answer));
      },
    },
    {
      id: "lost-charge-deadline-on-retry",
      name: "the gateway charges, its answer is lost, and the deadline passes during the retry: the charge is found, refunded, and the refusal says so",
      section: "batch-idempotency",
      timeoutMs: 60_000,
      run: (ctx) => withSlowRetry(ctx, async (slow) => {
        const batchId = ctx.id("batch");
        const request = { ...batch([{ phoneNumber: okNumber(), amount: 1_000 }, { phoneNumber: okNumber(), amount: 2_000 }]), deadline: passingDeadlineFor(batchId, slow) };
        // The first charge is made and its answer lost; the retries do not reach the gateway until after the deadline.
        const { answer, lost } = await runPastDeadline(ctx, batchId, request, { door: "gateway", path: "/v1/charges" }, slow);
        const book = await ledger(ctx, batchId);
        expect(lost === 1 && book.charges.length === 1, `the batch's first charge was ${lost === 1 ? "sent" : "never sent"} and the gateway holds ${plural(book.charges.length, "charge")}: expected one charge whose answer was lost`);
        const charge = book.charges[0]!;
        if (answer.status === 200 || book.succeededTopUps.length > 0) {
          fail(
            `the batch ran after its deadline (${plural(book.succeededTopUps.length, "top-up")}): nothing more may be sent to a provider after the deadline; check it inside each retried step (ctx.run), with the real clock`,
          );
        }
        // The ledger first: a charge kept while the answer denies it is the worst outcome, whatever the status code.
        const metadata = answer.body?.metadata ?? {};
        expect(
          book.refunded === charge.amount,
          book.refunded === 0
            ? `the batch past its deadline answered ${answer.status} (charged ${JSON.stringify(metadata.charged ?? null)}), but the gateway holds its charge ${charge.id} of ${charge.amount}, unrefunded: ` +
                "a charge whose answer was lost may have happened; after the deadline, look it up at the gateway by the batch id (listCharges) instead of sending it again, and refund it when the batch is refused"
            : `the gateway refunded ${book.refunded} of the batch's charge of ${charge.amount}: a refused batch gives the whole charge back, once`,
          { detail: book },
        );
        expect(isDeadlineRefusal(answer), deadlineRefusalHint(answer));
        expect(
          metadata.charged === String(charge.amount) && metadata.chargeId === charge.id && metadata.refundId === book.refunds[0]?.id && metadata.refunded === String(charge.amount),
          `the refusal's metadata ${JSON.stringify(metadata)} does not say what happened: expected charged "${charge.amount}", chargeId "${charge.id}", refunded "${charge.amount}", refundId "${book.refunds[0]?.id}"`,
        );
      }),
    },
    {
      id: "lost-topup-deadline-on-retry",
      name: "the provider tops up, its answer is lost, and the deadline passes during the retry: the top-up is found and reported, not refunded",
      section: "batch-idempotency",
      timeoutMs: 60_000,
      run: (ctx) => withSlowRetry(ctx, async (slow) => {
        const batchId = ctx.id("batch");
        const number = okNumber();
        const request = { ...batch([{ phoneNumber: number, amount: 1_200 }]), deadline: passingDeadlineFor(batchId, slow) };
        const { answer, lost } = await runPastDeadline(ctx, batchId, request, { door: "providers", path: "/v1/topups" }, slow);
        const book = await ledger(ctx, batchId);
        expect(lost === 1 && book.succeededTopUps.length === 1, `the provider made ${plural(book.succeededTopUps.length, "top-up")} for the batch, expected one whose answer was lost`);
        const report = expectReport(answer, "the batch whose top-up answer was lost until after its deadline");
        const item = report.items.find((candidate) => candidate.phoneNumber === number);
        expect(
          item?.status === "succeeded" && item.topUpId === book.succeededTopUps[0]!.id && book.refunded === 0,
          `the report says the item ${JSON.stringify(item?.status)} (top-up ${item?.topUpId ?? null}) and the gateway refunded ${book.refunded}, but the provider did top up ${number} (${book.succeededTopUps[0]!.id}): ` +
            "after the deadline, look the item's top-up up at the provider by the batch id and number (listTopUps) before calling it failed, and adopt what you find",
          { detail: book },
        );
      }),
    },
    ...faultMatrix(EFFECTS),
  ],
  effects: EFFECTS,
};
