// `npm start`: a real restate-server (data under .restate/), the mock gateway,
// the service endpoint and the playground on loopback; the endpoint registered
// as a deployment; Ctrl-C stops them all. A start after a crashed launcher
// first stops what that launcher left running (see process_record.ts).
import * as path from "node:path";
import { PORT_VARIABLES, portsFromEnv } from "../code/types.js";
import { playgroundPortFromEnv, startPlayground } from "../playground/server.js";
import { REPO_ROOT } from "./paths.js";
import { portInUse } from "./ports.js";
import { ProcessRecord, stopLeftovers } from "./process_record.js";
import { onEverySpawn } from "./processes.js";
import { type Stack, startStack } from "./stack.js";
import { superviseEndpoints } from "./supervisor.js";

const startedAt = performance.now();
const launcherLog = (line: string) => console.log(`[launcher] ${line}`);
const ports = { ...portsFromEnv(), node: Number(process.env.NODE_PORT || 5122) };
const playgroundPort = playgroundPortFromEnv();
const dataDir = path.resolve(REPO_ROOT, process.env.DATA_DIR || ".restate");

try {
  await stopLeftovers(dataDir, launcherLog);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const variables: Record<string, string> = { ...PORT_VARIABLES, node: "NODE_PORT", playground: "PLAYGROUND_PORT" };
for (const [part, port] of Object.entries({ ...ports, playground: playgroundPort })) {
  if (await portInUse(port)) {
    console.error(`Port ${port} (${part}) is already in use. Stop whatever holds it, or choose another: ${variables[part]}=<port> npm start`);
    process.exit(1);
  }
}

console.log(`Starting restate-server (data in ${path.relative(process.cwd(), dataDir) || "."}/), the mock gateway and PaymentService...`);
const record = await ProcessRecord.create(dataDir);
onEverySpawn((child) => record.track(child));

let stack: Stack;
try {
  stack = await startStack({
    dataDir,
    ports,
    gatewayLedgerFile: path.join(dataDir, "gateway-ledger.jsonl"),
    output: () => ({ kind: "terminal" }),
    log: launcherLog,
  });
} catch (error) {
  console.error(`\nCould not start: ${(error as Error).message}`);
  record.remove();
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
  record.remove();
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
  log: launcherLog,
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
}

const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
const id = "pay-1";
console.log(`
Ready in ${seconds} s.
  Restate ingress     ${stack.ingressUrl}
  Restate UI / admin  ${stack.adminUrl}/ui/
  service endpoint    http://127.0.0.1:${ports.service}  (registered with restate-server)
  mock gateway        ${stack.gatewayUrl}  (ledger: ${stack.gatewayUrl}/v1/charges)
  playground          ${playground!.url}  (watch idempotency happen in your browser)

Try it: run this twice, then look at the ledger: one charge.
  curl -s ${stack.ingressUrl}/PaymentService/${id}/create -H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{"amount": 10000, "currency": "USD", "source": "tok_visa"}'
  curl -s '${stack.gatewayUrl}/v1/charges?reference=${id}'
Or do it in the browser, faults and a crash included: ${playground!.url}

Ctrl-C stops all three.`);
