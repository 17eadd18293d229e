// `npm run start:handrolled`: the mock gateway and the hand-rolled PostgreSQL
// PaymentService (PGlite, data under .restate/handrolled/, or the server at
// DATABASE_URL). Ctrl-C stops both by PID; the data stays for the next start.
import * as path from "node:path";
import { portsFromEnv } from "../code/types.js";
import { DEFAULT_HANDROLLED_PORT, type HandrolledProcess, startHandrolled } from "./handrolled.js";
import { startGatewayProcess, type GatewayProcess } from "./parts.js";
import { REPO_ROOT } from "./paths.js";
import { portInUse } from "./ports.js";

const startedAt = performance.now();
const port = Number(process.env.HANDROLLED_PORT || DEFAULT_HANDROLLED_PORT);
const gatewayPort = portsFromEnv().gateway;
const dataRoot = path.resolve(REPO_ROOT, process.env.DATA_DIR || ".restate");
const dataDir = path.join(dataRoot, "handrolled");

for (const [part, used, variable] of [["hand-rolled service", port, "HANDROLLED_PORT"], ["mock gateway", gatewayPort, "GATEWAY_PORT"]] as const) {
  if (await portInUse(used)) {
    console.error(`Port ${used} (${part}) is already in use. Stop whatever holds it, or choose another: ${variable}=<port> npm run start:handrolled`);
    process.exit(1);
  }
}

const where = process.env.DATABASE_URL ? "the PostgreSQL server at DATABASE_URL" : `PGlite, data in ${path.relative(process.cwd(), dataDir)}/`;
console.log(`Starting the mock gateway and the hand-rolled PaymentService (${where})...`);
let gateway: GatewayProcess | undefined;
let service: HandrolledProcess | undefined;
let stopping = false;
const shutdown = async (reason: string, code: number) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping the hand-rolled service and the mock gateway...`);
  await service?.stop();
  await gateway?.stop();
  console.log("Stopped. Payments and the provider's ledger are kept; `npm run start:handrolled` picks them up again.");
  process.exit(code);
};
process.on("SIGINT", () => void shutdown("Ctrl-C", 0));
process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

try {
  gateway = await startGatewayProcess({ port: gatewayPort, output: { kind: "terminal" }, ledgerFile: path.join(dataDir, "gateway-ledger.jsonl") });
  service = await startHandrolled({
    port,
    gatewayUrl: gateway.url,
    output: { kind: "terminal" },
    dataDir: process.env.DATABASE_URL ? undefined : path.join(dataDir, "pglite"),
    databaseUrl: process.env.DATABASE_URL,
    variant: process.env.HANDROLLED_VARIANT === "naive" ? "naive" : "phased",
    log: (line) => console.log(line),
  });
} catch (error) {
  await shutdown(`Could not start: ${(error as Error).message}`, 1);
}
for (const part of [gateway!, service!]) {
  void part.exited.then(({ code, signal }) => {
    if (!stopping) void shutdown(`${part.name} exited unexpectedly (code ${code}, signal ${signal})`, 1);
  });
}

const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
console.log(`
Ready in ${seconds} s.
  hand-rolled PaymentService  ${service!.url}  (same paths as the Restate ingress; Idempotency-Key required)
  mock gateway                ${gateway!.url}  (ledger: ${gateway!.url}/v1/charges)

Try it: run this twice (the second answer carries Idempotent-Replayed: true), then look at the ledger: one charge.
  curl -si ${service!.url}/PaymentService/hr-1/create -H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{"amount": 10000, "currency": "USD", "source": "tok_visa"}'
  curl -s '${gateway!.url}/v1/charges?reference=hr-1'

Ctrl-C stops both.`);
