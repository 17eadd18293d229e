// The hand-rolled service under test: the mock gateway and the service on free
// ports, PGlite's data (or a PostgreSQL server's database) kept across a crash
// and restart, everything stopped by PID and the temp dir removed after.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MockGatewayClient } from "../../code/mock_admin_client.js";
import { type HandrolledProcess, startHandrolled } from "../../orchestration/handrolled.js";
import { type GatewayProcess, startGatewayProcess } from "../../orchestration/parts.js";
import { freePorts } from "../../orchestration/ports.js";
import { Ingress } from "./ingress.js";

export interface HandrolledStack {
  api: Ingress;
  gatewayClient: MockGatewayClient;
  service(): HandrolledProcess;
  /** SIGKILL, as a crash. */
  crash(): Promise<void>;
  /** Starts the service again on the same database. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export interface HandrolledStackOptions {
  variant?: "phased" | "naive";
  /** A PostgreSQL server instead of PGlite (each stack should get its own database). */
  databaseUrl?: string;
  env?: Record<string, string>;
}

/** Short lease and completer period, so a crashed request is finished within seconds in a test. */
export const FAST_RECOVERY = { HANDROLLED_LEASE_MS: "2000", HANDROLLED_COMPLETER_INTERVAL_MS: "200" };

export async function startHandrolledStack(options: HandrolledStackOptions = {}): Promise<HandrolledStack> {
  const dir = mkdtempSync(path.join(tmpdir(), "handrolled-"));
  const [gatewayPort, port] = await freePorts(2);
  let gateway: GatewayProcess | undefined;
  let service: HandrolledProcess | undefined;
  const start = async () => {
    service = await startHandrolled({
      port: port!,
      gatewayUrl: gateway!.url,
      output: { kind: "file", path: path.join(dir, "handrolled.log") },
      dataDir: options.databaseUrl ? undefined : path.join(dir, "pglite"),
      databaseUrl: options.databaseUrl,
      variant: options.variant,
      env: { ...FAST_RECOVERY, ...options.env },
    });
  };
  const dispose = async () => {
    await service?.stop();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    gateway = await startGatewayProcess({ port: gatewayPort!, output: { kind: "file", path: path.join(dir, "gateway.log") } });
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    api: new Ingress(`http://127.0.0.1:${port}`),
    gatewayClient: new MockGatewayClient(gateway.url),
    service: () => service!,
    crash: () => service!.kill(),
    restart: start,
    dispose,
  };
}
