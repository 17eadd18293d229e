// The checker's fault matrix: fault kinds × the side effects an exercise
// declares. Each exercise lists every effect it makes at a provider (the
// compensations and refunds too, not only the first call of the happy path),
// and faultMatrix turns each (kind, effect) pair into a check, so a new effect
// is checked under every fault as soon as it is declared.
//
// Every kind starts the same way: the provider does the work and the caller
// never hears of it, the one case a client cannot tell from "nothing happened".
// Then the retry comes from the same process ("answer lost"), from a new one
// (the endpoint SIGKILLed and started again: a key that lives in the process,
// process.pid or a salt drawn at load, changes), or from a new one whose clock
// has jumped a day (a key built from the date changes). Restate's clock, and the
// providers', stay as they are. A last kind sends copies of the scenario at once,
// and judges by the requests sent at the provider's door, not only its ledger.
import { type Check, type CheckContext, type Section, expect, times } from "./check.js";
import type { AnswerLossRule, SeenRequest } from "./request_ledger.js";

export const FAULT_KINDS = ["answer-lost", "endpoint-restarted", "clock-jumped", "concurrent-copies"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One side effect of an exercise, as the checker can make it happen and count it. */
export interface DeclaredEffect {
  /** Stable, part of the check's id: `answer-lost:<id>`. */
  id: string;
  /** In the learner's words: "the batch's charge", "the refund of a failed item". */
  what: string;
  /** Which counting door it passes: the payment gateway's or the mock providers'. */
  door: "gateway" | "providers";
  /** Its POST's path contains this, e.g. "/v1/refunds". */
  path: string;
  /** Which of those POSTs are this scenario's; default: the body contains `id`. (A release's body is empty: it says which by its path.) */
  matches?(request: SeenRequest, id: string): boolean;
  /** Where the chapter teaches the behaviour. */
  section: Section;
  /** The prefix of the fresh id the scenario is given (an order id, a batch id, a customer id). */
  idPrefix: string;
  /**
   * A fresh run of the exercise that makes this effect, under `id`, which must appear in the effect's request
   * body (its reference, an address). It asserts the flow's own answer (the report, the status). A scenario on a short
   * deadline may throw ScenarioTooSlow; it is then run once more under a fresh id with `slow` set: give it more time.
   */
  scenario(ctx: CheckContext, id: string, slow?: boolean): Promise<void>;
  /** How many times the provider's ledger holds the effect for `id`. */
  made(ctx: CheckContext, id: string): Promise<number>;
  /** Default 1. */
  expected?: number;
  /** Default 45 s. */
  timeoutMs?: number;
  /** The scenario reads the endpoint's clock from its start (a deadline): the clock column starts it on the true time. */
  needsTrueClockAtStart?: boolean;
}

interface FaultKindSpec {
  /** The check's name for this effect, next to ✓ or ✗. */
  name(effect: DeclaredEffect): string;
  /** The endpoint's clock shift for the retry, given the running one's, when the kind restarts it; undefined: the retry comes from the same process. */
  restartWithClockShiftMs?(runningShiftMs: number): number;
  /** The effect was made more often than expected after the fault: why, and what to do. */
  repeated(effect: DeclaredEffect, made: number): string;
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;
const DERIVE = "derive it from the business id only (never random, never per attempt, never from the process or the clock), so the provider recognises the retry";

const FAULTS: Record<FaultKind, FaultKindSpec> = {
  "answer-lost": {
    name: (effect) => `answer lost: ${effect.what} is made, its answer never arrives; the retry makes nothing more`,
    repeated: (effect, made) =>
      `${effect.what} was made ${times(made)} after its answer was lost: the retry sent it as a new request; make it inside ctx.run with a provider key; ${DERIVE}`,
  },
  "endpoint-restarted": {
    name: (effect) => `endpoint restarted: ${effect.what} is made, the endpoint is killed before it hears the answer; the new process's retry makes nothing more`,
    restartWithClockShiftMs: () => 0,
    repeated: (effect, made) =>
      `${effect.what} was made ${times(made)} when your endpoint was restarted between the attempt and its retry: its provider key changed with the process ` +
      `(process.pid, a salt or counter drawn when the module loads, something kept in memory); ${DERIVE}`,
  },
  "concurrent-copies": {
    name: (effect) => `concurrent copies: ${CONCURRENT_COPIES} copies of the request that makes ${effect.what} arrive at once; it is sent once`,
    repeated: (effect, made) => `${effect.what} was made ${times(made)} for copies arriving together`,
  },
  "clock-jumped": {
    name: (effect) => `clock jumped: ${effect.what} is made, the endpoint restarts with its clock a day apart; the retry makes nothing more`,
    // A day forward, or back to the true time when the previous check left it a day ahead: either way the date changes
    // between the attempt and its retry, and the clock checks in a row need no extra restart to put the clock back.
    restartWithClockShiftMs: (running) => (running === 0 ? ONE_DAY_MS : 0),
    repeated: (effect, made) =>
      `${effect.what} was made ${times(made)} when the retry ran on a date a day apart from the attempt's (your endpoint's clock moved, Restate's did not): ` +
      `its provider key changed with the clock (a date or a time in it); ${DERIVE}`,
  },
};

/**
 * A scenario that sets a short deadline (so that its check waits little) throws this when the machine was too slow
 * for it: its first attempt reached the provider only after the deadline, so the fault it arranges never happened.
 * No verdict: the check runs the scenario once more, under a fresh id, with `slow` set (and a longer deadline).
 */
export class ScenarioTooSlow extends Error {}

/** Runs `attempt` (given whether it is the second, slow one), once more when the first was too slow for the machine. */
export async function withSlowRetry(ctx: CheckContext, attempt: (slow: boolean) => Promise<void>): Promise<void> {
  try {
    await attempt(false);
  } catch (error) {
    if (!(error instanceof ScenarioTooSlow)) throw error;
    ctx.note(`too slow for its deadline, run again with more time: ${error.message}`);
    await attempt(true);
  }
}

/** How many copies of a scenario the concurrent column sends at once. */
const CONCURRENT_COPIES = 5;

/** Which of a door's POSTs are this effect's, for the run under `id`. */
const isEffectOf = (effect: DeclaredEffect, id: string) => (request: SeenRequest) =>
  request.path.includes(effect.path) && (effect.matches ? effect.matches(request, id) : request.body.includes(id));

/**
 * Runs `scenario` with the first answer of the POSTs `matches` picks lost (the provider does the work, the caller is
 * cut off), disarmed afterwards whatever happens: the arm-run-disarm the checks share. It reports how many answers
 * were lost and the scenario's failure, if any, so a check can look at the provider's ledger before rethrowing it.
 */
export async function runWithLostAnswer(
  ctx: CheckContext,
  door: "gateway" | "providers",
  rule: Pick<AnswerLossRule, "matches" | "onLost" | "unreachableUntil" | "answers">,
  scenario: () => Promise<void>,
): Promise<{ lost: number; failure?: unknown }> {
  const armed = ctx.requests[door].loseAnswers(rule);
  try {
    await scenario();
    return { lost: armed.lost() };
  } catch (failure) {
    return { lost: armed.lost(), failure };
  } finally {
    armed.disarm();
  }
}

/** The lost-answer kinds: the effect is made with its answer lost (and, for some kinds, the endpoint restarted before the retry). */
async function lostAnswerCheck(ctx: CheckContext, effect: DeclaredEffect, fault: FaultKindSpec, slow: boolean): Promise<void> {
  const id = ctx.id(effect.idPrefix);
  if (effect.needsTrueClockAtStart && ctx.endpoint.clockShiftMs !== 0) await ctx.endpoint.restart();
  let restarted: Promise<void> | undefined;
  const restart =
    fault.restartWithClockShiftMs === undefined
      ? undefined
      : async () => {
          // Killed before the answer could reach it; its retry can only come from the process started next.
          const clockShiftMs = fault.restartWithClockShiftMs?.(ctx.endpoint.clockShiftMs) ?? 0;
          await ctx.endpoint.kill();
          restarted = ctx.endpoint.start({ clockShiftMs }).then(async () => {
            await ctx.restate.retryBackingOffNow();
          });
          restarted.catch(() => undefined);
        };
  const outcome = await runWithLostAnswer(ctx, effect.door, { matches: isEffectOf(effect, id), onLost: restart }, () => effect.scenario(ctx, id, slow));
  await restarted?.catch(() => undefined); // the checker puts the clock back before a check of another kind
  // The provider's ledger first: an effect made twice explains whatever else went wrong.
  if (outcome.lost > 0) {
    const made = await effect.made(ctx, id);
    const expected = effect.expected ?? 1;
    expect(
      made === expected,
      made > expected ? fault.repeated(effect, made) : `${effect.what} is in the provider's ledger ${times(made)}, expected ${times(expected)}`,
      { section: effect.section },
    );
  }
  if (outcome.failure !== undefined) throw outcome.failure;
  expect(outcome.lost > 0, `${effect.what} was never sent (so its answer could not even be lost): make it, as the exercise asks`, { section: effect.section });
}

/**
 * Copies of one scenario at the same instant, judged by the requests sent as well as by the ledger: a provider's
 * key can absorb a second request that a shared handler let through, and hides it from the ledger, not from its door.
 */
async function concurrentCopiesCheck(ctx: CheckContext, effect: DeclaredEffect, slow: boolean): Promise<void> {
  const id = ctx.id(effect.idPrefix);
  const door = ctx.requests[effect.door];
  const from = door.mark();
  const outcomes = await Promise.allSettled(Array.from({ length: CONCURRENT_COPIES }, () => effect.scenario(ctx, id, slow)));
  const expected = effect.expected ?? 1;
  const made = await effect.made(ctx, id);
  expect(
    made <= expected,
    `${effect.what} was made ${times(made)} for ${CONCURRENT_COPIES} copies of one request arriving together: copies all passed the "done already?" check; ` +
      "keep the check, the effect and the record of it in one exclusive handler of the object the business id names (a shared handler lets copies in at once)",
    { section: "concurrent-duplicates" },
  );
  const sent = door.since(from).filter(isEffectOf(effect, id)).length;
  expect(
    sent <= expected,
    `${effect.what} was sent to the provider ${times(sent)} for ${CONCURRENT_COPIES} copies of one request arriving together (the provider's key hid the extra ones in its ledger): ` +
      "each copy that gets past your check sends it again; keep the check and the effect in one exclusive handler, so the copies after the first find it done",
    { section: "concurrent-duplicates" },
  );
  const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected").map((outcome) => outcome.reason);
  if (failures.length > 0) throw failures.find((failure) => failure instanceof ScenarioTooSlow) ?? failures[0];
}

/** One check per (fault kind, declared effect). */
export function faultMatrix(effects: DeclaredEffect[], kinds: readonly FaultKind[] = FAULT_KINDS): Check[] {
  return kinds.flatMap((kind) =>
    effects.map(
      (effect): Check => ({
        id: `${kind}:${effect.id}`,
        name: FAULTS[kind].name(effect),
        section: kind === "concurrent-copies" ? "concurrent-duplicates" : effect.section,
        timeoutMs: effect.timeoutMs,
        run: (ctx) =>
          withSlowRetry(ctx, (slow) => (kind === "concurrent-copies" ? concurrentCopiesCheck(ctx, effect, slow) : lostAnswerCheck(ctx, effect, FAULTS[kind], slow))),
      }),
    ),
  );
}
