// Keeping the endpoints up: a crashed endpoint is started again, and
// restate-server retries the interrupted invocations on it.
import type { EndpointProcess } from "./parts.js";
import type { Stack } from "./single_node.js";

/** More unexpected exits than this within a minute is a crash loop: give up rather than spin. */
const MAX_UNEXPECTED_EXITS_PER_MINUTE = 5;

export interface EndpointSupervisor {
  /**
   * SIGKILLs endpoint `index` by its PID, as a crash would, and resolves once
   * the supervisor has started it again (the playground's "crash mid-charge").
   */
  crash(index?: number): Promise<{ killedPid: number; restartedPid: number }>;
  /** Stops restarting; call it before stopping the stack. Waits for a restart under way. */
  stop(): Promise<void>;
}

/**
 * Starts an endpoint again, on the same port and entry, whenever it exits while
 * supervised; restate-server then retries the interrupted invocations on it.
 * Gives up, calling `onGiveUp`, when it cannot be started or keeps dying.
 */
export function superviseEndpoints(
  stack: Pick<Stack, "endpoints" | "startEndpointAgain">,
  options: { log: (line: string) => void; onGiveUp?: (error: Error) => void },
): EndpointSupervisor {
  let stopped = false;
  /** Per endpoint index: resolves with the next generation once the current one has exited and been replaced. */
  const nextGeneration = new Map<number, Promise<EndpointProcess | undefined>>();
  const restartsUnderWay = new Set<Promise<unknown>>();
  const killedOnPurpose = new Set<number>();
  const unexpectedExits: number[] = [];

  const giveUp = (error: Error) => {
    options.log(`giving up on the service endpoint: ${error.message}`);
    options.onGiveUp?.(error);
  };

  const watch = (index: number) => {
    const endpoint = stack.endpoints[index]!;
    const replaced = endpoint.exited.then(async ({ code, signal }) => {
      if (stopped) return undefined;
      const onPurpose = killedOnPurpose.delete(endpoint.pid);
      if (!onPurpose) {
        const now = Date.now();
        unexpectedExits.push(now);
        while (unexpectedExits[0]! < now - 60_000) unexpectedExits.shift();
        if (unexpectedExits.length > MAX_UNEXPECTED_EXITS_PER_MINUTE) {
          giveUp(new Error(`it exited ${unexpectedExits.length} times within a minute; last output:\n${endpoint.recentOutput()}`));
          return undefined;
        }
      }
      const why = onPurpose ? "was killed on purpose (SIGKILL)" : `exited unexpectedly (code ${code}, signal ${signal})`;
      options.log(`service endpoint (pid ${endpoint.pid}) ${why}; starting it again on ${endpoint.url}`);
      const restart = stack.startEndpointAgain(index);
      restartsUnderWay.add(restart);
      try {
        const next = await restart;
        options.log(`service endpoint is back (pid ${next.pid}); restate-server retries the interrupted invocations on it`);
        watch(index);
        return next;
      } catch (error) {
        giveUp(error as Error);
        return undefined;
      } finally {
        restartsUnderWay.delete(restart);
      }
    });
    nextGeneration.set(index, replaced);
  };
  stack.endpoints.forEach((_, index) => watch(index));

  return {
    async crash(index = 0) {
      const victim = stack.endpoints[index];
      const replaced = nextGeneration.get(index);
      if (!victim || !replaced) throw new Error(`no service endpoint ${index}`);
      if (stopped) throw new Error("the service endpoints are being stopped");
      killedOnPurpose.add(victim.pid);
      await victim.kill();
      const next = await replaced;
      if (!next) throw new Error("the service endpoint could not be started again; see the launcher's output");
      return { killedPid: victim.pid, restartedPid: next.pid };
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...restartsUnderWay]);
    },
  };
}
