// Throw-away stacks, the one kind the tests, the benchmark and the checker ask
// for (as Temporal's TestWorkflowEnvironment is): a temp dir for data and logs,
// free loopback ports, and everything started in it stopped (each child by its
// own process group, see processes.ts) and the dir removed by one dispose().
// When the owner dies of a signal or exits without disposing, processes.ts
// kills the children's groups and the dir goes with them.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MockGatewayClient } from "../code/mock_admin_client.js";
import type { Ports } from "../code/config.js";
import { CLUSTER_SIZE, type Cluster, startCluster } from "./cluster.js";
import { type HandrolledOptions, type HandrolledProcess, startHandrolled } from "./handrolled.js";
import { type GatewayProcess, startGatewayProcess } from "./parts.js";
import { PAYMENT_ENDPOINT, tsxArgs } from "./paths.js";
import { freePort } from "./ports.js";
import { type ManagedProcess, type Output, httpOk, onExitAfterChildren, readyOrStopped, spawnManaged, waitFor } from "./processes.js";
import { type Stack, type StackOptions, startStack } from "./single_node.js";

export interface Stoppable {
  stop(): Promise<void>;
}

export interface ThrowawayEnvironment {
  /** The temp dir: data dirs and `<part>.log` files. */
  readonly dir: string;
  logPath(part: string): string;
  /** A child's output, into `<part>.log`. */
  output(part: string): Output;
  /** The last lines of a part's log, to explain a failure. */
  logTail(part: string, lines?: number): string;
  /** A port that was free a moment ago and that this environment has not handed out before. */
  freePort(): Promise<number>;
  /**
   * Stops `thing` at dispose (what was owned last is stopped first: a learner's endpoint before the stack it
   * talks to). Returns the function that forgets it, for a thing its owner stops itself.
   */
  own(thing: Stoppable): () => void;
  /** A TypeScript entry (run with tsx) that serves `healthUrl` once it is ready; owned. */
  startTsxService(name: string, entry: string, options: { env: Record<string, string>; healthUrl: string; timeoutMs?: number }): Promise<ManagedProcess>;
  /** True once dispose() was called: nothing more should be started in it. */
  readonly disposed: boolean;
  /** Stops everything owned, last first, and removes the dir; once, however often it is called. */
  dispose(): Promise<void>;
}

export function createThrowawayEnvironment(prefix: string): ThrowawayEnvironment {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const removeDir = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  // The owner ending without dispose() (a signal, process.exit): its children's groups are killed, then the dir goes.
  const cancelExitCleanup = onExitAfterChildren(removeDir);
  const owned: Stoppable[] = [];
  const handedOut = new Set<number>();
  let disposing: Promise<void> | undefined;
  const logPath = (part: string) => path.join(dir, `${part}.log`);

  const environment: ThrowawayEnvironment = {
    dir,
    logPath,
    output: (part) => ({ kind: "file", path: logPath(part) }),
    logTail(part, lines = 30) {
      try {
        return readFileSync(logPath(part), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    async freePort() {
      for (;;) {
        const port = await freePort();
        if (!handedOut.has(port)) {
          handedOut.add(port);
          return port;
        }
      }
    },
    own(thing) {
      owned.push(thing);
      return () => {
        const index = owned.indexOf(thing);
        if (index >= 0) owned.splice(index, 1);
      };
    },
    async startTsxService(name, entry, options) {
      const child = spawnManaged(name, process.execPath, [...tsxArgs(), entry], { output: environment.output(name), env: options.env });
      environment.own(child);
      await readyOrStopped(child, () => waitFor(`the ${name} to answer ${options.healthUrl}`, httpOk(options.healthUrl), { process: child, timeoutMs: options.timeoutMs }));
      return child;
    },
    get disposed() {
      return disposing !== undefined;
    },
    dispose: () =>
      (disposing ??= (async () => {
        try {
          for (const thing of owned.splice(0).reverse()) await thing.stop().catch(() => {});
        } finally {
          removeDir();
          cancelExitCleanup();
        }
      })()),
  };
  return environment;
}

/** Starts a stack in a new environment and hands back both as one object; on a failed start nothing is left. */
async function startInThrowaway<S extends object>(prefix: string, start: (environment: ThrowawayEnvironment) => Promise<S>): Promise<S & ThrowawayFields> {
  const environment = createThrowawayEnvironment(prefix);
  try {
    const stack = await start(environment);
    return Object.assign(stack, {
      dir: environment.dir,
      environment,
      logTail: environment.logTail,
      dispose: environment.dispose,
    });
  } catch (error) {
    await environment.dispose();
    throw error;
  }
}

interface ThrowawayFields {
  dir: string;
  environment: ThrowawayEnvironment;
  logTail(part: string, lines?: number): string;
  /** Stops every process and removes the temp dir. */
  dispose(): Promise<void>;
}

// ---- A single node: restate-server, the mock gateway and the endpoint(s) ----

export interface ThrowawayStackOptions {
  /** Fixed ports for the four parts (the node port is always a free one); free ports by default. */
  ports?: Ports;
  gatewayFaults?: StackOptions["gatewayFaults"];
  restateEnv?: Record<string, string>;
  /** Endpoints (entry files) to register instead of the payment service. */
  endpoints?: { entry: string; env?: Record<string, string> }[];
  /** For the payment service's endpoint, when `endpoints` is unset. */
  endpointEnv?: Record<string, string>;
  /** The temp dir's name starts with this. */
  prefix?: string;
}

export type ThrowawayStack = Stack & ThrowawayFields & { gatewayClient: MockGatewayClient; dataDir: string };

export function startThrowawayStack(options: ThrowawayStackOptions = {}): Promise<ThrowawayStack> {
  return startInThrowaway(options.prefix ?? "idempotency-course", async (environment) => {
    const port = environment.freePort;
    const ports = { ...(options.ports ?? { ingress: await port(), admin: await port(), service: await port(), gateway: await port() }), node: await port() };
    const quiet = { RESTATE_LOGGING: "WARN" };
    const endpoints = options.endpoints
      ? await Promise.all(options.endpoints.map(async (e) => ({ entry: e.entry, port: await port(), env: { ...quiet, ...e.env } })))
      : [{ entry: PAYMENT_ENDPOINT, port: ports.service, env: { ...quiet, ...options.endpointEnv } }];
    const dataDir = path.join(environment.dir, "restate");
    const stack = await startStack({
      dataDir,
      ports,
      output: environment.output,
      gatewayFaults: options.gatewayFaults,
      restateEnv: options.restateEnv,
      endpoints,
    });
    environment.own(stack);
    return Object.assign(stack, { dataDir, gatewayClient: new MockGatewayClient(stack.gatewayUrl) });
  });
}

// ---- A cluster of CLUSTER_SIZE nodes, the gateway and the endpoint ----

export type ThrowawayCluster = Cluster & ThrowawayFields & { gatewayClient: MockGatewayClient };

export function startThrowawayCluster(options: { restateEnv?: Record<string, string>; endpointEnv?: Record<string, string> } = {}): Promise<ThrowawayCluster> {
  return startInThrowaway("idempotency-cluster", async (environment) => {
    const port = environment.freePort;
    const nodes = [];
    for (let index = 0; index < CLUSTER_SIZE; index++) nodes.push({ ingress: await port(), admin: await port(), node: await port() });
    const cluster = await startCluster({
      dataDir: path.join(environment.dir, "cluster"),
      nodes,
      servicePort: await port(),
      gatewayPort: await port(),
      output: environment.output,
      restateEnv: options.restateEnv,
      endpointEnv: { RESTATE_LOGGING: "WARN", ...options.endpointEnv },
    });
    environment.own(cluster);
    return Object.assign(cluster, { gatewayClient: new MockGatewayClient(cluster.gatewayUrl) });
  });
}

// ---- The hand-rolled PostgreSQL service and the mock gateway ----

export interface ThrowawayHandrolledOptions {
  variant?: HandrolledOptions["variant"];
  /** A PostgreSQL server instead of PGlite (each stack should get its own database). */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Hears about slow steps (the first PGlite database of a PGlite version). */
  log?: (line: string) => void;
}

export interface ThrowawayHandrolled extends ThrowawayFields {
  url: string;
  gateway: GatewayProcess;
  gatewayClient: MockGatewayClient;
  /** The service that runs now (a new process after restart()). */
  service(): HandrolledProcess;
  /** SIGKILL, as a crash. */
  crash(): Promise<void>;
  /** Starts the service again on the same database and port. */
  restart(): Promise<void>;
}

export function startThrowawayHandrolled(options: ThrowawayHandrolledOptions = {}): Promise<ThrowawayHandrolled> {
  return startInThrowaway("handrolled", async (environment) => {
    const gateway = await startGatewayProcess({ port: await environment.freePort(), output: environment.output("gateway") });
    environment.own(gateway);
    const port = await environment.freePort();
    let service: HandrolledProcess | undefined;
    const start = async () => {
      service = await startHandrolled({
        port,
        gatewayUrl: gateway.url,
        output: environment.output("handrolled"),
        dataDir: options.databaseUrl ? undefined : path.join(environment.dir, "pglite"),
        databaseUrl: options.databaseUrl,
        variant: options.variant,
        env: options.env,
        log: options.log,
      });
    };
    // Owned before it starts: the process that runs at dispose is stopped, whichever start it came from.
    environment.own({ stop: async () => service?.stop() });
    await start();
    return {
      url: `http://127.0.0.1:${port}`,
      gateway,
      gatewayClient: new MockGatewayClient(gateway.url),
      service: () => service!,
      crash: () => service!.kill(),
      restart: start,
    };
  });
}
