import "core-js/actual/promise/with-resolvers.js";
// Serves HitCounter and ShotLog (chapter 9's Restate consumers) on SERVICE_PORT (default 9080), for
// test/crash_matrix/restate_consumers.test.ts. Like code/endpoint.ts, it accepts only requests signed with
// RESTATE_IDENTITY_KEYS when those are set.
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { hitCounter } from "./hit_counter.js";
import { shotLog } from "./shot_log.js";
import { portsFromEnv } from "./config.js";

const port = portsFromEnv().service;
const identityKeys = (process.env.RESTATE_IDENTITY_KEYS ?? "").split(",").map((key) => key.trim()).filter(Boolean);
http2
  .createServer(restate.createEndpointHandler({ services: [hitCounter, shotLog], identityKeys }))
  .listen(port, "127.0.0.1", () => console.log(`HitCounter and ShotLog endpoint on http://127.0.0.1:${port}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
