// A throw-away stack for one test file: real restate-server, mock gateway and
// endpoint(s) on free ports, data and logs in a temp dir that is removed after.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Ports } from "../../code/types.js";
import { PAYMENT_ENDPOINT } from "../../orchestration/paths.js";
import { type Stack, type StackOptions, startStack } from "../../orchestration/stack.js";
import { freePorts } from "../../orchestration/ports.js";
import { MockGatewayClient } from "../../code/mock_admin_client.js";

export interface TestStack extends Stack {
  gatewayClient: MockGatewayClient;
  dir: string;
  /** The tail of a part's log, to explain a failure. */
  logTail(part: "restate" | "gateway" | "service", lines?: number): string;
  /** Stops every process by PID and removes the temp dir. */
  dispose(): Promise<void>;
}

export interface TestStackOptions {
  /** Fixed ports for the four parts (the node port is always a free one); free ports by default. */
  ports?: Ports;
  gatewayFaults?: StackOptions["gatewayFaults"];
  restateEnv?: Record<string, string>;
  /** Extra endpoints (entry files) to register besides, or instead of, the payment service. */
  endpoints?: { entry: string; env?: Record<string, string> }[];
  endpointEnv?: Record<string, string>;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const dir = mkdtempSync(path.join(tmpdir(), "idempotency-course-"));
  const extra = options.endpoints?.length ?? 0;
  const free = await freePorts(5 + extra);
  const take = () => free.shift()!;
  const { ingress, admin, service, gateway } = options.ports ?? { ingress: take(), admin: take(), service: take(), gateway: take() };
  const node = take();
  const endpointPorts = free;
  const logPath = (part: string) => path.join(dir, `${part}.log`);
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir: path.join(dir, "restate"),
      ports: { ingress, admin, service, gateway, node },
      output: (part) => ({ kind: "file", path: logPath(part) }),
      gatewayFaults: options.gatewayFaults,
      restateEnv: options.restateEnv,
      endpoints: options.endpoints?.map((e, i) => ({ entry: e.entry, port: endpointPorts[i]!, env: { RESTATE_LOGGING: "WARN", ...e.env } })) ?? [
        { entry: PAYMENT_ENDPOINT, port: service, env: { RESTATE_LOGGING: "WARN", ...options.endpointEnv } },
      ],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const logTail = (part: string, lines = 30) => {
    try {
      return readFileSync(logPath(part), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  return Object.assign(stack, {
    dir,
    gatewayClient: new MockGatewayClient(stack.gatewayUrl),
    logTail,
    async dispose() {
      try {
        await stack.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

