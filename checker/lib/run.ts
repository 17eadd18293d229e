// One exercise against one implementation folder: start its endpoint (and
// apps), register it with the stack's restate-server, run the checks one by one,
// clean up. Failures become one-line hints, never stack traces (those go to
// `detail`, shown with --verbose).
import { appendFileSync, existsSync, rmSync } from "node:fs";
import * as path from "node:path";
import { type EndpointProcess, registerDeployment, startEndpoint } from "../../orchestration/parts.js";
import { preparePgliteDataDir } from "../../orchestration/pglite_template.js";
import { NO_FAULTS } from "../../code/mock_provider.js";
import { type Check, type CheckContext, CheckFailure, RepeatedSideEffect, type RestartableProcess, type Section, type StartOptions, repeatedSideEffectHint } from "./check.js";
import { type EndpointDoor, startEndpointDoor } from "./endpoint_door.js";
import type { AppSpec, ExerciseDefinition } from "./exercise.js";
import { type JournalMismatch, journalMismatchesSince, logEnd, mismatchHint, mismatchSection, nonDeterministicSource } from "./replay.js";
import { type SeenRequest, repeatedAfterAnswer } from "./request_ledger.js";
import { LearnerCodeExited, NeverReturned, callsHungOrExited } from "./learner_module.js";
import { NoAnswer, StuckInvocation, Unresponsive } from "./restate.js";
import type { CheckerStack } from "./stack.js";

export type ResultKind = "passed" | "failed" | "error" | "not-run";

export interface CheckResult {
  id: string;
  name: string;
  kind: ResultKind;
  /** For anything but "passed": what to do, in one line. */
  hint?: string;
  section: Section;
  /** For --verbose. */
  detail?: string;
  durationMs: number;
  /** A provider was asked more often than the behaviour allows: a journal mismatch must not replace this hint. */
  repeatedSideEffect?: boolean;
  /** Shown under the hint even without --verbose: the last lines of the log of a process that exited. */
  evidence?: string;
  /** The learner's code exited or hangs: the checks after this one are not run (they would only wait for it). */
  endsRun?: boolean;
}

export interface ExerciseReport {
  exercise: ExerciseDefinition;
  dir: string;
  results: CheckResult[];
  /** Set when the checks could not run at all (no folder, the endpoint did not start, ...). */
  setupProblem?: string;
  /** The endpoint's log, for --verbose (or the log the setup problem is about). */
  endpointLog: string;
  /** Whose log `endpointLog` is, when it is not the endpoint's ("the app's log"). */
  logOf?: string;
}

export type RunEvent =
  | { type: "exercise"; exercise: ExerciseDefinition; dir: string }
  | { type: "progress"; line: string }
  | { type: "check"; result: CheckResult }
  | { type: "done"; report: ExerciseReport };

export interface RunOptions {
  onEvent?: (event: RunEvent) => void;
  /**
   * Ends the run after a check whose result this returns true for; the rest are not run. The mutant catalogue uses it:
   * a wrong solution is caught as soon as one check fails as expected, and need not wait through the others.
   */
  stopAfter?: (result: CheckResult) => boolean;
}

const DEFAULT_CHECK_TIMEOUT_MS = 45_000;
/** How long startEndpoint waits for a process to listen (orchestration/processes.ts's waitFor default). */
const ENDPOINT_START_S = 30;
/** Lines of a log shown under a hint about the process that wrote it. */
const EVIDENCE_LINES = 12;

/** One exercise against the implementation in `implementationRoot/<exercise folder>`. */
export async function runExercise(
  stack: CheckerStack,
  exercise: ExerciseDefinition,
  implementationRoot: string,
  options: RunOptions = {},
): Promise<ExerciseReport> {
  return execute(stack, exercise, implementationRoot, prepare(stack, exercise, implementationRoot), options);
}

async function execute(
  stack: CheckerStack,
  exercise: ExerciseDefinition,
  implementationRoot: string,
  preparing: Promise<Prepared>,
  options: RunOptions,
): Promise<ExerciseReport> {
  const report = await checkPrepared(stack, exercise, implementationRoot, preparing, options);
  options.onEvent?.({ type: "done", report });
  return report;
}

/**
 * Several runs, one after the other (they share the gateway's and providers'
 * faults, and a service name can only point at one deployment at a time), but
 * each run's processes start while the previous run's checks are going on.
 * Returns one promise per run, in order.
 */
export function runExercises(
  stack: CheckerStack,
  runs: { exercise: ExerciseDefinition; implementationRoot: string; stopAfter?: RunOptions["stopAfter"] }[],
  options: RunOptions = {},
): Promise<ExerciseReport>[] {
  const prepared = new Map<number, Promise<Prepared>>();
  const prepareRun = (index: number) => {
    const run = runs[index];
    if (run && !prepared.has(index)) prepared.set(index, prepare(stack, run.exercise, run.implementationRoot));
  };
  let previous: Promise<unknown> = Promise.resolve();
  return runs.map((run, index) => {
    const report = previous.then(() => {
      prepareRun(index);
      prepareRun(index + 1);
      return execute(stack, run.exercise, run.implementationRoot, prepared.get(index)!, run.stopAfter ? { ...options, stopAfter: run.stopAfter } : options);
    });
    previous = report;
    return report;
  });
}

/** The processes of a run, started but not yet registered with restate-server. */
interface Prepared {
  processes: ManagedApp[];
  endpoint?: ManagedApp;
  apps: Record<string, RestartableProcess>;
  problem?: string;
  /** The log of the process the problem is about, shown with it. */
  problemLog?: string;
}

async function prepare(stack: CheckerStack, exercise: ExerciseDefinition, implementationRoot: string): Promise<Prepared> {
  const dir = path.resolve(implementationRoot, exercise.folder);
  const entry = path.join(dir, "endpoint.ts");
  const prepared: Prepared = { processes: [], apps: {} };
  if (!existsSync(dir)) {
    return { ...prepared, problem: `there is no folder ${dir}; copy exercises/${exercise.folder} there, or point --dir at the folder that holds it` };
  }
  if (!existsSync(entry)) {
    return { ...prepared, problem: `there is no ${path.join(exercise.folder, "endpoint.ts")} in ${implementationRoot}: it is the file the checker starts` };
  }
  const logName = logNameOf(exercise, implementationRoot);
  // A folder of the endpoint's own (exercise 8's database), kept across its restarts, removed when it stops.
  const endpointData = path.join(stack.dir, `${logName}-data`);
  const endpoint = new ManagedApp(
    stack,
    "your endpoint",
    await stack.port(),
    async (port, options) => {
      if (exercise.endpointPgliteDataDir) await preparePgliteDataDir(endpointData, { log: (line) => appendFileSync(stack.logPath(logName), `${line}\n`) });
      return startEndpoint({
        port,
        entry,
        gatewayUrl: stack.urls.gateway,
        output: { kind: "file", path: stack.logPath(logName) },
        env: { ...endpointEnv(stack), ...exercise.endpointEnv, EXERCISE_DATA_DIR: endpointData, ...shiftedClockEnv(options.clockShiftMs ?? 0) },
      });
    },
    endpointData,
    logName,
  );
  prepared.processes.push(endpoint);
  prepared.endpoint = endpoint;
  const apps = await Promise.all((exercise.apps ?? []).map((spec) => appProcess(stack, spec, dir, `${logName}-${spec.name.replaceAll(" ", "-")}`)));
  prepared.processes.push(...apps);
  const startNow = apps.filter((app) => !app.startLater);
  const launches = await Promise.allSettled([endpoint.start(), ...startNow.map((app) => app.start())]);
  const failed = launches.findIndex((launch) => launch.status === "rejected");
  if (failed >= 0) {
    const reason = (launches[failed] as PromiseRejectedResult).reason;
    const who = failed === 0 ? endpoint : startNow[failed - 1]!;
    const variable = failed === 0 ? "SERVICE_PORT" : "APP_PORT";
    const problem = /^timed out .* waiting for/.test((reason as Error)?.message ?? "")
      ? `${who.name} did not start: it did not listen on port ${who.port} (${variable}) within ${ENDPOINT_START_S} s: does it listen on another port, or wait for something before it listens?`
      : `${who.name} did not start: ${firstProblemLine(reason)}`;
    return { ...prepared, problem, problemLog: who.logName };
  }
  apps.forEach((app) => (prepared.apps[app.name] = app));
  return prepared;
}

async function checkPrepared(
  stack: CheckerStack,
  exercise: ExerciseDefinition,
  implementationRoot: string,
  preparing: Promise<Prepared>,
  options: RunOptions,
): Promise<ExerciseReport> {
  const emit = options.onEvent ?? (() => {});
  const dir = path.resolve(implementationRoot, exercise.folder);
  const logName = logNameOf(exercise, implementationRoot);
  const report: ExerciseReport = { exercise, dir, results: [], endpointLog: "" };
  const notRun = (problem: string, log = logName): ExerciseReport => {
    report.setupProblem = problem;
    report.results = exercise.checks.map((check) => ({ id: check.id, name: check.name, kind: "not-run", hint: problem, section: check.section, durationMs: 0 }));
    report.endpointLog = stack.logTail(log);
    return report;
  };

  emit({ type: "exercise", exercise, dir });
  emit({ type: "progress", line: `starting your endpoint (${displayPath(path.join(dir, "endpoint.ts"))}) and registering it with restate-server` });
  for (const spec of exercise.apps ?? []) emit({ type: "progress", line: `starting ${spec.name} (${displayPath(path.join(dir, spec.entry))})` });
  const prepared = await preparing;
  let door: EndpointDoor | undefined;
  try {
    if (prepared.problem || !prepared.endpoint) {
      const notRunReport = notRun(prepared.problem ?? "your endpoint did not start", prepared.problemLog);
      if (prepared.problemLog && prepared.problemLog !== logName) notRunReport.logOf = "its log";
      return notRunReport;
    }
    const endpoint = prepared.endpoint;
    // Registered in the endpoint's place when the exercise's checks read the calls its objects make to each other.
    door = exercise.endpointDoor ? await startEndpointDoor(endpoint.url) : undefined;
    let served: string[];
    try {
      served = (await registerDeployment(stack.adminUrl, door?.url ?? endpoint.url)).services.map((service) => service.name);
    } catch (error) {
      return notRun(`restate-server could not register your endpoint: ${firstProblemLine(error)}`);
    }
    const missing = exercise.services.filter((name) => !served.includes(name));
    if (missing.length > 0) {
      return notRun(`your endpoint does not serve ${missing.join(", ")} (it serves: ${served.join(", ") || "nothing"}); keep the service names of the exercise`);
    }

    // Its failure to start, if any, is the failure of the first check that waits for it.
    for (const app of Object.values(prepared.apps) as ManagedApp[]) if (app.startLater) app.start().catch(() => undefined);
    const runTag = Math.random().toString(36).slice(2, 8);
    let counter = 0;
    const watched = [endpoint, ...Object.values(prepared.apps)] as ManagedApp[];
    let ended: CheckResult | undefined;
    for (const check of exercise.checks) {
      if (ended) {
        const result: CheckResult = { id: check.id, name: check.name, kind: "not-run", hint: `not run: ${ended.hint}`, section: check.section, durationMs: 0 };
        report.results.push(result);
        emit({ type: "check", result });
        continue;
      }
      const notes: string[] = [];
      const context: CheckContext = {
        restate: stack.restate,
        gateway: stack.gateway,
        inventory: stack.inventory,
        mailer: stack.mailer,
        topups: stack.topups,
        requests: stack.requests,
        endpoint,
        delivered: door,
        apps: prepared.apps,
        implementationDir: dir,
        id: (prefix) => `${prefix}-${runTag}${(counter++).toString(36)}`,
        note: (line) => notes.push(line),
      };
      const logStart = logEnd(stack.logPath(logName));
      const ledgerStart = { gateway: stack.requests.gateway.mark(), providers: stack.requests.providers.mark() };
      const checked = await runCheck(check, context, notes, watched, (name) => stack.logTail(name, EVIDENCE_LINES));
      const sent = [...stack.requests.gateway.since(ledgerStart.gateway), ...stack.requests.providers.since(ledgerStart.providers)];
      const earlier = [
        ...stack.requests.gateway.since(0).slice(0, ledgerStart.gateway),
        ...stack.requests.providers.since(0).slice(0, ledgerStart.providers),
      ];
      const result = replayVerdict(checked, journalMismatchesSince(stack.logPath(logName), logStart, dir), sent, earlier, dir);
      await clearFaults(stack);
      // The endpoint's clock goes back to the true time before a check that did not ask for another (a clock-jump check runs on from it).
      const next = exercise.checks[exercise.checks.indexOf(check) + 1];
      if (endpoint.clockShiftMs !== 0 && !next?.id.startsWith("clock-jumped:")) await endpoint.restart().catch(() => undefined);
      if (result.endsRun || options.stopAfter?.(result)) ended = result;
      report.results.push(result);
      emit({ type: "check", result });
    }
    report.endpointLog = stack.logTail(logName);
    return report;
  } finally {
    await stack.restate.killUnfinished(exercise.services).catch(() => 0);
    for (const process of prepared.processes.toReversed()) await process.stop();
    await door?.close();
  }
}

const logNameOf = (exercise: ExerciseDefinition, implementationRoot: string) =>
  `endpoint-${exercise.folder}-${path.basename(path.resolve(implementationRoot))}`;

async function runCheck(
  check: Check,
  context: CheckContext,
  notes: string[],
  watched: ManagedApp[],
  logTail: (name: string) => string,
): Promise<CheckResult> {
  const startedAt = performance.now();
  const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(timeoutMs)), timeoutMs);
  });
  const exits = new ExitWatch(watched);
  const troubleBefore = callsHungOrExited();
  const base = { id: check.id, name: check.name, section: check.section };
  try {
    await exits.before(); // a process that ended between checks
    await Promise.race([check.run(context), timeout, exits.during()]);
    await exits.before(); // an exit right after the last answer still counts
    return { ...base, kind: "passed", durationMs: performance.now() - startedAt };
  } catch (caught) {
    const durationMs = performance.now() - startedAt;
    // A process that exited is the cause of whatever the check saw meanwhile (no answer, endless retries).
    const exit = exits.exited();
    const error = exit ? new ProcessExited(exit.app, exit.code, exit.signal) : caught;
    const detail = [...notes, error instanceof CheckFailure ? error.detail : undefined, describeForVerbose(error)].filter(Boolean).join("\n");
    if (error instanceof ProcessExited) {
      const hint = `${error.app.name} ${error.how} during this check (a process.exit or a crash in your code); the last lines of its log are below`;
      return { ...base, kind: "failed", hint, detail, durationMs, evidence: logTail(error.app.logName), endsRun: true };
    }
    if (error instanceof Unresponsive || error instanceof NeverReturned) {
      const hint = `${error.message}: it waits for something that never comes (a promise never resolved, an endless loop)`;
      return { ...base, kind: "failed", hint, detail, durationMs, endsRun: true };
    }
    if (error instanceof LearnerCodeExited) {
      return { ...base, kind: "failed", hint: error.message, detail, durationMs, endsRun: true };
    }
    if (error instanceof CheckFailure) {
      const repeatedSideEffect = error instanceof RepeatedSideEffect;
      const endsRun = callsHungOrExited() > troubleBefore;
      return { ...base, kind: "failed", hint: error.message, section: error.section ?? check.section, detail, durationMs, repeatedSideEffect, endsRun };
    }
    if (error instanceof StuckInvocation) {
      return {
        ...base,
        kind: "failed",
        hint:
          `Restate keeps retrying ${error.target}: it throws "${error.reason}". ` +
          `An error that a retry cannot fix must be a TerminalError with a 4xx code and a message; any other error is retried (by default for about an hour) and then paused, with its object locked`,
        section: "remembering-failures",
        detail,
        durationMs,
      };
    }
    if (error instanceof NoAnswer) {
      return { ...base, kind: "failed", hint: `${error.message}: is the handler waiting for something that never comes?`, detail, durationMs };
    }
    if (error instanceof CheckTimeout) {
      return { ...base, kind: "failed", hint: `the check did not finish within ${timeoutMs / 1000} s: something waits forever (run with --verbose)`, detail, durationMs };
    }
    return { ...base, kind: "error", hint: `the check could not complete: ${firstProblemLine(error)} (run with --verbose for details)`, detail, durationMs };
  } finally {
    clearTimeout(timer);
    exits.stop();
  }
}

/** One of the learner's processes ended on its own (not killed by a check). */
class ProcessExited extends Error {
  readonly how: string;
  constructor(
    readonly app: ManagedApp,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) {
    const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
    super(`${app.name} ${how}`);
    this.how = how;
  }
}

/** Watches the learner's processes during a check: `during()` rejects as soon as one ends that no check stopped. */
class ExitWatch {
  private timer?: NodeJS.Timeout;
  constructor(private readonly apps: ManagedApp[]) {}

  exited(): { app: ManagedApp; code: number | null; signal: NodeJS.Signals | null } | undefined {
    for (const app of this.apps) {
      const exit = app.unexpectedExit();
      if (exit) return { app, ...exit };
    }
    return undefined;
  }

  /** Rejects at once if a process already ended (between checks, or right after an answer). */
  async before(): Promise<void> {
    const exit = this.exited();
    if (exit) throw new ProcessExited(exit.app, exit.code, exit.signal);
  }

  during(): Promise<never> {
    return new Promise<never>((_, reject) => {
      const poll = () => {
        const exit = this.exited();
        if (exit) reject(new ProcessExited(exit.app, exit.code, exit.signal));
        else this.timer = setTimeout(poll, 100);
      };
      poll();
    });
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * A replay that took another path than the journal is the root cause of whatever else the check saw (and Restate
 * may have retried it until a replay happened to match), so it fails the check with its own hint; unless a side
 * effect was sent again after the provider had answered it: that repeat, outside ctx.run, is what made the replay
 * differ (the provider answered the copy otherwise), and its hint names the mistake to fix.
 */
function replayVerdict(result: CheckResult, mismatches: JournalMismatch[], sent: SeenRequest[], earlier: SeenRequest[], implementationDir: string): CheckResult {
  const [first] = mismatches;
  if (!first || result.repeatedSideEffect) return result;
  const seen = mismatches.map((mismatch) => `journal mismatch in ${mismatch.invocation}${mismatch.where ? ` at ${mismatch.where}` : ""}: ${mismatch.difference}`);
  const [repeat] = repeatedAfterAnswer(sent, earlier);
  const hint = repeat
    ? repeatedSideEffectHint(`${repeat.request.method} ${repeat.request.path}${repeat.request.reference ? ` for ${repeat.request.reference}` : ""}`, repeat.times)
    : mismatchHint(first, nonDeterministicSource(implementationDir));
  return {
    ...result,
    kind: "failed",
    hint,
    section: repeat ? "restates-three-tools" : mismatchSection(first),
    detail: [...seen, result.hint ? `the check itself: ${result.kind}, ${result.hint}` : "", result.detail ?? ""].filter(Boolean).join("\n"),
    repeatedSideEffect: Boolean(repeat),
  };
}

class CheckTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`check timed out after ${timeoutMs} ms`);
  }
}

/** A process the checker can crash and start again on the same port. */
class ManagedApp implements RestartableProcess {
  private current?: EndpointProcess;
  /** Set while the checker itself stops the process (a check's crash, the end of the run): that exit is expected. */
  private stopping = false;
  private readonly forget: () => void;

  constructor(
    private readonly stack: CheckerStack,
    readonly name: string,
    readonly port: number,
    private readonly launch: (port: number, options: StartOptions) => Promise<EndpointProcess>,
    /** Removed once the process has stopped (an app's data, such as exercise 4's PGlite database). */
    private readonly dataDir?: string,
    /** Its log in the stack's directory. */
    readonly logName: string = "",
    /** Started once the checks are under way (AppSpec.startLater). */
    readonly startLater = false,
  ) {
    this.forget = stack.adopt(this);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(options: StartOptions = {}): Promise<void> {
    // A start under way (an app started later, AppSpec.startLater): this one waits for it.
    this.starting ??= this.startProcess(options).finally(() => (this.starting = undefined));
    await this.starting;
  }

  private starting?: Promise<void>;

  private async startProcess(options: StartOptions): Promise<void> {
    if (this.stack.stopped || this.closed) throw new Error(`the checker is stopping: ${this.name} is not started`);
    if (this.current && !this.current.hasExited()) return;
    this.stopping = false;
    this.lastExit = undefined;
    this.clockShiftMs = options.clockShiftMs ?? 0;
    this.launching = this.launch(this.port, options);
    const started = await this.launching.finally(() => (this.launching = undefined));
    this.current = started;
    void started.exited.then((exit) => {
      if (this.current === started) this.lastExit = exit;
    });
    if (this.closed) {
      // stop() was called while it started (the stack stopped meanwhile): it does not outlive the stop.
      await started.stop(5_000);
      throw new Error(`the checker is stopping: ${this.name} was stopped as it started`);
    }
  }

  /** A start under way, for stop() to wait for. */
  private launching?: Promise<EndpointProcess>;
  /** Stopped for good: no start any more. */
  private closed = false;

  /** How it ended, if it ended on its own. */
  unexpectedExit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.stopping ? undefined : this.lastExit;
  }

  private lastExit?: { code: number | null; signal: NodeJS.Signals | null };

  async kill(): Promise<void> {
    this.stopping = true;
    await this.current?.kill();
  }

  expectExit(): void {
    this.stopping = true;
  }

  async restart(options: StartOptions = {}): Promise<void> {
    await this.kill();
    await this.start(options);
  }

  /** The running process's clock shift: a check that moved it puts it back before the next check. */
  clockShiftMs = 0;

  async stop(): Promise<void> {
    this.stopping = true;
    this.closed = true;
    await this.launching?.catch(() => undefined);
    await this.current?.stop(5_000);
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.forget();
  }
}

async function appProcess(stack: CheckerStack, spec: AppSpec, dir: string, logName: string): Promise<ManagedApp> {
  const entry = path.join(dir, spec.entry);
  const dataDir = path.join(stack.dir, `${logName}-data`);
  const logPath = stack.logPath(logName);
  return new ManagedApp(
    stack,
    spec.name,
    await stack.port(),
    async (port, options) => {
      // Kept across a restart: only a missing or empty data dir gets the template.
      if (spec.pgliteDataDir) await preparePgliteDataDir(dataDir, { log: (line) => appendFileSync(logPath, `${line}\n`) });
      return startEndpoint({
        port,
        entry,
        name: spec.name,
        gatewayUrl: stack.urls.gateway,
        output: { kind: "file", path: logPath },
        env: { ...endpointEnv(stack), APP_PORT: String(port), ...spec.env(stack, { dataDir }), ...shiftedClockEnv(options.clockShiftMs ?? 0) },
      });
    },
    dataDir,
    logName,
    spec.startLater,
  );
}

/** The preload that moves Date forward in the learner's process (see shifted_clock.mjs); nothing when there is no shift. */
function shiftedClockEnv(clockShiftMs: number): Record<string, string> {
  if (clockShiftMs === 0) return {};
  const preload = `--import ${new URL("shifted_clock.mjs", import.meta.url).href}`;
  return { CHECKER_CLOCK_SHIFT_MS: String(clockShiftMs), NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(" ") };
}

function endpointEnv(stack: CheckerStack): Record<string, string> {
  return {
    INVENTORY_URL: stack.urls.inventory,
    MAILER_URL: stack.urls.mailer,
    TOPUPS_URL: stack.urls.topups,
    INGRESS_URL: stack.ingressUrl,
    RESTATE_LOGGING: "WARN",
    REPLAY_EVERY_STEP: "1",
  };
}

/**
 * Whatever a check switched on (a dropped answer, latency) must not leak into the next one. Tried twice: a kept-alive
 * connection the provider closed while the checker waited for a blocking call fails once.
 */
async function clearFaults(stack: CheckerStack): Promise<void> {
  await clearFaultsOnce(stack).catch(() => clearFaultsOnce(stack));
}

async function clearFaultsOnce(stack: CheckerStack): Promise<void> {
  await Promise.all([
    stack.gateway.setFaults({ latencyMs: 0, failureRate: 0, failNext: 0, dropNext: 0 }),
    stack.inventory.setFaults(NO_FAULTS),
    stack.mailer.setFaults(NO_FAULTS),
    stack.topups.setFaults(NO_FAULTS),
  ]);
}

function firstProblemLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
  // A crashed process's output: the line that names the error ("TypeError: ..."), not the banner or the source line.
  const output = lines.slice(1);
  // esbuild (under tsx) names a syntax error's place on a line of its own: "/dir/file.ts:3:15: ERROR: Unexpected ';'".
  const syntax = output.find((line) => /^\S+\.[cm]?[jt]sx?:\d+:\d+: ERROR: /.test(line));
  if (syntax) return `${displayPath(syntax.split(":")[0]!)}${syntax.slice(syntax.split(":")[0]!.length)}`.slice(0, 300);
  const errorLine = output.find((line) => /^([A-Z]\w*)?Error\b.*:/.test(line)) ?? output.find((line) => /error|cannot|not found/i.test(line));
  return (errorLine ?? lines[0] ?? "unknown error").slice(0, 300);
}

function describeForVerbose(error: unknown): string {
  if (error instanceof StuckInvocation) return `last failure recorded by Restate:\n${error.lastFailure}`;
  if (error instanceof CheckFailure) return "";
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Relative to where the learner typed the command (npm runs scripts from the package root, and says where in INIT_CWD). */
export function displayPath(file: string): string {
  const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), file);
  return relative === "" ? "." : relative.startsWith("..") ? file : relative;
}
