// What `npm start` leaves in its data dir so that the next start can clean up
// after it. A launcher killed with SIGKILL (a closed terminal, the OOM killer)
// runs no exit handler: restate-server, the gateway and the endpoint may run on
// in their own process groups, holding the ports and the data dir. The record
// names each of them by PID and by what `ps` says of it (start time and command
// line), so that a later start stops exactly those processes and never one that
// merely reuses a PID.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { ManagedProcess } from "./processes.js";

export const RECORD_FILE = "launcher-processes.json";

interface RecordedProcess {
  name: string;
  pid: number;
  /** `ps`'s start time and command line, or null while it is being looked up. */
  identity: string | null;
}

interface LauncherRecord {
  launcher: RecordedProcess;
  children: RecordedProcess[];
}

/** What `ps` says of a live process: its start time and full command line; null when it is gone (or a zombie). */
async function processIdentity(pid: number): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)("ps", ["-ww", "-p", String(pid), "-o", "lstart=", "-o", "args="]);
    const identity = stdout.trim();
    return identity === "" || identity.includes("<defunct>") ? null : identity;
  } catch {
    return null; // ps exits 1 when there is no such process
  }
}

/**
 * Stops what a dead launcher left running for this data dir and removes its
 * record. Throws when the launcher that wrote the record is still alive: two
 * launchers must not share a data dir.
 */
export async function stopLeftovers(dataDir: string, log: (line: string) => void, command = "npm start"): Promise<void> {
  const file = path.join(dataDir, RECORD_FILE);
  if (!existsSync(file)) return;
  let record: LauncherRecord;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as LauncherRecord;
  } catch {
    rmSync(file, { force: true }); // half-written by a launcher that died mid-write: nothing to trust in it
    return;
  }
  if (await isStill(record.launcher)) {
    throw new Error(
      `${command} is already running on this data dir (pid ${record.launcher.pid}). ` +
        // Its terminal may be gone (a closed window, an npm process killed with SIGKILL while the launcher runs
        // on): SIGTERM stops it exactly as Ctrl-C does, its processes included.
        `Stop it with Ctrl-C in its terminal or, if that terminal is gone, with this command:\n  kill ${record.launcher.pid}\n` +
        `Or give this one its own data dir: DATA_DIR=<dir> ${command}`,
    );
  }
  const stopped: string[] = [];
  for (const child of record.children) {
    if (!(await isStill(child))) continue; // gone already, or the PID now belongs to someone else
    await stopByPid(child);
    stopped.push(`${child.name} (pid ${child.pid})`);
  }
  if (stopped.length > 0) {
    log(`The previous ${command} (pid ${record.launcher.pid}) ended without stopping its processes; stopped what it left running: ${stopped.join(", ")}.`);
  }
  rmSync(file, { force: true });
}

/** The PID of the launcher that recorded its processes in this data dir, if it still runs. */
export async function runningLauncher(dataDir: string): Promise<number | undefined> {
  try {
    const record = JSON.parse(readFileSync(path.join(dataDir, RECORD_FILE), "utf8")) as LauncherRecord;
    return (await isStill(record.launcher)) ? record.launcher.pid : undefined;
  } catch {
    return undefined; // no record, or half-written
  }
}

/** The record of this launcher and its children, kept up to date as they start and exit. */
export class ProcessRecord {
  private readonly file: string;
  private readonly record: LauncherRecord;

  private constructor(dataDir: string, launcher: RecordedProcess) {
    this.file = path.join(dataDir, RECORD_FILE);
    this.record = { launcher, children: [] };
    this.save();
  }

  static async create(dataDir: string): Promise<ProcessRecord> {
    mkdirSync(dataDir, { recursive: true }); // a fresh checkout has no .restate yet
    return new ProcessRecord(dataDir, { name: "launcher", pid: process.pid, identity: await processIdentity(process.pid) });
  }

  /** Records a child from its spawn until it exits. */
  track(child: ManagedProcess): void {
    const entry: RecordedProcess = { name: child.name, pid: child.pid, identity: null };
    this.record.children.push(entry);
    this.save();
    void identityOnceExecuted(child).then((identity) => {
      entry.identity = identity;
      this.save();
    });
    void child.exited.then(() => {
      this.record.children = this.record.children.filter((c) => c !== entry);
      this.save();
    });
  }

  /** After a clean stop: nothing is left to clean up. */
  remove(): void {
    rmSync(this.file, { force: true });
  }

  private save(): void {
    // Write, then rename: a launcher killed mid-write leaves the old record whole.
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.record, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

/**
 * The child's identity once it runs its own program: between fork and exec, `ps`
 * still shows the launcher's command line, which must not be recorded as the child's.
 */
async function identityOnceExecuted(child: ManagedProcess): Promise<string | null> {
  const commandLine = child.argv.join(" ");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !child.hasExited()) {
    const identity = await processIdentity(child.pid);
    if (identity?.endsWith(commandLine)) return identity;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}

/** Whether the recorded process still runs: the same PID with the same start time and command line. */
async function isStill(recorded: RecordedProcess): Promise<boolean> {
  // A child killed before its identity was looked up: without proof it is ours, it is left alone.
  if (recorded.identity === null) return false;
  return (await processIdentity(recorded.pid)) === recorded.identity;
}

async function stopByPid(recorded: RecordedProcess): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(recorded.pid, name);
    } catch {
      // gone in the meantime
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (await isStill(recorded)) {
    if (Date.now() > deadline) {
      signal("SIGKILL");
      if (Date.now() > deadline + 5_000) throw new Error(`${recorded.name} (pid ${recorded.pid}) did not stop; stop it by hand: kill -9 ${recorded.pid}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // An exiting process loses its command line (so its identity) before the kernel closes its sockets:
  // wait until it is gone or a zombie, or the next start finds its ports still taken.
  const exitDeadline = Date.now() + 5_000;
  while (!(await goneOrZombie(recorded.pid)) && Date.now() < exitDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function goneOrZombie(pid: number): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)("ps", ["-p", String(pid), "-o", "stat="]);
    return stdout.trim() === "" || stdout.trim().startsWith("Z");
  } catch {
    return true; // ps exits 1 when there is no such process
  }
}
