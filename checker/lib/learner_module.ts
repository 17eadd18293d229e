// The learner's modules that the checks call like an application would
// (exercise 7's keys.ts and enqueue.ts), each call run in a child process with
// a deadline: a `process.exit` at import, an endless loop or a crash ends or
// blocks that child, never the checker, and is reported as what it is.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { type ManagedProcess, spawnManaged } from "../../orchestration/processes.js";
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

/**
 * One child per version of a module file, kept while the checks call it (a child costs ~0.5 s to start): it imports
 * the module once, as an application would, and answers calls over IPC. A call that misses its deadline, or a child
 * that exits, ends it; the next call starts another. Idle for IDLE_MS, it is stopped; the checker's exit stops it too
 * (orchestration/processes.ts).
 */
class ModuleHost {
  private readonly pending = new Map<number, { resolve: (answer: Answer) => void; what: string }>();
  private nextId = 0;
  private idle?: NodeJS.Timeout;
  private readonly child: ManagedProcess;
  private readonly scratch = scratchDir("learner-call-");
  readonly ready: Promise<string[]>;

  constructor(
    file: string,
    private readonly version: string,
    loadDeadlineMs: number,
  ) {
    let loaded: (answer: Answer) => void = () => {};
    const answered = new Promise<Answer>((resolve) => (loaded = resolve));
    this.child = spawnManaged(`learner module ${path.basename(file)}`, process.execPath, [...tsxArgs(), CALLER, file], {
      output: { kind: "file", path: path.join(this.scratch.path, "output.log") },
      onMessage: (message) => {
        const answer = message as Answer & { id?: number };
        if (answer.id === undefined) return loaded(answer);
        this.pending.get(answer.id)?.resolve(answer);
        this.pending.delete(answer.id);
      },
    });
    this.ready = this.await(answered, "importing it", loadDeadlineMs).then((answer) => {
      if (answer.error !== undefined) throw new LearnerCodeThrew("importing it", answer.error);
      return answer.loaded ?? [];
    });
    this.ready.catch(() => this.close());
  }

  async call(name: string, args: unknown[], options: CallOptions): Promise<unknown> {
    await this.ready;
    clearTimeout(this.idle);
    const id = this.nextId++;
    const answered = new Promise<Answer>((resolve) => this.pending.set(id, { resolve, what: options.what }));
    this.child.send({ id, name, args });
    try {
      const answer = await this.await(answered, options.what, options.deadlineMs);
      if (answer.error !== undefined) throw new LearnerCodeThrew(options.what, answer.error);
      return answer.result;
    } catch (error) {
      if (!(error instanceof LearnerCodeThrew)) this.close();
      throw error;
    } finally {
      if (this.pending.size === 0 && hosts.get(this.version) === this) this.idle = setTimeout(() => this.close(), IDLE_MS).unref();
    }
  }

  /** The answer, or NeverReturned at the deadline, or LearnerCodeExited if the child ends first. */
  private async await(answered: Promise<Answer>, what: string, deadlineMs: number): Promise<Answer> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), deadlineMs)));
    try {
      const exit = this.child.exited.then((ended) => ({ ended }));
      const first = await Promise.race([answered.then((answer) => ({ answer })), exit, deadline]);
      if (first === "deadline") throw new NeverReturned(what, deadlineMs);
      if ("ended" in first) throw new LearnerCodeExited(what, first.ended.code, first.ended.signal, this.child.recentOutput().trim());
      return first.answer;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    clearTimeout(this.idle);
    if (hosts.get(this.version) === this) hosts.delete(this.version);
    void this.child.kill().finally(() => this.scratch.remove());
  }
}

/** How long a module's child waits for the next call before it is stopped. */
const IDLE_MS = 10_000;
const hosts = new Map<string, ModuleHost>();

function hostFor(file: string, loadDeadlineMs: number): ModuleHost {
  const { mtimeMs, size } = statSync(file);
  const version = `${file}@${mtimeMs}:${size}`;
  let host = hosts.get(version);
  if (!host) {
    host = new ModuleHost(file, version, loadDeadlineMs);
    hosts.set(version, host);
  }
  return host;
}

/** Imports `file` in a child process (or finds the child that has) and lists its function exports. */
export function exportedFunctions(file: string, deadlineMs: number): Promise<string[]> {
  return hostFor(file, deadlineMs).ready;
}

/** Calls `name(...args)` from `file` in its child process; the arguments and the result go as JSON. */
export function callAsync(file: string, name: string, args: unknown[], options: CallOptions): Promise<unknown> {
  return hostFor(file, options.deadlineMs).call(name, args, options);
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
