// What every launcher (`npm start`, `start:cluster`, `start:handrolled`) does around the
// parts it starts: stop what a crashed launcher left behind, refuse busy ports
// with the variable that moves them, record every child's PID, and stop it all
// once, in order, on Ctrl-C, SIGTERM or a fatal failure.
import { portInUse } from "./ports.js";
import { ProcessRecord, stopLeftovers } from "./process_record.js";
import { onEverySpawn } from "./processes.js";

export interface WantedPort {
  part: string;
  port: number;
  /** The environment variable that chooses another port. */
  variable: string;
}

export function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Leftovers stopped, ports free, and the record of this launcher's children started. */
export async function beginLaunch(options: { dataDir: string; command: string; ports: WantedPort[]; log: (line: string) => void }): Promise<ProcessRecord> {
  try {
    await stopLeftovers(options.dataDir, options.log, options.command);
  } catch (error) {
    exitWith((error as Error).message);
  }
  for (const { part, port, variable } of options.ports) {
    if (await portInUse(port)) exitWith(`Port ${port} (${part}) is already in use. Stop whatever holds it, or choose another: ${variable}=<port> ${options.command}`);
  }
  const record = await ProcessRecord.create(options.dataDir);
  onEverySpawn((child) => record.track(child));
  return record;
}

/** Starts the parts, or says why not and leaves nothing behind. */
export async function startOrExit<T>(record: ProcessRecord, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    console.error(`\nCould not start: ${(error as Error).message}`);
    record.remove();
    process.exit(1);
  }
}

export interface Shutdown {
  (reason: string, code: number): Promise<void>;
  /** True from the moment the launcher began to stop: a part exiting then is expected. */
  readonly stopping: boolean;
}

/** One shutdown for the launcher, on Ctrl-C and SIGTERM too; `stopParts` stops every part in order. */
export function shutdownOnSignals(options: { record: ProcessRecord; command: string; parts: string; stopParts: () => Promise<void> }): Shutdown {
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping ${options.parts}...`);
    await options.stopParts();
    options.record.remove();
    console.log(`Stopped. Payments and the provider's ledger are kept in the data dir; \`${options.command}\` picks them up again.`);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("Ctrl-C", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  return Object.defineProperty(shutdown, "stopping", { get: () => stopping }) as Shutdown;
}
