import "core-js/actual/promise/with-resolvers.js";
// Exercise 4: a plain express charge API (no Restate in front of it), made safe
// to retry by the idempotency middleware. The checker starts it once per store:
// in memory, in Restate, in PostgreSQL (see the variables in
// exercises/support/charge_api_contract.ts). Read README.md first.
import { randomUUID } from "node:crypto";
import express, { type Request, type Response } from "express";
import { z } from "zod";
import { GatewayClient } from "../../code/gateway_client.js";
import { ProviderRejection } from "../../code/provider_client.js";
import { gatewayUrlFromEnv, portFromEnv, portsFromEnv } from "../../code/config.js";
import { APP_ENV, ChargeApiRequest, type ChargeApiResponse, DEFAULT_PG_DATA_DIR, DEFAULT_TTL_MS } from "../support/charge_api_contract.js";
import { idempotency } from "./middleware.js";
import { PostgresStore } from "./postgres_store.js";
import { RestateStore } from "./restate_store.js";
import { type IdempotencyStore, InMemoryStore } from "./store.js";

const env = (name: string) => process.env[name] || undefined;

export function createApp(store: IdempotencyStore, options: { gatewayUrl: string; ttlMs: number }): express.Express {
  const gateway = new GatewayClient(options.gatewayUrl);
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json());
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.post("/charges", idempotency(store, { ttlMs: options.ttlMs }), async (req: Request, res: Response) => {
    const parsed = ChargeApiRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: { code: "invalid_request", message: z.prettifyError(parsed.error) } });
      return;
    }
    try {
      // TODO(exercise): a new random key per attempt means a retry after a lost answer charges
      // again. Derive the gateway's key from what identifies this request.
      const charge = await gateway.charge({ ...parsed.data }, randomUUID());
      const body: ChargeApiResponse = { id: charge.id, amount: charge.amount, currency: charge.currency, reference: charge.reference, status: "succeeded" };
      res.status(201).json(body);
    } catch (error) {
      if (error instanceof ProviderRejection) {
        res.status(error.status === 402 ? 402 : 400).json({ error: { code: error.code, message: error.message } });
        return;
      }
      res.status(503).json({ error: { code: "provider_unavailable", message: `The payment provider did not answer; retry with the same Idempotency-Key. (${(error as Error).message})` } });
    }
  });
  return app;
}

async function storeFromEnv(): Promise<IdempotencyStore> {
  const kind = env(APP_ENV.store) ?? "memory";
  if (kind === "memory") return new InMemoryStore();
  if (kind === "restate") return new RestateStore(env(APP_ENV.ingressUrl) ?? `http://127.0.0.1:${portsFromEnv().ingress}`);
  if (kind === "postgres") {
    const dataDir = env(APP_ENV.pgDataDir) ?? DEFAULT_PG_DATA_DIR;
    console.log(`opening the PostgreSQL (PGlite) database in ${dataDir} (a new one takes a few seconds)...`);
    return await PostgresStore.open(dataDir);
  }
  throw new Error(`${APP_ENV.store}=${kind}: use "memory", "restate" or "postgres"`);
}

const port = portFromEnv("app");
const ttlMs = Number(env(APP_ENV.ttlMs) ?? DEFAULT_TTL_MS);
// Listens only once the store is ready (the PostgreSQL one opens its database first).
const store = await storeFromEnv();
const app = createApp(store, { gatewayUrl: gatewayUrlFromEnv(), ttlMs });
app.listen(port, "127.0.0.1", (error?: Error) => {
  if (error) {
    console.error(`the charge API could not listen on ${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`charge API (${env(APP_ENV.store) ?? "memory"} store, keys kept ${ttlMs} ms) on http://127.0.0.1:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
