// Exercise 6's contract: the ShootingRange and LeaderBoard messages and answers,
// and the rule that judges a shot. The starter, the solution and the checker
// share it, so keep it as it is.
import { z } from "zod";
import { identifier } from "../../code/types.js";

const Position = z.number().int().min(-1_000).max(1_000);

/** The operator moves the target. Versions count up from 1; the range starts at version 0, x = 0. */
export const MoveTarget = z.strictObject({ version: z.number().int().min(1), x: Position });
export type MoveTarget = z.infer<typeof MoveTarget>;

/** A player fires at x, aiming at the target as they saw it: `targetVersion`. */
export const FireAt = z.strictObject({
  shotId: identifier("shotId"),
  player: identifier("player"),
  x: Position,
  targetVersion: z.number().int().min(0),
});
export type FireAt = z.infer<typeof FireAt>;

export type Outcome = "Hit" | "Missed";

export interface ShotResult {
  shotId: string;
  outcome: Outcome;
}

export interface Target {
  version: number;
  x: number;
}

export const INITIAL_TARGET: Target = { version: 0, x: 0 };

/** What the range tells the LeaderBoard about one shot. */
export const RecordOutcome = z.strictObject({ shotId: identifier("shotId"), player: identifier("player"), outcome: z.enum(["Hit", "Missed"]) });
export type RecordOutcome = z.infer<typeof RecordOutcome>;

export interface Scores {
  players: Record<string, { hits: number; misses: number }>;
  /** Every outcome the board counted, oldest first. */
  log: RecordOutcome[];
}

/**
 * The rule: on the target is a Hit; one off grazes it, and a graze is a Hit
 * half of the time (a coin flip with `random`, a number in [0, 1)); further off
 * is Missed.
 */
export function judge(shotX: number, targetX: number, random: () => number): Outcome {
  const distance = Math.abs(shotX - targetX);
  if (distance === 0) return "Hit";
  if (distance === 1) return random() < 0.5 ? "Hit" : "Missed";
  return "Missed";
}
