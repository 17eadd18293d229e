// `npm run start:handrolled`: the mock gateway and the hand-rolled PostgreSQL
// PaymentService (PGlite, data under .restate/handrolled/, or the server at
// DATABASE_URL), on the launchers' shared lifecycle (launch.ts): a start after
// a crashed launcher first stops what it left running, and Ctrl-C stops both.
// The data stays for the next start.
import * as path from "node:path";
import { PORT_VARIABLE, dataDirFromEnv, portFromEnv } from "../code/config.js";
import { type HandrolledProcess, startHandrolled } from "./handrolled.js";
import { beginLaunch, shutdownOnSignals, startOrExit } from "./launch.js";
import { type GatewayProcess, startGatewayProcess } from "./parts.js";
import { REPO_ROOT } from "./paths.js";

const COMMAND = "npm run start:handrolled";
const startedAt = performance.now();
const port = portFromEnv("handrolled");
const gatewayPort = portFromEnv("gateway");
const dataDir = path.join(dataDirFromEnv(REPO_ROOT), "handrolled");
const databaseUrl = process.env.DATABASE_URL || undefined;

const record = await beginLaunch({
  dataDir,
  command: COMMAND,
  ports: [
    { part: "hand-rolled service", port, variable: PORT_VARIABLE.handrolled },
    { part: "mock gateway", port: gatewayPort, variable: PORT_VARIABLE.gateway },
  ],
  log: (line) => console.log(`[launcher] ${line}`),
});

const where = databaseUrl ? "the PostgreSQL server at DATABASE_URL" : `PGlite, data in ${path.relative(process.cwd(), dataDir)}/`;
console.log(`Starting the mock gateway and the hand-rolled PaymentService (${where})...`);
const { gateway, service } = await startOrExit(record, async () => {
  const gateway = await startGatewayProcess({ port: gatewayPort, output: { kind: "terminal" }, ledgerFile: path.join(dataDir, "gateway-ledger.jsonl") });
  try {
    const service = await startHandrolled({
      port,
      gatewayUrl: gateway.url,
      output: { kind: "terminal" },
      dataDir: databaseUrl ? undefined : path.join(dataDir, "pglite"),
      databaseUrl,
      variant: process.env.HANDROLLED_VARIANT === "naive" ? "naive" : "phased",
      log: (line) => console.log(line),
    });
    return { gateway, service };
  } catch (error) {
    await gateway.stop();
    throw error;
  }
});

const shutdown = shutdownOnSignals({
  record,
  command: COMMAND,
  parts: "the hand-rolled service and the mock gateway",
  stopParts: async () => {
    await service.stop();
    await gateway.stop();
  },
});
for (const part of [gateway, service] as (GatewayProcess | HandrolledProcess)[]) {
  void part.exited.then(({ code, signal }) => {
    if (!shutdown.stopping) void shutdown(`${part.name} exited unexpectedly (code ${code}, signal ${signal})`, 1);
  });
}

const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
console.log(`
Ready in ${seconds} s.
  hand-rolled PaymentService  ${service.url}  (same paths as the Restate ingress; Idempotency-Key required)
  mock gateway                ${gateway.url}  (ledger: ${gateway.url}/v1/charges)

Try it: run this twice (the second answer carries Idempotent-Replayed: true), then look at the ledger: one charge.
  curl -si ${service.url}/PaymentService/hr-1/create -H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{"amount": 10000, "currency": "USD", "source": "tok_visa"}'
  curl -s '${gateway.url}/v1/charges?reference=hr-1'

Ctrl-C stops both.`);
