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
// providers', stay as they are.
import { type Check, type CheckContext, type Section, expect, times } from "./check.js";
import type { SeenRequest } from "./request_ledger.js";

export const FAULT_KINDS = ["answer-lost", "endpoint-restarted", "clock-jumped"] as const;
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
   * body (its reference, an address). It asserts the flow's own answer (the report, the status).
   */
  scenario(ctx: CheckContext, id: string): Promise<void>;
  /** How many times the provider's ledger holds the effect for `id`. */
  made(ctx: CheckContext, id: string): Promise<number>;
  /** Default 1. */
  expected?: number;
  /** Default 45 s. */
  timeoutMs?: number;
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

/** One check per (fault kind, declared effect). */
export function faultMatrix(effects: DeclaredEffect[], kinds: readonly FaultKind[] = FAULT_KINDS): Check[] {
  return kinds.flatMap((kind) =>
    effects.map(
      (effect): Check => ({
        id: `${kind}:${effect.id}`,
        name: FAULTS[kind].name(effect),
        section: effect.section,
        timeoutMs: effect.timeoutMs,
        async run(ctx) {
          const id = ctx.id(effect.idPrefix);
          const fault = FAULTS[kind];
          let restarted: Promise<void> | undefined;
          const armed = ctx.requests[effect.door].loseAnswers({
            matches: (request) => request.path.includes(effect.path) && (effect.matches ? effect.matches(request, id) : request.body.includes(id)),
            onLost:
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
                  },
          });
          let scenarioFailure: unknown;
          try {
            await effect.scenario(ctx, id);
          } catch (error) {
            scenarioFailure = error;
          } finally {
            armed.disarm();
            await restarted?.catch(() => undefined); // the checker puts the clock back before a check of another kind
          }
          // The provider's ledger first: an effect made twice explains whatever else went wrong.
          if (armed.lost() > 0) {
            const made = await effect.made(ctx, id);
            const expected = effect.expected ?? 1;
            expect(
              made === expected,
              made > expected ? fault.repeated(effect, made) : `${effect.what} is in the provider's ledger ${times(made)}, expected ${times(expected)}`,
              { section: effect.section },
            );
          }
          if (scenarioFailure !== undefined) throw scenarioFailure;
          expect(armed.lost() > 0, `${effect.what} was never sent (so its answer could not even be lost): make it, as the exercise asks`, { section: effect.section });
        },
      }),
    ),
  );
}
