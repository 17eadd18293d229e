// The checker under broken solutions, run as a learner runs it (a child
// process, `npm run check`): it must never exit 0 without having judged, never
// hang, name the cause in the first line of its hint, and leave no process and
// no temp dir behind, also when it is interrupted. Each case copies a reference
// solution into a scratch folder and breaks it one way.
//
// Every process the checker starts inherits a tag in its environment; the
// processes left are found by that tag (in /proc/<pid>/environ), not by name.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materialize, prepareScratchRoot } from "../../checker/mutants/apply.js";
import type { Patch } from "../../checker/mutants/catalogue.js";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { findExercise } from "../../checker/exercises.js";
import { runExercises } from "../../checker/lib/run.js";
import { startCheckerStack } from "../../checker/lib/stack.js";
import { type ManagedProcess, killGroup, onEverySpawn } from "../../orchestration/processes.js";

/** The checker under test: this repository's, or another checkout's (to measure a case on an older checker). */
const CHECKER = path.join(process.env.CHECKER_UNDER_TEST ?? REPO_ROOT, "checker", "check.ts");
/** A case that takes longer has hung: the checker is stopped and the case fails. */
const HANG_LIMIT_MS = Number(process.env.CHECKER_HANG_LIMIT_MS ?? 150_000);
/** A case may first wait for a free slot (three run at a time). */
const CASE_TIMEOUT_MS = 2 * HANG_LIMIT_MS + 60_000;

interface Verdict {
  /** null: it did not end by itself within HANG_LIMIT_MS, or was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  output: string;
  /** The first line under the first ✗ (or the setup problem's line). */
  hint: string;
  /** PIDs of processes the checker started that still run once it has ended. */
  left: number[];
  /** The checker's temp dirs (and the learner-call scratch dirs) still there once it has ended. */
  tempLeft: string[];
}

let scratch: string;
const tags: string[] = [];

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "checker-robustness-"));
  prepareScratchRoot(scratch);
});

afterAll(() => {
  for (const tag of tags) for (const pid of tagged(tag)) killGroup(pid, "SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

/** PIDs whose environment carries the tag. */
function tagged(tag: string): number[] {
  const marker = `CHECKER_ROBUSTNESS_TAG=${tag}`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(marker);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

async function gone(tag: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = tagged(tag);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs `npm run check -- <exercise> --dir <variant root>` on a copy of the solution with `patches`; `interrupt`, if
 * given, is called with the running checker and its output so far, and may signal it.
 */
async function check(
  variant: string,
  folder: string,
  patches: Patch[],
  interrupt?: (child: ChildProcess, output: () => string) => Promise<void>,
): Promise<Verdict> {
  await slots.acquire();
  try {
    return await checkOnce(variant, folder, patches, interrupt);
  } finally {
    slots.release();
  }
}

/** At most `size` at a time. */
function semaphore(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    acquire: () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve))),
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

const slots = semaphore(3);

async function checkOnce(
  variant: string,
  folder: string,
  patches: Patch[],
  interrupt?: (child: ChildProcess, output: () => string) => Promise<void>,
): Promise<Verdict> {
  const root = materialize(scratch, variant, folder, patches);
  const tag = randomUUID();
  tags.push(tag);
  const temp = mkdtempSync(path.join(scratch, `tmp-${variant}-`));
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...tsxArgs(), CHECKER, folder.slice(0, 2).replace(/^0/, ""), "--dir", root], {
    cwd: REPO_ROOT,
    env: { ...process.env, CHECKER_ROBUSTNESS_TAG: tag, TMPDIR: temp, NO_COLOR: "1", INIT_CWD: REPO_ROOT },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const limit = setTimeout(() => killGroup(child.pid!, "SIGKILL"), HANG_LIMIT_MS);
  try {
    if (interrupt) await interrupt(child, () => output);
    const { code, signal } = await exited;
    const seconds = (performance.now() - startedAt) / 1000;
    const left = await gone(tag, 3_000);
    for (const pid of left) killGroup(pid, "SIGKILL");
    const tempLeft = readdirSync(temp).filter((entry) => /^(idempotency-|learner-call-)/.test(entry));
    const lines = output.split("\n");
    // A failed check's hint is the line under its ✗ (indented 6); a setup problem is the ✗ line itself.
    const failure = lines.findIndex((line) => /^\s+✗ /.test(line));
    const below = lines[failure + 1] ?? "";
    const hint = failure < 0 ? "" : /^ {6}\S/.test(below) ? below.trim() : lines[failure]!.trim().replace(/^✗ /, "");
    // For the record (and the benchmark's reader): what a learner would have seen, and when.
    console.log(`${variant}: exit ${code ?? signal} after ${seconds.toFixed(1)} s, ${left.length} processes and ${tempLeft.length} temp dirs left; ${hint}`);
    return { code, signal, seconds, output, hint, left, tempLeft };
  } finally {
    clearTimeout(limit);
  }
}

function explain(verdict: Verdict): string {
  return `exit ${verdict.code ?? verdict.signal} after ${verdict.seconds.toFixed(1)} s, ${verdict.left.length} processes left, hint: ${verdict.hint}\n${verdict.output.slice(-3_000)}`;
}

/** Nothing left running, no temp dir left: the guarantees of every case. */
function expectClean(verdict: Verdict): void {
  expect(verdict.left, `processes left running: ${explain(verdict)}`).toEqual([]);
  expect(verdict.tempLeft, `temp dirs left: ${explain(verdict)}`).toEqual([]);
}

const REFUNDS = "02-refunds";
const REFUNDS_FILE = "payments.ts";
const WORKFLOWS = "07-workflow-keys";
const REFUND_HANDLER_START = "const paymentId = ctx.key;\n        const payment = await ctx.get(\"payment\");";

// Most of a case is waiting (for a deadline, a port, a handler): three checkers at a time.
describe.skipIf(!existsSync("/proc/self/environ"))("the checker under broken solutions", { concurrent: true }, () => {
  it("a process.exit(0) at import time in exercise 7's enqueue.ts fails the checks, exit 1, naming the exit", async () => {
    const verdict = await check("exit-at-import", WORKFLOWS, [
      { file: "enqueue.ts", find: "import * as clients", replace: "process.exit(0);\nimport * as clients" },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^enqueue\.ts could not be loaded: importing it exited its process with code 0/);
    expectRestNotRun(verdict.output, "the checks after it would only meet the same exit");
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("an endless loop in exercise 7's payloadKey fails within its deadline, the run ends, exit 1", async () => {
    const verdict = await check("endless-key", WORKFLOWS, [
      { file: "keys.ts", find: "export function payloadKey(payload: unknown): string {", replace: "export function payloadKey(payload: unknown): string {\n  for (;;);" },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^enqueueExport threw: enqueue\.ts's enqueueExport did not finish within \d+ s: an endless loop/);
    expectRestNotRun(verdict.output, "the checks after it wait for it no more");
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("a type error fails before any check runs, naming file:line", async () => {
    const verdict = await check("type-error", REFUNDS, [
      { file: REFUNDS_FILE, find: "const gateway = new GatewayClient", replace: 'export const wrong: number = "ten";\nconst gateway = new GatewayClient' },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^your code does not type-check \(1 error\): .*02-refunds\/payments\.ts:\d+:\d+ TS2322/);
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("a syntax error names file:line without --verbose", async () => {
    const verdict = await check("syntax-error", REFUNDS, [{ file: REFUNDS_FILE, find: "const gateway = new GatewayClient", replace: "const broken = ;\nconst gateway = new GatewayClient" }]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^your code does not type-check \(\d errors?\): .*02-refunds\/payments\.ts:\d+:\d+ TS1109/);
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("a process.exit(0) in a handler is named as the endpoint's exit, with its log, and ends the run", async () => {
    const verdict = await check("exit-in-handler", REFUNDS, [
      { file: REFUNDS_FILE, find: REFUND_HANDLER_START, replace: `console.log("refund: leaving now");\n        if (request.amount > 0) process.exit(0);\n        ${REFUND_HANDLER_START}` },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^your endpoint exited with code 0 during this check/);
    expect(verdict.output, "the endpoint's log, without --verbose").toMatch(/> .*refund: leaving now/);
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("an endpoint on a port of its own: says which port it must listen on, and shows its log", async () => {
    const verdict = await check("fixed-port", REFUNDS, [
      {
        file: "endpoint.ts",
        create: [
          'import "core-js/actual/promise/with-resolvers.js";',
          'import * as http2 from "node:http2";',
          'import type { AddressInfo } from "node:net";',
          'import * as restate from "@restatedev/restate-sdk";',
          'import { payments } from "./payments.js";',
          "// A port of its own (0: any free one) instead of SERVICE_PORT.",
          "const server = http2.createServer(restate.createEndpointHandler({ services: [payments] }));",
          'server.listen(0, "127.0.0.1", () => console.log(`refunds endpoint listening on port ${(server.address() as AddressInfo).port}`));',
        ].join("\n"),
      },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^your endpoint did not start: it did not listen on port \d+ \(SERVICE_PORT\)/);
    expect(verdict.output, "the endpoint's own log, without --verbose").toMatch(/refunds endpoint listening on port \d+/);
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("a handler that never answers fails in its own check, and the checks after it are not run", async () => {
    const verdict = await check("never-answers", REFUNDS, [
      { file: REFUNDS_FILE, find: REFUND_HANDLER_START, replace: `await new Promise(() => {});\n        ${REFUND_HANDLER_START}` },
    ]);
    expect(verdict.code, explain(verdict)).toBe(1);
    expect(verdict.hint, explain(verdict)).toMatch(/^Payments\/\S+\/refund never answered: it has been running for \d+ s without taking a step/);
    expectRestNotRun(verdict.output, "the checks after it are not run");
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);

  it("SIGTERM while a check runs: the checker stops everything it started, removes its temp dir, exits 143", async () => {
    const verdict = await check(
      "interrupted",
      REFUNDS,
      [{ file: REFUNDS_FILE, find: REFUND_HANDLER_START, replace: `await new Promise(() => {});\n        ${REFUND_HANDLER_START}` }],
      async (child, output) => {
        const deadline = Date.now() + 60_000;
        while (!/starting your endpoint/.test(output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // into the first check, its endpoint up
        child.kill("SIGTERM");
      },
    );
    expect(verdict.code ?? verdict.signal, explain(verdict)).toBe(143);
    expectClean(verdict);
  }, CASE_TIMEOUT_MS);
});

describe("stopping the checker's stack while a run goes on (a test hook that timed out)", () => {
  it("stops the run's endpoint, starts nothing more, and leaves no process and no temp dir", async () => {
    const spawned: ManagedProcess[] = [];
    let recording = true;
    onEverySpawn((process) => recording && spawned.push(process));
    const stack = await startCheckerStack();
    try {
      const hanging = materialize(scratch, "stopped-hanging", REFUNDS, [
        { file: REFUNDS_FILE, find: REFUND_HANDLER_START, replace: `await new Promise(() => {});\n        ${REFUND_HANDLER_START}` },
      ]);
      const next = materialize(scratch, "stopped-next", REFUNDS, []);
      const exercise = findExercise(REFUNDS)!;
      const events: string[] = [];
      const reports = runExercises(
        stack,
        [
          { exercise, implementationRoot: hanging },
          { exercise, implementationRoot: next },
        ],
        { onEvent: (event) => events.push(event.type) },
      );
      // Watched from the start: a run may fail while the stack stops (its provider gone), before the race below looks.
      const allSettled = Promise.allSettled(reports);
      // Stopped while the first run's check waits for its handler (and the second run's endpoint starts meanwhile).
      const deadline = Date.now() + 60_000;
      while (!events.includes("exercise") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await stack.stop();
      const runningAtStop = spawned.filter((process) => !process.hasExited()).map((process) => `${process.name} (${process.pid})`);
      expect(runningAtStop, "processes still running once stop() has resolved").toEqual([]);
      const settled = await Promise.race([
        allSettled,
        new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 60_000)),
      ]);
      expect(settled, "the runs end once their stack is stopped").not.toBe("still running");
      recording = false;
      const running = spawned.filter((process) => !process.hasExited()).map((process) => `${process.name} (${process.pid})`);
      expect(running, "processes the runs started, still running after stop()").toEqual([]);
      expect(existsSync(stack.dir), "the stack's temp dir").toBe(false);
    } finally {
      recording = false;
      await stack.stop();
      for (const process of spawned) await process.kill();
    }
  }, 150_000);
});

/** The run ended early: some checks were judged, the rest are named as not run, and together they are every check. */
function expectRestNotRun(output: string, why: string): void {
  const notRun = Number(/(\d+) more checks? not run/.exec(output)?.[1] ?? 0);
  const judged = output.split("\n").filter((line) => /^\s*[✓✗] /.test(line)).length;
  const [, passed, failed] = /(\d+) passed, (\d+) failed/.exec(output) ?? [];
  expect(notRun, `${why}:\n${output}`).toBeGreaterThan(0);
  expect(judged + notRun, `${why}: every check judged or named as not run\n${output}`).toBe(Number(passed) + Number(failed));
}
