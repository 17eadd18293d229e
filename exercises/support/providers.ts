// The exercises' mock providers in one process, one port, one path each:
//   http://127.0.0.1:9091/inventory   stock reservations
//   http://127.0.0.1:9091/mailer      emails
//   http://127.0.0.1:9091/topups      phone top-ups
// Each has its ledger, `Idempotency-Key` handling and `/admin/faults` + `/admin/reset`.
// The checker starts it for you; to experiment by hand: `npx tsx exercises/support/providers.ts`
// (port PROVIDERS_PORT, default 9091). Charges go through the payment gateway of code/mock_gateway.ts.
import type { Server } from "node:http";
import { pathToFileURL } from "node:url";
import express from "express";
import { portFromEnv } from "../../code/config.js";
import { createInventory } from "./inventory.js";
import { createMailer } from "./mailer.js";
import { createTopUps } from "./topups.js";

export const PROVIDER_PATHS = { inventory: "/inventory", mailer: "/mailer", topups: "/topups" } as const;

export function createProviders(options: { log?: (line: string) => void } = {}) {
  const log = options.log ?? (() => {});
  const inventory = createInventory({ log: (line) => log(`[inventory] ${line}`) });
  const mailer = createMailer({ log: (line) => log(`[mailer] ${line}`) });
  const topups = createTopUps({ log: (line) => log(`[topups] ${line}`) });
  const app = express();
  app.disable("x-powered-by");
  app.use(PROVIDER_PATHS.inventory, inventory.router);
  app.use(PROVIDER_PATHS.mailer, mailer.router);
  app.use(PROVIDER_PATHS.topups, topups.router);
  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.use((req, res) => {
    res.status(404).json({ error: { type: "invalid_request_error", code: "not_found", message: `No provider at ${req.path}: try ${Object.values(PROVIDER_PATHS).join(", ")}.` } });
  });
  return { app, inventory, mailer, topups };
}

export function providerUrlsFor(baseUrl: string) {
  return {
    inventory: `${baseUrl}${PROVIDER_PATHS.inventory}`,
    mailer: `${baseUrl}${PROVIDER_PATHS.mailer}`,
    topups: `${baseUrl}${PROVIDER_PATHS.topups}`,
  };
}

export function listenProviders(app: express.Express, port: number, host = "127.0.0.1"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = portFromEnv("providers");
  const host = process.env.PROVIDERS_HOST ?? "127.0.0.1";
  const { app } = createProviders({ log: (line) => console.log(line) });
  const server = await listenProviders(app, port, host);
  const urls = providerUrlsFor(`http://${host}:${port}`);
  console.log(`mock providers listening: inventory ${urls.inventory}, mailer ${urls.mailer}, top-ups ${urls.topups}`);
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
