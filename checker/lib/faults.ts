// The checker's fault matrix: fault kinds × the side effects an exercise
// declares. Each exercise lists every effect it makes at a provider (the
// compensations and refunds too, not only the first call of the happy path),
// and faultMatrix turns each (kind, effect) pair into a check, so a new effect
// is checked under every fault as soon as it is declared.
//
// Only "answer lost" is implemented: the provider does the work and the caller
// never hears of it, the one case a client cannot tell from "nothing happened".
// Planned kinds (endpoint restart mid-effect, a clock jump, colliding ids) plug
// in as further entries of FAULTS.
import { type Check, type CheckContext, type Section, expect, times } from "./check.js";
import type { ArmedAnswerLoss, SeenRequest } from "./request_ledger.js";

export const FAULT_KINDS = ["answer-lost"] as const;
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
  /** Switches the fault on for this effect only; the check disarms it afterwards. */
  arm(ctx: CheckContext, effect: DeclaredEffect, id: string): ArmedAnswerLoss;
  /** The fault did not happen: the effect was never made (an exercise that leaves it out). */
  neverReached(effect: DeclaredEffect): string;
  /** The effect was made a wrong number of times after the fault. */
  wrongCount(effect: DeclaredEffect, made: number, expected: number): string;
}

const FAULTS: Record<FaultKind, FaultKindSpec> = {
  "answer-lost": {
    name: (effect) => `answer lost: ${effect.what} is made, its answer never arrives; the retry makes nothing more`,
    arm: (ctx, effect, id) =>
      ctx.requests[effect.door].loseAnswers({
        matches: (request) => request.path.includes(effect.path) && (effect.matches ? effect.matches(request, id) : request.body.includes(id)),
      }),
    neverReached: (effect) => `${effect.what} was never sent (so its lost answer could not even happen): make it, as the exercise asks`,
    wrongCount: (effect, made, expected) =>
      made > expected
        ? `${effect.what} was made ${times(made)} after its answer was lost: the retry sent it as a new request; ` +
          "make it inside ctx.run with a provider key derived from the business id (never random, never per attempt), so the provider recognises the retry"
        : `${effect.what} is in the provider's ledger ${times(made)}, expected ${times(expected)}`,
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
          const armed = FAULTS[kind].arm(ctx, effect, id);
          let scenarioFailure: unknown;
          try {
            await effect.scenario(ctx, id);
          } catch (error) {
            scenarioFailure = error;
          } finally {
            armed.disarm();
          }
          // The provider's ledger first: an effect made twice explains whatever else went wrong.
          if (armed.lost() > 0) {
            const made = await effect.made(ctx, id);
            const expected = effect.expected ?? 1;
            expect(made === expected, FAULTS[kind].wrongCount(effect, made, expected), { section: effect.section });
          }
          if (scenarioFailure !== undefined) throw scenarioFailure;
          expect(armed.lost() > 0, FAULTS[kind].neverReached(effect), { section: effect.section });
        },
      }),
    ),
  );
}
