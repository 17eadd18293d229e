// `npm start`: a real restate-server (data under .restate/), the mock gateway,
// the service endpoint and the playground on loopback; the endpoint registered
// as a deployment; Ctrl-C stops them all. A start after a crashed launcher
// first stops what that launcher left running (see process_record.ts).
import * as path from "node:path";
import { PORT_VARIABLE, dataDirFromEnv, portFromEnv, portsFromEnv } from "../code/config.js";
import { beginLaunch, startOrExit } from "./launch.js";
import { REPO_ROOT } from "./paths.js";
import { superviseAndServePlayground } from "./serve_playground.js";
import { startStack } from "./single_node.js";

const startedAt = performance.now();
const launcherLog = (line: string) => console.log(`[launcher] ${line}`);
const ports = { ...portsFromEnv(), node: portFromEnv("node") };
const playgroundPort = portFromEnv("playground");
const dataDir = dataDirFromEnv(REPO_ROOT);

const record = await beginLaunch({
  dataDir,
  command: "npm start",
  ports: Object.entries({ ...ports, playground: playgroundPort }).map(([part, port]) => ({ part, port, variable: PORT_VARIABLE[part as keyof typeof PORT_VARIABLE] })),
  log: launcherLog,
});

console.log(`Starting restate-server (data in ${path.relative(process.cwd(), dataDir) || "."}/), the mock gateway and PaymentService...`);
const stack = await startOrExit(record, () =>
  startStack({
    dataDir,
    ports,
    gatewayLedgerFile: path.join(dataDir, "gateway-ledger.jsonl"),
    output: () => ({ kind: "terminal" }),
    log: launcherLog,
  }),
);

const { shutdown, playground } = await superviseAndServePlayground({
  record,
  command: "npm start",
  parts: "the service endpoint, the gateway and restate-server",
  stack,
  playground: { port: playgroundPort, ingressUrl: stack.ingressUrl, adminUrl: stack.adminUrl, gatewayUrl: stack.gatewayUrl },
  log: launcherLog,
});
for (const part of [stack.restate, stack.gateway]) {
  void part.exited.then(({ code, signal }) => {
    if (!shutdown.stopping) void shutdown(`${part.name} exited unexpectedly (code ${code}, signal ${signal})`, 1);
  });
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

Ctrl-C stops all four.`);
