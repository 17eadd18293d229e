// The stack the checks run against, orchestration/throwaway.ts's environment:
// a real restate-server, the mock payment gateway and the exercises' mock
// providers, on free ports, with data and logs in a temporary directory. One
// stack serves any number of exercise runs; each run adds its endpoint.
import * as path from "node:path";
import { MockGatewayClient } from "../../code/mock_admin_client.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { startGatewayProcess, startRestateServer } from "../../orchestration/parts.js";
import { startAllOrNone } from "../../orchestration/processes.js";
import { createThrowawayEnvironment, type Stoppable } from "../../orchestration/throwaway.js";
import type { ProviderUrls } from "../../exercises/support/env.js";
import { MockInventoryClient, MockMailerClient, MockTopUpClient } from "../../exercises/support/mock_clients.js";
import { providerUrlsFor } from "../../exercises/support/providers.js";
import { type RequestLedger, startRequestLedger } from "./request_ledger.js";
import { RestateCalls } from "./restate.js";

const PROVIDERS_ENTRY = path.join(REPO_ROOT, "exercises", "support", "providers.ts");

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

export type { Stoppable };

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
  const environment = createThrowawayEnvironment("idempotency-checker");
  const stopAll = () => {
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
    // What was owned last goes first: the learner's processes, the ledgers, then the stack's own processes.
    return environment.dispose();
  };
  // Without these a signal ends the checker at once: processes.ts would kill every child it started, but the
  // report would not say why.
  const signalHandlers = Object.entries(STOP_SIGNALS).map(([signal, number]) => {
    const handler = () => {
      options.interrupted?.(signal as NodeJS.Signals);
      void stopAll().finally(() => process.exit(128 + number));
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  const port = environment.freePort;
  const logPath = environment.logPath;

  const [ingressPort, adminPort, nodePort, gatewayPort, providersPort] = [await port(), await port(), await port(), await port(), await port()];
  progress("starting restate-server, the mock payment gateway and the mock providers");
  try {
    const started = await startAllOrNone([
      startRestateServer({ dataDir: path.join(environment.dir, "restate-data"), ingressPort, adminPort, nodePort, output: environment.output("restate") }),
      startGatewayProcess({ port: gatewayPort, output: environment.output("gateway") }),
      environment.startTsxService("providers", PROVIDERS_ENTRY, {
        env: { PROVIDERS_PORT: String(providersPort) },
        healthUrl: `http://127.0.0.1:${providersPort}/health`,
      }),
    ]);
    // The providers are owned as they start; restate-server and the gateway once both are up.
    for (const process of started.slice(0, 2)) environment.own(process);
    if (environment.disposed) throw new Error("the checker was stopped while its stack was starting");
  } catch (error) {
    await stopAll();
    throw error;
  }

  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const direct: ProviderUrls = { gateway: gatewayUrl, ...providerUrlsFor(`http://127.0.0.1:${providersPort}`) };
  const requests = { gateway: await startRequestLedger(gatewayUrl), providers: await startRequestLedger(`http://127.0.0.1:${providersPort}`) };
  for (const ledger of Object.values(requests)) environment.own({ stop: () => ledger.close() });
  const urls: ProviderUrls = { gateway: requests.gateway.url, ...providerUrlsFor(requests.providers.url) };
  return {
    dir: environment.dir,
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
    logTail: (name, lines = 40) => environment.logTail(name, lines),
    port,
    adopt: (process) => environment.own(process),
    get stopped() {
      return environment.disposed;
    },
    stop: stopAll,
  };
}
