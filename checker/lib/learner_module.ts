// The learner's modules that the checks call like an application would
// (exercise 7's keys.ts and enqueue.ts), each call run in a child process with
// a deadline: a `process.exit` at import, an endless loop or a crash ends or
// blocks that child, never the checker, and is reported as what it is.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { spawnManaged } from "../../orchestration/processes.js";
import { scratchDir } from "./scratch.js";

const CALLER = path.join(REPO_ROOT, "checker", "lib", "learner_call.ts");

let hungOrExited = 0;

/**
 * How many calls so far have missed their deadline or ended their process: a check may wrap the error in its own
 * words, and the run still learns that the learner's code hangs or exits (the checks after it would only meet the
 * same).
 */
export const callsHungOrExited = () => hungOrExited;

/** The learner's function did not return (or its module did not load) within its deadline. */
export class NeverReturned extends Error {
  constructor(
    readonly what: string,
    readonly deadlineMs: number,
  ) {
    hungOrExited++;
    super(`${what} did not finish within ${deadlineMs / 1000} s: an endless loop, or something it waits for that never comes?`);
    this.name = "NeverReturned";
  }
}

/** The child ended without an answer: the learner's code called process.exit, or crashed. */
export class LearnerCodeExited extends Error {
  constructor(what: string, code: number | null, signal: string | null, output: string) {
    hungOrExited++;
    const how = signal ? `ended its process with ${signal}` : `exited its process with code ${code}`;
    super(`${what} ${how} before returning (a process.exit in your code?)${output ? `; its last output: ${lastLines(output, 3)}` : ""}`);
    this.name = "LearnerCodeExited";
  }
}

/** The module threw: at import, or from the function called. */
export class LearnerCodeThrew extends Error {
  constructor(readonly what: string, readonly thrown: string) {
    super(`${what} threw: ${thrown.split("\n")[0]}`);
    this.name = "LearnerCodeThrew";
  }
}

type Answer = { loaded?: string[]; result?: unknown; error?: string };

interface CallOptions {
  /** For messages: "keys.ts", "enqueueInvoice". */
  what: string;
  deadlineMs: number;
}

const exportsSeen = new Map<string, string[]>();

/** Imports `file` in a child process and lists its function exports (once per version of the file: a child costs ~0.5 s). */
export async function exportedFunctions(file: string, deadlineMs: number): Promise<string[]> {
  const { mtimeMs, size } = statSync(file);
  const version = `${file}@${mtimeMs}:${size}`;
  const seen = exportsSeen.get(version);
  if (seen) return seen;
  const answers = await callAsync(file, undefined, [], { what: "importing it", deadlineMs });
  exportsSeen.set(version, answers.loaded ?? []);
  return answers.loaded ?? [];
}

/** Calls `name(...args)` from `file` in a child process; the arguments and the result go as JSON. */
export async function callAsync(file: string, name: string | undefined, args: unknown[], options: CallOptions): Promise<Answer> {
  const scratch = scratchDir("learner-call-");
  const answerFile = path.join(scratch.path, "answer");
  const child = spawnManaged(`${options.what}`, process.execPath, [...tsxArgs(), CALLER, file, ...(name === undefined ? [] : [name, JSON.stringify(args)])], {
    output: { kind: "file", path: path.join(scratch.path, "output.log") },
    env: { LEARNER_CALL_ANSWER: answerFile },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), options.deadlineMs)));
    const ended = await Promise.race([child.exited, deadline]);
    if (ended === "deadline") throw new NeverReturned(options.what, options.deadlineMs);
    return judge(readAnswers(answerFile), name, options.what, ended.code, ended.signal, child.recentOutput());
  } finally {
    clearTimeout(timer);
    await child.kill();
    scratch.remove();
  }
}

/**
 * The same, blocking: for functions the checks use as plain values (a key function returns a string). The
 * checker waits at most `deadlineMs`, then the child is killed.
 */
export function callSync(file: string, name: string, args: unknown[], options: CallOptions): unknown {
  const scratch = scratchDir("learner-call-");
  const answerFile = path.join(scratch.path, "answer");
  try {
    const run = spawnSync(process.execPath, [...tsxArgs(), CALLER, file, name, JSON.stringify(args)], {
      cwd: REPO_ROOT,
      env: { ...process.env, LEARNER_CALL_ANSWER: answerFile },
      timeout: options.deadlineMs,
      killSignal: "SIGKILL",
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    if (run.error && (run.error as NodeJS.ErrnoException).code === "ETIMEDOUT") throw new NeverReturned(options.what, options.deadlineMs);
    return judge(readAnswers(answerFile), name, options.what, run.status, run.signal, `${run.stdout ?? ""}${run.stderr ?? ""}`).result;
  } finally {
    scratch.remove();
  }
}

function judge(answers: Answer, name: string | undefined, what: string, code: number | null, signal: string | null, output: string): Answer {
  if (answers.error !== undefined) throw new LearnerCodeThrew(answers.loaded ? what : "importing it", answers.error);
  if (name === undefined ? answers.loaded === undefined : !("result" in answers)) throw new LearnerCodeExited(what, code, signal, output.trim());
  return answers;
}

function readAnswers(file: string): Answer {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {};
  }
  return Object.assign({}, ...text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Answer));
}

const lastLines = (text: string, count: number) => text.split("\n").slice(-count).join(" | ").slice(0, 300);
