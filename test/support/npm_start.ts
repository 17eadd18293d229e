// `npm start` as a learner runs it in a terminal: its own process group (Ctrl-C
// signals the whole group), free ports for every part, output collected.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { PORT_VARIABLE } from "../../code/config.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { freePorts } from "../../orchestration/ports.js";

/** The parts `npm start` listens with, each on its own port. */
export const NPM_START_PARTS = ["ingress", "admin", "service", "gateway", "node", "playground"] as const;

/** Each of those ports, by the variable that moves it (INGRESS_PORT, ...), as the README lists them. */
export type NpmStartEnv = Record<(typeof PORT_VARIABLE)[(typeof NPM_START_PARTS)[number]], string>;

/** One free port for every part `npm start` listens on. */
export async function npmStartPorts(): Promise<NpmStartEnv> {
  const ports = await freePorts(NPM_START_PARTS.length);
  return Object.fromEntries(NPM_START_PARTS.map((part, index) => [PORT_VARIABLE[part], String(ports[index])])) as NpmStartEnv;
}

export interface NpmStartRun {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** npm's own exit code; npm dies of Ctrl-C at once while the launcher goes on shutting down. */
  exited: Promise<number | null>;
  ctrlC(): void;
  /** SIGKILL to the whole group, for clean-up after a failed test; a group already gone is fine. */
  killGroup(): void;
}

/** `npm start`, or another npm script with its arguments (`["run", "start:cluster"]`). */
export function startNpmStart(env: NpmStartEnv & { DATA_DIR: string }, npmArgs: string[] = ["start"]): NpmStartRun {
  const child = spawn("npm", npmArgs, { cwd: REPO_ROOT, env: { ...process.env, ...env }, detached: true });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  return { child, output: () => output, exited, ctrlC: () => signalGroup("SIGINT"), killGroup: () => signalGroup("SIGKILL") };
}
