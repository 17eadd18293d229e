// The operations drill's endpoint (chapter 10, "Clients and operators"): the
// same PaymentService handlers, with a retry policy that pauses an invocation
// after 3 failed attempts, about a second, instead of the service's 100 (about
// 8 minutes). Only the policy differs, so what the drill shows is what happens
// to the real service, sooner.
//
//   npx tsx code/drill_endpoint.ts          # listens on DRILL_PORT (default 9081)
//   npx restate deployments register http://localhost:9081 --yes
import "core-js/actual/promise/with-resolvers.js";
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { portFromEnv } from "./config.js";
import { paymentService } from "./payment_service.js";

export const DRILL_RETRY_POLICY = {
  initialInterval: 200,
  exponentiationFactor: 2,
  maxInterval: 1_000,
  maxAttempts: 3,
  onMaxAttempts: "pause",
} satisfies restate.RetryPolicy;

// restate.object() keeps the options it was given on the definition; only the retry policy is replaced.
const serviceOptions = (paymentService as { options?: restate.ObjectOptions }).options;
const drillPaymentService = { ...paymentService, options: { ...serviceOptions, retryPolicy: DRILL_RETRY_POLICY } };

const port = portFromEnv("drill");
const identityKeys = (process.env.RESTATE_IDENTITY_KEYS ?? "").split(",").map((key) => key.trim()).filter(Boolean);
const server = http2.createServer(restate.createEndpointHandler({ services: [drillPaymentService], identityKeys }));
server.listen(port, "127.0.0.1", () => console.log(`drill endpoint (PaymentService, pauses after ${DRILL_RETRY_POLICY.maxAttempts} attempts) on http://127.0.0.1:${port}`));
server.on("error", (error) => {
  console.error(`drill endpoint could not listen on port ${port}: ${error.message}`);
  process.exit(1);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
