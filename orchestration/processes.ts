// Child processes for the course's stacks, each in a process group of its own
// and stopped by it (the child and whatever it started in turn): the one place
// that spawns, waits for readiness and cleans up after a crash.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./paths.js";

/** Where a child's output goes: the terminal with a `[name]` prefix, or a log file. */
export type Output = { kind: "terminal" } | { kind: "file"; path: string };

const running = new Set<ChildProcess>();
const afterChildren = new Set<() => void>();
const killAllNow = () => {
  for (const child of running) if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
  for (const cleanup of afterChildren) {
    try {
      cleanup();
    } catch {
      // the process is ending: one failed cleanup must not keep the others from running
    }
  }
};

/**
 * Runs `cleanup` (synchronous: a temp dir removed, say) when this process ends without its owner having cleaned up,
 * right after its children's groups were killed. Returns the function that cancels it, for an orderly cleanup.
 */
export function onExitAfterChildren(cleanup: () => void): () => void {
  afterChildren.add(cleanup);
  return () => afterChildren.delete(cleanup);
}
// Last resort if our owner forgot to stop us: no orphans. (A SIGKILLed owner runs no handler at all;
// `npm start` keeps a record of its children for that case: see process_record.ts.)
process.on("exit", killAllNow);
// A signal that ends a process by default skips its exit handlers: a SIGTERM from a timeout (execFile's, a test
// runner's) would leave every child running. Unless the owner handles the signal itself (a launcher stops its
// children in order), the children go first, then the signal does what it would have done.
for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
  process.on(signal, function stopChildrenThenDie() {
    if (process.listenerCount(signal) > 1) return;
    killAllNow();
    process.removeListener(signal, stopChildrenThenDie);
    process.kill(process.pid, signal);
  });
}

type SpawnListener = (process: ManagedProcess) => void;
const spawnListeners = new Set<SpawnListener>();

/** Calls `listener` for every process this process spawns from now on, as soon as it has a PID. */
export function onEverySpawn(listener: SpawnListener): void {
  spawnListeners.add(listener);
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The command line it was started with. */
  readonly argv: readonly string[];
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, as far as everyone else can tell. */
  kill(): Promise<void>;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
  /** Sends a message on its IPC channel (only when started with `onMessage`). */
  send(message: unknown): void;
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    output: Output;
    cwd?: string;
    uid?: number;
    gid?: number;
    /** Opens an IPC channel (a Node.js child's process.send) and gives its messages here. */
    onMessage?: (message: unknown) => void;
  },
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.onMessage ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
    uid: options.uid, // e.g. PostgreSQL, which refuses to run as root
    gid: options.gid,
    detached: true, // own process group: Ctrl-C reaches only the launcher, which stops children in order
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  running.add(child);
  if (options.onMessage) child.on("message", options.onMessage);

  const recent: string[] = [];
  let file: WriteStream | undefined;
  if (options.output.kind === "file") {
    mkdirSync(path.dirname(options.output.path), { recursive: true });
    file = createWriteStream(options.output.path, { flags: "a" });
  }
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on("line", (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (file) file.write(`${line}\n`);
      else process.stdout.write(`[${name}] ${line}\n`);
    });
  }

  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      exitedFlag = true;
      killGroup(pid, "SIGKILL"); // what it started and left behind goes with it
      running.delete(child);
      file?.end();
      resolve({ code, signal });
    });
  });

  // Signals go to the child's whole process group (it leads one: detached), so whatever it started stops too;
  // once it is gone, SIGKILL takes what is left of its group.
  const stop = async (graceMs = 10_000) => {
    if (!exitedFlag) {
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    killGroup(pid, "SIGKILL");
  };
  const kill = async () => {
    if (!exitedFlag) {
      killGroup(pid, "SIGKILL");
      await exited;
    }
    killGroup(pid, "SIGKILL");
  };
  const send = (message: unknown) => {
    if (!exitedFlag && child.connected) child.send(message as never);
  };
  const managed: ManagedProcess = { name, pid, argv: [command, ...args], exited, hasExited: () => exitedFlag, stop, kill, recentOutput: () => recent.join("\n"), send };
  for (const listener of spawnListeners) listener(managed);
  return managed;
}


/** Alive and not a zombie (exited, not yet reaped: its ports are free, its PID still listed). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return true; // no /proc (macOS): kill(0) is all there is
  }
}

export function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Signals a child started by spawnManaged and everything in its process group (`detached` made the child the
 * group's leader, so the group's id is its PID): a child's own children, such as a wrapper's real process, go too.
 * A `pid` that leads no group is signalled alone.
 */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    tryKill(pid, signal);
  }
}

/** Polls `check` until it returns true; fails at the deadline or as soon as `process` exits. */
export async function waitFor(
  description: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; process?: ManagedProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (options.process?.hasExited()) {
      throw new Error(`${options.process.name} exited before ${description}:\n${options.process.recentOutput()}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const output = options.process ? `\nlast output of ${options.process.name}:\n${options.process.recentOutput()}` : "";
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${description}${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** A process that never became ready is stopped before the error is passed on: nothing half-started stays behind. */
export async function readyOrStopped(process: ManagedProcess, ready: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (error) {
    await process.stop(5_000);
    throw error;
  }
}

/** Processes started side by side: all of them, or, when one fails to start, none (the others are stopped) and its error. */
export async function startAllOrNone(launches: Promise<ManagedProcess>[]): Promise<ManagedProcess[]> {
  const settled = await Promise.allSettled(launches);
  const started = settled.flatMap((launch) => (launch.status === "fulfilled" ? [launch.value] : []));
  const failure = settled.find((launch): launch is PromiseRejectedResult => launch.status === "rejected");
  if (failure) {
    await Promise.all(started.map((p) => p.stop(5_000)));
    throw failure.reason;
  }
  return started;
}

export const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
