// What a check is, and how it says what is wrong: in a learner's words, with
// the section of the chapter that teaches the missing behaviour.
import type { MockGatewayClient } from "../../code/mock_admin_client.js";
import type { MockInventoryClient, MockMailerClient, MockTopUpClient } from "../../exercises/support/mock_clients.js";
import type { EndpointDoor } from "./endpoint_door.js";
import type { RequestLedger } from "./request_ledger.js";
import type { RestateCalls } from "./restate.js";

/** The chapters' folder: a hint links the section of the chapter that teaches what it checks. */
export const CHAPTERS_DIR = "modules/07-idempotency";

/** Each concept section a hint can link, as a GitHub-style anchor, and the chapter file it is a heading of. */
export const SECTIONS = {
  "what-idempotency-means": "02-keys.md",
  "at-least-once-delivery-exactly-once-processing": "02-keys.md",
  "the-side-effect-and-the-state-commit-together": "02-keys.md",
  "restates-three-tools": "02-keys.md",
  "business-identity-the-leaderboard": "03-identity.md",
  "choosing-idempotency-keys": "03-identity.md",
  "key-reuse-with-a-different-payload": "03-identity.md",
  "retention-how-long-a-key-is-remembered": "03-identity.md",
  "anti-patterns": "03-identity.md",
  "remembering-failures": "04-failures.md",
  "concurrent-duplicates": "04-failures.md",
  "reordering-the-shootingrange": "05-reordering.md",
  "non-determinism-random-numbers-uuids-clocks": "05-reordering.md",
  "batch-idempotency": "06-batches-and-workflows.md",
  "workflows-and-tasks": "06-batches-and-workflows.md",
} as const;
export type Section = keyof typeof SECTIONS;

export const sectionLink = (section: Section) => `${CHAPTERS_DIR}/${SECTIONS[section]}#${section}`;

export interface StartOptions {
  /** How far ahead of the real time the process's clock runs (a day: 86_400_000); default 0. */
  clockShiftMs?: number;
}

/** A process the checker started for the exercise (its endpoint, an app) and can crash and start again. */
export interface RestartableProcess {
  readonly url: string;
  /** SIGKILL: a crash, as far as anyone can tell. */
  kill(): Promise<void>;
  /** `clockShiftMs`: the new process's clock runs that far ahead (Date.now, new Date), until the next start without it. */
  start(options?: StartOptions): Promise<void>;
  /** kill() then start(), same port. */
  restart(options?: StartOptions): Promise<void>;
  /** How far ahead the running process's clock is (0 but after a clock-jump check). */
  readonly clockShiftMs: number;
  /** The check arranged for the process to end on its own (exercise 8 crashes it after a commit): not the learner's exit. */
  expectExit(): void;
}

export interface CheckContext {
  restate: RestateCalls;
  gateway: MockGatewayClient;
  inventory: MockInventoryClient;
  mailer: MockMailerClient;
  topups: MockTopUpClient;
  /** The POSTs (side effects) the learner's code sent to the gateway and to the providers, counted at their door. */
  requests: { gateway: RequestLedger; providers: RequestLedger };
  /** The learner's services' endpoint (the exercise's endpoint.ts). */
  endpoint: RestartableProcess;
  /** The invocations restate-server delivered to the endpoint, when the exercise asks for its door (ExerciseDefinition.endpointDoor). */
  delivered?: EndpointDoor;
  /** Extra processes an exercise declares (exercise 4's express apps), by name. */
  apps: Record<string, RestartableProcess>;
  /** The folder with the implementation under test, e.g. /repo/exercises/03-email-dedup. */
  implementationDir: string;
  /** An id nobody used before on this restate-server: `prefix-<run>-<n>`. */
  id(prefix: string): string;
  /** A detail for --verbose. */
  note(line: string): void;
}

export interface Check {
  /** Stable, for tests: which checks fail on the starter. */
  id: string;
  /** The behaviour, as the learner reads it next to ✓ or ✗. */
  name: string;
  /** Where the chapter teaches it (a failure may name another). */
  section: Section;
  run(ctx: CheckContext): Promise<void>;
  /** Default 45 s. */
  timeoutMs?: number;
}

/** A diagnosed failure: `message` is the one-line hint the learner sees. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly section?: Section,
    /** More for --verbose (bodies, ledgers). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "CheckFailure";
  }
}

export function fail(message: string, options: { section?: Section; detail?: unknown } = {}): never {
  const detail = options.detail === undefined ? undefined : typeof options.detail === "string" ? options.detail : JSON.stringify(options.detail, null, 2);
  throw new CheckFailure(message, options.section, detail);
}

/** Fails with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string, options: { section?: Section; detail?: unknown } = {}): asserts condition {
  if (!condition) fail(message, options);
}

export const times = (n: number) => (n === 1 ? "once" : `${n} times`);
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `read` returns something `done` accepts, or the deadline; returns the last value read. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}

/**
 * The checker replays every handler after each step (checker/lib/replay.ts): a side effect outside ctx.run is
 * sent again by every replay. Fails unless `what` was asked exactly `expected` times at the provider's door.
 */
export function expectAskedOnce(asked: number, what: string, options: { expected?: number; why?: string; section?: Section } = {}): void {
  const expected = options.expected ?? 1;
  if (asked !== expected) throw new RepeatedSideEffect(repeatedSideEffectHint(what, asked, expected, options.why), options.section ?? "restates-three-tools");
}

/** Seen at the provider's door, so it outranks whatever else the check saw (a journal mismatch the repeat caused). */
export class RepeatedSideEffect extends CheckFailure {}

export function repeatedSideEffectHint(what: string, asked: number, expected = 1, why = REPLAYED_SIDE_EFFECT): string {
  return `${what} was sent ${times(asked)} where ${times(expected)} was expected: ${why}`;
}

const REPLAYED_SIDE_EFFECT = "a replay of the handler sent it again; make it inside ctx.run, so a replay reads its result from the journal instead of sending it";
