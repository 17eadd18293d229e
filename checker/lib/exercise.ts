// An exercise, as the checker knows it: where its code lives, which Restate
// services its endpoint must serve, extra processes it needs, and its checks.
import type { Check } from "./check.js";
import type { DeclaredEffect } from "./faults.js";
import type { CheckerStack } from "./stack.js";

/** A process besides the endpoint, started from the implementation folder (exercise 4's express app). */
export interface AppSpec {
  name: string;
  /** File in the exercise folder, e.g. "app.ts"; it must listen on APP_PORT. */
  entry: string;
  /** `dataDir`: a folder of this app's own in the stack's temporary directory, kept across its restarts, removed when it stops. */
  env: (stack: CheckerStack, app: { dataDir: string }) => Record<string, string>;
  /** The app opens a PGlite database in `dataDir`: it is given an initialised one, so that it starts in a second, not after seconds of initdb. */
  pgliteDataDir?: boolean;
  /**
   * Started once the checks are under way, not before the first one: an app only the last checks use starts while
   * the first ones run (they mostly wait), instead of competing with every other process's start. A check that uses
   * it calls `start()` first, which waits for the start under way.
   */
  startLater?: boolean;
}

export interface ExerciseDefinition {
  number: number;
  /** Folder name under exercises/ and solutions/, e.g. "03-email-dedup". */
  folder: string;
  title: string;
  /** Restate services the exercise's endpoint.ts must serve. */
  services: string[];
  apps?: AppSpec[];
  /** The endpoint opens a PGlite database in its EXERCISE_DATA_DIR: it is given an initialised one (see AppSpec). */
  endpointPgliteDataDir?: boolean;
  /** Extra environment of the endpoint, as the exercise's contract names it (exercise 7's short workflow retention). */
  endpointEnv?: Record<string, string>;
  /** restate-server reaches the endpoint through a counting door (endpoint_door.ts): checks read ctx.delivered. */
  endpointDoor?: boolean;
  checks: Check[];
  /** Every side effect the exercise makes at a provider; faultMatrix(effects) is part of `checks`. */
  effects?: DeclaredEffect[];
}
