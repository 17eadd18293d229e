// `npm start` as a learner runs it in a terminal: its own process group (Ctrl-C
// signals the whole group), free ports for every part, output collected.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { freePorts } from "../../orchestration/ports.js";

export interface NpmStartEnv {
  INGRESS_PORT: string;
  ADMIN_PORT: string;
  SERVICE_PORT: string;
  GATEWAY_PORT: string;
  NODE_PORT: string;
  PLAYGROUND_PORT: string;
}

/** One free port for every part `npm start` listens on, as the variables the README lists. */
export async function npmStartPorts(): Promise<NpmStartEnv> {
  const [ingress, admin, service, gateway, node, playground] = (await freePorts(6)).map(String) as [string, string, string, string, string, string];
  return { INGRESS_PORT: ingress, ADMIN_PORT: admin, SERVICE_PORT: service, GATEWAY_PORT: gateway, NODE_PORT: node, PLAYGROUND_PORT: playground };
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
