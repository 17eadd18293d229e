// The last step of both Restate launchers (`npm start`, `start:cluster`): keep
// the service endpoint up, serve the playground, and stop it all once, in
// order, on Ctrl-C, SIGTERM, or an endpoint that cannot be kept running.
import { type Playground, type PlaygroundOptions, startPlayground } from "../playground/server.js";
import { type Shutdown, shutdownOnSignals } from "./launch.js";
import type { ProcessRecord } from "./process_record.js";
import type { Stack } from "./single_node.js";
import { superviseEndpoints } from "./supervisor.js";

export interface ServeOptions {
  record: ProcessRecord;
  command: string;
  /** What the shutdown says it stops, e.g. "the service endpoint, the gateway and restate-server". */
  parts: string;
  stack: Pick<Stack, "endpoints" | "startEndpointAgain" | "stop">;
  playground: Omit<PlaygroundOptions, "crashServiceEndpoint" | "log">;
  log: (line: string) => void;
}

/** The launcher's one shutdown, and the playground it serves (the launcher exits when the playground cannot start). */
export async function superviseAndServePlayground(options: ServeOptions): Promise<{ shutdown: Shutdown; playground: Playground }> {
  let playground: Playground | undefined;
  const shutdown = shutdownOnSignals({
    record: options.record,
    command: options.command,
    parts: options.parts,
    stopParts: async () => {
      await supervisor.stop();
      await playground?.close();
      await options.stack.stop();
    },
  });
  // A dead endpoint is started again instead: Restate retries its invocations, nothing is lost.
  const supervisor = superviseEndpoints(options.stack, {
    log: options.log,
    onGiveUp: () => void shutdown("The service endpoint could not be kept running", 1),
  });
  try {
    playground = await startPlayground({
      ...options.playground,
      crashServiceEndpoint: () => supervisor.crash(0),
      log: (line) => console.log(`[playground] ${line}`),
    });
  } catch (error) {
    await shutdown(`Could not start the playground on port ${options.playground.port}: ${(error as Error).message}`, 1);
  }
  return { shutdown, playground: playground! };
}
