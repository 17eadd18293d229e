// `npm start`: a real restate-server (data under .restate/), the mock gateway
// and the service endpoint on loopback; the endpoint registered as a
// deployment; Ctrl-C stops all three. The same functions start the stacks
// of the tests, the benchmark and the exercise checker.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from "node:fs";
import { createRequire } from "node:module";
import * as net from "node:net";
import { arch, platform } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FAULT_VARIABLES, type FaultSettings, PORT_VARIABLES, type Ports, portsFromEnv } from "./types.js";

const require = createRequire(import.meta.url);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PAYMENT_ENDPOINT = path.join(REPO_ROOT, "code", "main.ts");
const GATEWAY_ENTRY = path.join(REPO_ROOT, "code", "gateway.ts");

/** Where a child's output goes: the terminal with a `[name]` prefix, or a log file. */
export type Output = { kind: "terminal" } | { kind: "file"; path: string };

// ---------------------------------------------------------------------------
// Processes, each stopped by its own PID.
// ---------------------------------------------------------------------------

const running = new Set<ChildProcess>();
process.on("exit", () => {
  // Last resort if our owner forgot to stop us (or died): no orphans.
  for (const child of running) if (child.pid !== undefined) tryKill(child.pid, "SIGKILL");
});

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: () => boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, as far as everyone else can tell. */
  kill(): Promise<void>;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; output: Output; cwd?: string },
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group: Ctrl-C reaches only the launcher, which stops children in order
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  running.add(child);

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
      running.delete(child);
      file?.end();
      resolve({ code, signal });
    });
  });

  const stop = async (graceMs = 10_000) => {
    if (exitedFlag) return;
    tryKill(pid, "SIGTERM");
    const timer = setTimeout(() => tryKill(pid, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (exitedFlag) return;
    tryKill(pid, "SIGKILL");
    await exited;
  };
  return { name, pid, exited, hasExited: () => exitedFlag, stop, kill, recentOutput: () => recent.join("\n") };
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
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
async function readyOrStopped(process: ManagedProcess, ready: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (error) {
    await process.stop(5_000);
    throw error;
  }
}

const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;

/** A readiness check: whether something accepts TCP connections on the port. */
export const tcpOpen = (port: number, host = "127.0.0.1") => () =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct ports, each free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

// ---------------------------------------------------------------------------
// The three parts.
// ---------------------------------------------------------------------------

export function restateServerBinary(): string {
  // The npm wrapper would run the binary as its own child; we want the real PID.
  return require.resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
}

export interface RestateServer extends ManagedProcess {
  ingressUrl: string;
  adminUrl: string;
}

export async function startRestateServer(options: {
  dataDir: string;
  ingressPort: number;
  adminPort: number;
  /** Node-to-node port; unused by a single node, but it must not collide. */
  nodePort: number;
  output: Output;
  /** Extra server settings, e.g. RESTATE_DEFAULT_IDEMPOTENCY_RETENTION. */
  env?: Record<string, string>;
}): Promise<RestateServer> {
  mkdirSync(options.dataDir, { recursive: true });
  // restate-server makes scratch dirs (invoker-<id>) in TMPDIR and leaves them behind; keep them in the
  // data dir, emptied at each start, so a test's temp dir takes them along and /tmp stays clean.
  const scratchDir = path.join(options.dataDir, "tmp");
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  const server = spawnManaged(
    "restate",
    restateServerBinary(),
    ["--no-logo", "--base-dir", options.dataDir, "--node-name", "course", "--listen-mode", "tcp"],
    {
      output: options.output,
      env: {
        TMPDIR: scratchDir,
        RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${options.ingressPort}`,
        RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${options.adminPort}`,
        RESTATE_BIND_ADDRESS: `127.0.0.1:${options.nodePort}`,
        RESTATE_DISABLE_TELEMETRY: "true",
        // octocrab is the update check; there is no internet to reach here.
        RESTATE_LOG_FILTER: "warn,octocrab=off",
        RESTATE_LOG_FORMAT: "compact",
        RESTATE_LOG_DISABLE_ANSI_CODES: options.output.kind === "file" ? "true" : "false",
        // Restate's default, 24 partitions, is sized for clusters: on 2 cores each one costs CPU
        // per request and start-up time (bench/README.md has the numbers). A data dir keeps the
        // count it was created with; the variable still overrides it for a new one.
        RESTATE_DEFAULT_NUM_PARTITIONS: process.env.RESTATE_DEFAULT_NUM_PARTITIONS ?? "2",
        ...options.env,
      },
    },
  );
  const ingressUrl = `http://127.0.0.1:${options.ingressPort}`;
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  await readyOrStopped(server, async () => {
    await waitFor("restate-server admin API", httpOk(`${adminUrl}/health`), { process: server });
    await waitFor("restate-server ingress", httpOk(`${ingressUrl}/restate/health`), { process: server });
  });
  return Object.assign(server, { ingressUrl, adminUrl });
}

export interface GatewayProcess extends ManagedProcess {
  url: string;
}

export async function startGatewayProcess(options: {
  port: number;
  output: Output;
  faults?: Partial<FaultSettings>;
  /** Keep the provider's ledger in this file across restarts (in memory when unset). */
  ledgerFile?: string;
}): Promise<GatewayProcess> {
  const env: Record<string, string> = { GATEWAY_PORT: String(options.port) };
  if (options.ledgerFile) env.GATEWAY_LEDGER_FILE = options.ledgerFile;
  for (const [fault, value] of Object.entries(options.faults ?? {})) {
    if (value !== undefined) env[FAULT_VARIABLES[fault as keyof FaultSettings]] = String(value);
  }
  const gateway = spawnManaged("gateway", process.execPath, [...tsxArgs(), GATEWAY_ENTRY], { output: options.output, env });
  const url = `http://127.0.0.1:${options.port}`;
  await readyOrStopped(gateway, () => waitFor("the mock gateway", httpOk(`${url}/health`), { process: gateway }));
  return Object.assign(gateway, { url });
}

export interface EndpointProcess extends ManagedProcess {
  url: string;
}

/** Starts a service endpoint (by default code/main.ts) and waits until it accepts connections. */
export async function startEndpoint(options: {
  port: number;
  gatewayUrl: string;
  output: Output;
  entry?: string;
  env?: Record<string, string>;
}): Promise<EndpointProcess> {
  const endpoint = spawnManaged("service", process.execPath, [...tsxArgs(), options.entry ?? PAYMENT_ENDPOINT], {
    output: options.output,
    env: { SERVICE_PORT: String(options.port), GATEWAY_URL: options.gatewayUrl, ...options.env },
  });
  await readyOrStopped(endpoint, () => waitFor("the service endpoint", tcpOpen(options.port), { process: endpoint }));
  return Object.assign(endpoint, { url: `http://127.0.0.1:${options.port}` });
}

function tsxArgs(): string[] {
  return ["--import", pathToFileURL(require.resolve("tsx")).href];
}

/**
 * Registers an endpoint with restate-server (service discovery). Re-registering
 * the same code is a no-op; changed handlers need `force` (fine in development,
 * where no in-flight invocation depends on a removed handler).
 */
export async function registerDeployment(adminUrl: string, endpointUrl: string, options: { log?: (line: string) => void } = {}) {
  const register = (force: boolean) =>
    fetch(`${adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: endpointUrl, force }),
      signal: AbortSignal.timeout(30_000),
    });
  let response = await register(false);
  if (response.status === 409 || response.status === 400) {
    const reason = await response.text();
    options.log?.(`the services changed since the last registration (${reason.slice(0, 200)}); registering again with force`);
    response = await register(true);
  }
  if (!response.ok) throw new Error(`registering ${endpointUrl} with ${adminUrl} failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; services: { name: string }[] };
}

// ---------------------------------------------------------------------------
// The whole stack.
// ---------------------------------------------------------------------------

export interface StackOptions {
  dataDir: string;
  ports: Ports & { node: number };
  output: (part: "restate" | "gateway" | "service") => Output;
  gatewayFaults?: Partial<FaultSettings>;
  gatewayLedgerFile?: string;
  restateEnv?: Record<string, string>;
  /** Endpoints to start and register; by default the payment service. */
  endpoints?: { entry: string; port: number; env?: Record<string, string> }[];
}

export interface Stack {
  ports: Ports & { node: number };
  ingressUrl: string;
  adminUrl: string;
  gatewayUrl: string;
  restate: RestateServer;
  gateway: GatewayProcess;
  endpoints: EndpointProcess[];
  /** Start the endpoint `index` again (after a kill), same port and entry. */
  startEndpointAgain(index?: number): Promise<EndpointProcess>;
  /** Start restate-server again on the same data dir and ports (after a stop or kill). */
  startRestateAgain(): Promise<RestateServer>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports } = options;
  const endpointSpecs = options.endpoints ?? [{ entry: PAYMENT_ENDPOINT, port: ports.service }];
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const launchRestate = () =>
    startRestateServer({
      dataDir: options.dataDir,
      ingressPort: ports.ingress,
      adminPort: ports.admin,
      nodePort: ports.node,
      output: options.output("restate"),
      env: options.restateEnv,
    });
  const launchEndpoint = (index: number) => {
    const spec = endpointSpecs[index];
    if (!spec) throw new Error(`no endpoint ${index}`);
    return startEndpoint({ port: spec.port, gatewayUrl, entry: spec.entry, env: spec.env, output: options.output("service") });
  };

  const launches = await Promise.allSettled<ManagedProcess>([
    launchRestate(),
    startGatewayProcess({
      port: ports.gateway,
      faults: options.gatewayFaults,
      ledgerFile: options.gatewayLedgerFile,
      output: options.output("gateway"),
    }),
    ...endpointSpecs.map((_, index) => launchEndpoint(index)),
  ]);
  const started = launches.flatMap((launch) => (launch.status === "fulfilled" ? [launch.value] : []));
  const failure = launches.find((launch): launch is PromiseRejectedResult => launch.status === "rejected");
  if (failure) {
    await Promise.all(started.map((p) => p.stop(5_000)));
    throw failure.reason;
  }
  const [restate, gateway, ...endpoints] = started as [RestateServer, GatewayProcess, ...EndpointProcess[]];
  try {
    for (const endpoint of endpoints) await registerDeployment(restate.adminUrl, endpoint.url);

    const stack: Stack = {
      ports,
      ingressUrl: restate.ingressUrl,
      adminUrl: restate.adminUrl,
      gatewayUrl,
      restate,
      gateway,
      endpoints,
      async startEndpointAgain(index = 0) {
        const endpoint = await launchEndpoint(index);
        stack.endpoints[index] = endpoint;
        return endpoint;
      },
      async startRestateAgain() {
        stack.restate = await launchRestate();
        return stack.restate;
      },
      async stop() {
        for (const endpoint of stack.endpoints) await endpoint.stop(5_000);
        await stack.gateway.stop(5_000);
        await stack.restate.stop(15_000);
      },
    };
    return stack;
  } catch (error) {
    await Promise.all(started.map((p) => p.stop(5_000)));
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Keeping the endpoints up: a crashed endpoint is started again.
// ---------------------------------------------------------------------------

/** More unexpected exits than this within a minute is a crash loop: give up rather than spin. */
const MAX_UNEXPECTED_EXITS_PER_MINUTE = 5;

export interface EndpointSupervisor {
  /**
   * SIGKILLs endpoint `index` by its PID, as a crash would, and resolves once
   * the supervisor has started it again (the playground's "crash mid-charge").
   */
  crash(index?: number): Promise<{ killedPid: number; restartedPid: number }>;
  /** Stops restarting; call it before stopping the stack. Waits for a restart under way. */
  stop(): Promise<void>;
}

/**
 * Starts an endpoint again, on the same port and entry, whenever it exits while
 * supervised; restate-server then retries the interrupted invocations on it.
 * Gives up, calling `onGiveUp`, when it cannot be started or keeps dying.
 */
export function superviseEndpoints(
  stack: Stack,
  options: { log: (line: string) => void; onGiveUp?: (error: Error) => void },
): EndpointSupervisor {
  let stopped = false;
  /** Per endpoint index: resolves with the next generation once the current one has exited and been replaced. */
  const nextGeneration = new Map<number, Promise<EndpointProcess | undefined>>();
  const restartsUnderWay = new Set<Promise<unknown>>();
  const killedOnPurpose = new Set<number>();
  const unexpectedExits: number[] = [];

  const giveUp = (error: Error) => {
    options.log(`giving up on the service endpoint: ${error.message}`);
    options.onGiveUp?.(error);
  };

  const watch = (index: number) => {
    const endpoint = stack.endpoints[index]!;
    const replaced = endpoint.exited.then(async ({ code, signal }) => {
      if (stopped) return undefined;
      const onPurpose = killedOnPurpose.delete(endpoint.pid);
      if (!onPurpose) {
        const now = Date.now();
        unexpectedExits.push(now);
        while (unexpectedExits[0]! < now - 60_000) unexpectedExits.shift();
        if (unexpectedExits.length > MAX_UNEXPECTED_EXITS_PER_MINUTE) {
          giveUp(new Error(`it exited ${unexpectedExits.length} times within a minute; last output:\n${endpoint.recentOutput()}`));
          return undefined;
        }
      }
      const why = onPurpose ? "was killed on purpose (SIGKILL)" : `exited unexpectedly (code ${code}, signal ${signal})`;
      options.log(`service endpoint (pid ${endpoint.pid}) ${why}; starting it again on ${endpoint.url}`);
      const restart = stack.startEndpointAgain(index);
      restartsUnderWay.add(restart);
      try {
        const next = await restart;
        options.log(`service endpoint is back (pid ${next.pid}); restate-server retries the interrupted invocations on it`);
        watch(index);
        return next;
      } catch (error) {
        giveUp(error as Error);
        return undefined;
      } finally {
        restartsUnderWay.delete(restart);
      }
    });
    nextGeneration.set(index, replaced);
  };
  stack.endpoints.forEach((_, index) => watch(index));

  return {
    async crash(index = 0) {
      const victim = stack.endpoints[index];
      const replaced = nextGeneration.get(index);
      if (!victim || !replaced) throw new Error(`no service endpoint ${index}`);
      if (stopped) throw new Error("the service endpoints are being stopped");
      killedOnPurpose.add(victim.pid);
      await victim.kill();
      const next = await replaced;
      if (!next) throw new Error("the service endpoint could not be started again; see the launcher's output");
      return { killedPid: victim.pid, restartedPid: next.pid };
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...restartsUnderWay]);
    },
  };
}

// ---------------------------------------------------------------------------
// `npm start`
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = performance.now();
  const ports = { ...portsFromEnv(), node: Number(process.env.NODE_PORT || 5122) };
  // The playground page lives in playground/; only `npm start` serves it, so only it loads it.
  const { startPlayground, playgroundPortFromEnv } = await import("../playground/server.js");
  const playgroundPort = playgroundPortFromEnv();
  const variables: Record<string, string> = { ...PORT_VARIABLES, node: "NODE_PORT", playground: "PLAYGROUND_PORT" };
  for (const [part, port] of Object.entries({ ...ports, playground: playgroundPort })) {
    if (await portInUse(port)) {
      console.error(`Port ${port} (${part}) is already in use. Stop whatever holds it, or choose another: ${variables[part]}=<port> npm start`);
      process.exit(1);
    }
  }
  const dataDir = path.resolve(REPO_ROOT, process.env.DATA_DIR || ".restate");
  console.log(`Starting restate-server (data in ${path.relative(process.cwd(), dataDir) || "."}/), the mock gateway and PaymentService...`);

  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      ports,
      gatewayLedgerFile: path.join(dataDir, "gateway-ledger.jsonl"),
      output: () => ({ kind: "terminal" }),
    });
  } catch (error) {
    console.error(`\nCould not start: ${(error as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  let playground: Awaited<ReturnType<typeof startPlayground>> | undefined;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping the service endpoint, the gateway and restate-server...`);
    await supervisor.stop();
    await playground?.close();
    await stack.stop();
    console.log("Stopped. Payments and the provider's ledger are kept in the data dir; `npm start` picks them up again.");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("Ctrl-C", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  for (const part of [stack.restate, stack.gateway]) {
    void part.exited.then(({ code, signal }) => {
      if (!stopping) void shutdown(`${part.name} exited unexpectedly (code ${code}, signal ${signal})`, 1);
    });
  }
  // A dead endpoint is started again instead: Restate retries its invocations, nothing is lost.
  const supervisor = superviseEndpoints(stack, {
    log: (line) => console.log(`[launcher] ${line}`),
    onGiveUp: () => void shutdown("The service endpoint could not be kept running", 1),
  });
  try {
    playground = await startPlayground({
      port: playgroundPort,
      ingressUrl: stack.ingressUrl,
      adminUrl: stack.adminUrl,
      gatewayUrl: stack.gatewayUrl,
      crashServiceEndpoint: () => supervisor.crash(0),
      log: (line) => console.log(`[playground] ${line}`),
    });
  } catch (error) {
    await shutdown(`Could not start the playground on port ${playgroundPort}: ${(error as Error).message}`, 1);
    return;
  }

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const id = "pay-1";
  console.log(`
Ready in ${seconds} s.
  Restate ingress     ${stack.ingressUrl}
  Restate UI / admin  ${stack.adminUrl}/ui/
  service endpoint    http://127.0.0.1:${ports.service}  (registered with restate-server)
  mock gateway        ${stack.gatewayUrl}  (ledger: ${stack.gatewayUrl}/v1/charges)
  playground          ${playground.url}  (watch idempotency happen in your browser)

Try it: run this twice, then look at the ledger: one charge.
  curl -s ${stack.ingressUrl}/PaymentService/${id}/create -H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{"amount": 10000, "currency": "USD", "source": "tok_visa"}'
  curl -s '${stack.gatewayUrl}/v1/charges?reference=${id}'
Or do it in the browser, faults and a crash included: ${playground.url}

Ctrl-C stops all three.`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
