// The hand-rolled payment service's entry: `npx tsx handrolled/server.ts`.
// PGlite in HANDROLLED_DATA_DIR (in memory when unset), or the PostgreSQL
// server at DATABASE_URL; migrations run first, then the API and the
// completer and reaper. HANDROLLED_VARIANT=naive serves the naive variant.
import { GatewayClient } from "../code/gateway_client.js";
import { gatewayUrlFromEnv, portFromEnv } from "../code/config.js";
import { paymentApp } from "./app.js";
import { startBackgroundJobs } from "./background.js";
import { openDatabase } from "./database.js";
import { naiveHandler } from "./naive.js";
import { migrate } from "./schema.js";
import { phasedHandler } from "./service.js";

const env = process.env;
const port = portFromEnv("handrolled");
const variant = env.HANDROLLED_VARIANT ?? "phased";
if (variant !== "phased" && variant !== "naive") throw new Error(`HANDROLLED_VARIANT=${variant}: expected "phased" or "naive"`);
const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
/**
 * How old a key's lock must be before a retry or the completer takes the request over. Longer than one request whose
 * provider answers (8 attempts, 7.1 s of back-off), but not than its worst case, a provider that never answers
 * (8 × 10 s timeouts + 7.1 s, about 87 s): such a request can be taken over while it still runs, and then the
 * provider key derived from the payment id is what keeps the two from charging twice.
 */
const leaseMs = number("HANDROLLED_LEASE_MS", 30_000);

console.log(
  env.DATABASE_URL
    ? "connecting to PostgreSQL at DATABASE_URL..."
    : `opening the PostgreSQL (PGlite) database ${env.HANDROLLED_DATA_DIR ? `in ${env.HANDROLLED_DATA_DIR}` : "in memory"} (a new one takes a few seconds)...`,
);
const db = await openDatabase({ url: env.DATABASE_URL, dataDir: env.HANDROLLED_DATA_DIR });
console.log("running the migrations...");
await migrate(db);
const gateway = new GatewayClient(gatewayUrlFromEnv());
const handler = variant === "naive" ? naiveHandler(db, gateway, leaseMs) : phasedHandler(db, gateway, leaseMs);
const stopJobs =
  variant === "naive"
    ? async () => undefined
    : startBackgroundJobs(db, gateway, {
        leaseMs,
        retentionMs: number("HANDROLLED_KEY_RETENTION_MS", 24 * 3600_000),
        completerIntervalMs: number("HANDROLLED_COMPLETER_INTERVAL_MS", 1_000),
        reaperIntervalMs: number("HANDROLLED_REAPER_INTERVAL_MS", 60_000),
      });

const server = paymentApp(db, handler).listen(port, "127.0.0.1", () => {
  console.log(`hand-rolled PaymentService (${variant}, ${db.kind}) listening on http://127.0.0.1:${port}`);
});
server.on("error", (error) => {
  console.error(`hand-rolled PaymentService could not listen on port ${port}: ${error.message}`);
  process.exit(1);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    server.close();
    await stopJobs();
    await db.close(); // PGlite flushes and closes its data dir cleanly
    process.exit(0);
  });
}
