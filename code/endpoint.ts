// The service endpoint: the HTTP/2 server that restate-server calls to run
// PaymentService handlers. Start it with `npx tsx code/endpoint.ts`, then register
// it with restate-server (`npm start` does both for you).

// SDK 1.17 calls Promise.withResolvers, which Node 20 lacks (Node 22 has it).
import "core-js/actual/promise/with-resolvers.js";
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { oneLineLogger } from "./logger.js";
import { paymentService } from "./payment_service.js";
import { portsFromEnv } from "./config.js";

const port = portsFromEnv().service;
const host = process.env.SERVICE_HOST ?? "127.0.0.1";

// Accept only requests signed by our restate-server: otherwise anyone who can reach this port can run
// handlers around Restate's journal and idempotency. `npm start` sets the key; unset, the SDK warns.
const identityKeys = (process.env.RESTATE_IDENTITY_KEYS ?? "").split(",").map((key) => key.trim()).filter(Boolean);

const server = http2.createServer(restate.createEndpointHandler({ services: [paymentService], identityKeys, logger: oneLineLogger() }));
server.listen(port, host, () => {
  console.log(`PaymentService endpoint listening on http://${host}:${port}`);
});
server.on("error", (error) => {
  console.error(`PaymentService endpoint could not listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});

// In-flight invocations need no draining: restate-server retries them on the next endpoint.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
