import "core-js/actual/promise/with-resolvers.js";
// Serves HitCounter and ShotLog on SERVICE_PORT (default 9080), for the consumer tests and chapter 6.
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { hitCounter } from "./hit_counter.js";
import { shotLog } from "./shot_log.js";
import { portsFromEnv } from "./types.js";

const port = portsFromEnv().service;
http2.createServer(restate.createEndpointHandler({ services: [hitCounter, shotLog] })).listen(port, "127.0.0.1", () => console.log(`HitCounter endpoint on ${port}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
