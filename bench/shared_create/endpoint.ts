// The endpoint of the benchmark's shared-create variant (payment_service.ts
// beside this file): `npm run bench` starts it in place of code/endpoint.ts.
import "core-js/actual/promise/with-resolvers.js";
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { portsFromEnv } from "../../code/config.js";
import { sharedCreatePaymentService } from "./payment_service.js";

const identityKeys = (process.env.RESTATE_IDENTITY_KEYS ?? "").split(",").map((key) => key.trim()).filter(Boolean);
const port = portsFromEnv().service;
http2
  .createServer(restate.createEndpointHandler({ services: [sharedCreatePaymentService], identityKeys }))
  .listen(port, "127.0.0.1", () => console.log(`PaymentService (shared create) endpoint listening on http://127.0.0.1:${port}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
