// The hand-rolled PostgreSQL service as a child process: started on a port (on
// a PGlite database copied from the template when its data dir is new), waited
// for until /health answers, stopped (or SIGKILLed) by its PID.
import * as path from "node:path";
import { REPO_ROOT, tsxArgs } from "./paths.js";
import { preparePgliteDataDir } from "./pglite_template.js";
import { type ManagedProcess, type Output, httpOk, readyOrStopped, spawnManaged, waitFor } from "./processes.js";

const HANDROLLED_ENTRY = path.join(REPO_ROOT, "handrolled", "server.ts");

export interface HandrolledOptions {
  port: number;
  gatewayUrl: string;
  output: Output;
  /** PGlite's data dir; in memory when unset and no databaseUrl is given. */
  dataDir?: string;
  /** A PostgreSQL server instead of PGlite. */
  databaseUrl?: string;
  variant?: "phased" | "naive";
  /** Hears about slow steps before the service starts (the first PGlite database of a PGlite version). */
  log?: (line: string) => void;
  /** Extra settings: HANDROLLED_LEASE_MS, HANDROLLED_KEY_RETENTION_MS, ... */
  env?: Record<string, string>;
}

export interface HandrolledProcess extends ManagedProcess {
  url: string;
}

export async function startHandrolled(options: HandrolledOptions): Promise<HandrolledProcess> {
  const env: Record<string, string> = {
    HANDROLLED_PORT: String(options.port),
    GATEWAY_URL: options.gatewayUrl,
    HANDROLLED_VARIANT: options.variant ?? "phased",
    ...options.env,
  };
  if (options.dataDir) {
    await preparePgliteDataDir(options.dataDir, { log: options.log });
    env.HANDROLLED_DATA_DIR = options.dataDir;
  }
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const service = spawnManaged("handrolled", process.execPath, [...tsxArgs(), HANDROLLED_ENTRY], { output: options.output, env });
  const url = `http://127.0.0.1:${options.port}`;
  await readyOrStopped(service, () => waitFor("the hand-rolled service", httpOk(`${url}/health`), { process: service, timeoutMs: 60_000 }));
  return Object.assign(service, { url });
}
