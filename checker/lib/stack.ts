// The stack the checks run against, started with orchestration/'s functions:
// a real restate-server, the mock payment gateway and the exercises' mock
// providers, on free ports, with data and logs in a temporary directory. One
// stack serves any number of exercise runs; each run adds its endpoint.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { MockGatewayClient } from "../../code/mock_admin_client.js";
import { type ManagedProcess, spawnManaged, waitFor } from "../../orchestration/processes.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { freePort } from "../../orchestration/ports.js";
import { startGatewayProcess, startRestateServer } from "../../orchestration/parts.js";
import type { ProviderUrls } from "../../exercises/support/env.js";
import { MockInventoryClient, MockMailerClient, MockTopUpClient } from "../../exercises/support/mock_clients.js";
import { providerUrlsFor } from "../../exercises/support/providers.js";
import { type RequestLedger, startRequestLedger } from "./request_ledger.js";
import { RestateCalls } from "./restate.js";

const PROVIDERS_ENTRY = path.join(REPO_ROOT, "exercises", "support", "providers.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface CheckerStack {
  dir: string;
  ingressUrl: string;
  adminUrl: string;
  /** What the learner's code is given: the providers behind the counting doors of `requests`. */
  urls: ProviderUrls;
  /** The POSTs the learner's code sent to the gateway and to the providers. */
  requests: { gateway: RequestLedger; providers: RequestLedger };
  restate: RestateCalls;
  gateway: MockGatewayClient;
  inventory: MockInventoryClient;
  mailer: MockMailerClient;
  topups: MockTopUpClient;
  /** A log file in the stack's directory. */
  logPath(name: string): string;
  /** The last lines of a log file, for --verbose and failing tests. */
  logTail(name: string, lines?: number): string;
  /** A free port for an endpoint or app. */
  port(): Promise<number>;
  /**
   * A process a run started (the learner's endpoint, an app): stopped with the stack, whatever state the run is in
   * (a test hook that timed out stops the stack while a run goes on). Returns the function that forgets it.
   */
  adopt(process: Stoppable): () => void;
  /** True once stop() was called: a run must not start anything more. */
  readonly stopped: boolean;
  stop(): Promise<void>;
}

export interface Stoppable {
  stop(): Promise<void>;
}

/** The signals that stop the checker (Ctrl-C, a terminal closed, a CI runner or a test worker told to end). */
const STOP_SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

export async function startCheckerStack(
  options: {
    progress?: (line: string) => void;
    /** Said when a signal stops the checker, before the stack is stopped and the process exits with 128 + its number. */
    interrupted?: (signal: NodeJS.Signals) => void;
  } = {},
): Promise<CheckerStack> {
  const progress = options.progress ?? (() => {});
  const dir = mkdtempSync(path.join(tmpdir(), "idempotency-checker-"));
  const adopted = new Set<Stoppable>();
  const started: ManagedProcess[] = [];
  let ledgers: RequestLedger[] = [];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      stopped = true;
      for (const [signal, handler] of signalHandlers) process.off(signal, handler);
      try {
        // The learner's processes first, then the providers and the gateway: restate-server is the slowest to stop.
        await Promise.all([...adopted].map((process) => process.stop().catch(() => {})));
        await Promise.all(ledgers.map((ledger) => ledger.close().catch(() => {})));
        await Promise.all(started.slice(1).map((process) => process.stop(5_000)));
        await started[0]?.stop(15_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })());
  // Without these a signal ends the checker at once and leaves every process it started running, and its temp dir.
  const signalHandlers = Object.entries(STOP_SIGNALS).map(([signal, number]) => {
    const handler = () => {
      options.interrupted?.(signal as NodeJS.Signals);
      void stopAll().finally(() => process.exit(128 + number));
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  const logPath = (name: string) => path.join(dir, `${name}.log`);
  const taken = new Set<number>();
  const port = async () => {
    for (;;) {
      const candidate = await freePort();
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  };

  const [ingressPort, adminPort, nodePort, gatewayPort, providersPort] = [await port(), await port(), await port(), await port(), await port()];
  progress("starting restate-server, the mock payment gateway and the mock providers");
  const launching = [
    startRestateServer({
      dataDir: path.join(dir, "restate-data"),
      ingressPort,
      adminPort,
      nodePort,
      output: { kind: "file", path: logPath("restate") },
    }),
    startGatewayProcess({ port: gatewayPort, output: { kind: "file", path: logPath("gateway") } }),
    startProviders(providersPort, logPath("providers")),
  ];
  // Kept in order (restate-server first) as each one starts, so a signal meanwhile stops those already up.
  launching.forEach((launch, index) => void launch.then((process) => (started[index] = process), () => {}));
  const launches = await Promise.allSettled<ManagedProcess>(launching);
  const failure = launches.find((launch): launch is PromiseRejectedResult => launch.status === "rejected");
  if (failure || stopped) {
    await stopAll();
    throw failure?.reason ?? new Error("the checker was stopped while its stack was starting");
  }

  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const direct: ProviderUrls = { gateway: gatewayUrl, ...providerUrlsFor(`http://127.0.0.1:${providersPort}`) };
  const requests = { gateway: await startRequestLedger(gatewayUrl), providers: await startRequestLedger(`http://127.0.0.1:${providersPort}`) };
  ledgers = [requests.gateway, requests.providers];
  const urls: ProviderUrls = { gateway: requests.gateway.url, ...providerUrlsFor(requests.providers.url) };
  return {
    dir,
    ingressUrl,
    adminUrl,
    urls,
    requests,
    restate: new RestateCalls(ingressUrl, adminUrl),
    gateway: new MockGatewayClient(direct.gateway),
    inventory: new MockInventoryClient(direct.inventory),
    mailer: new MockMailerClient(direct.mailer),
    topups: new MockTopUpClient(direct.topups),
    logPath,
    logTail(name, lines = 40) {
      try {
        return readFileSync(logPath(name), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    port,
    adopt(process) {
      adopted.add(process);
      return () => adopted.delete(process);
    },
    get stopped() {
      return stopped;
    },
    stop: stopAll,
  };
}

async function startProviders(port: number, logFile: string): Promise<ManagedProcess> {
  const providers = spawnManaged("providers", process.execPath, ["--import", TSX, PROVIDERS_ENTRY], {
    output: { kind: "file", path: logFile },
    env: { PROVIDERS_PORT: String(port) },
  });
  await waitFor(
    "the mock providers",
    async () => (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).ok,
    { process: providers },
  );
  return providers;
}
