// Serves an exercise's Restate services on SERVICE_PORT (default 9080), like
// code/endpoint.ts does for PaymentService. Each exercise's endpoint.ts calls it.
// (endpoint.ts itself must import the Promise.withResolvers polyfill first.)
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { portsFromEnv } from "../../code/config.js";
import { replayBeforeAnswering } from "./replay_before_answering.js";

type Services = Parameters<typeof restate.createEndpointHandler>[0]["services"];

export function serve(title: string, services: Services): http2.Http2Server {
  const port = portsFromEnv().service;
  const host = process.env.SERVICE_HOST ?? "127.0.0.1";
  // REPLAY_EVERY_STEP=1 (the checker sets it): request-response mode, as on AWS Lambda. The endpoint answers
  // each request as soon as it needs something from restate-server (a ctx.run's result acknowledged, a call's
  // answer, a timer), and restate-server sends the invocation again with its journal so far: every handler
  // replays from the top after every step, as it would after a crash or a suspension in production; and once more
  // after its last step, before its answer is recorded (replay_before_answering.ts).
  const bidirectional = process.env.REPLAY_EVERY_STEP !== "1";
  const served = bidirectional ? services : services.map(replayBeforeAnswering);
  const server = http2.createServer(restate.createEndpointHandler({ services: served, bidirectional }));
  server.listen(port, host, () => {
    console.log(`${title}: endpoint listening on http://${host}:${port}`);
  });
  server.on("error", (error) => {
    console.error(`${title}: endpoint could not listen on ${host}:${port}: ${error.message}`);
    process.exit(1);
  });
  // In-flight invocations need no draining: restate-server retries them on the next endpoint.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
  return server;
}
