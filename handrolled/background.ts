// The two background jobs of the design: the completer finishes requests whose
// process died (a key locked longer ago than the lease), the reaper forgets
// finished keys after the retention. Both run in the service process, on timers.
import type { Database } from "./database.js";
import { abandonedKeys, claimAbandoned, reapKeys } from "./idempotency_keys.js";
import type { GatewayClient } from "./provider.js";
import { requestFromPath } from "./requests.js";
import { runPhases } from "./service.js";

export interface BackgroundOptions {
  leaseMs: number;
  retentionMs: number;
  completerIntervalMs: number;
  reaperIntervalMs: number;
}

export async function completeAbandoned(db: Database, gateway: GatewayClient, leaseMs: number): Promise<number> {
  let completed = 0;
  for (const id of await abandonedKeys(db, leaseMs)) {
    const key = await claimAbandoned(db, id, leaseMs);
    if (!key) continue; // a client's retry took it first
    await runPhases(db, gateway, key, requestFromPath(key.request_path, key.request_params), leaseMs);
    completed++;
  }
  return completed;
}

export function startBackgroundJobs(db: Database, gateway: GatewayClient, options: BackgroundOptions): () => Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  const every = (intervalMs: number, name: string, job: () => Promise<number>, verb: string) => {
    let busy = false; // a slow round (provider retries) is not stacked up behind itself
    return setInterval(() => {
      if (busy) return;
      busy = true;
      const round = job()
        .then(
          (count) => count > 0 && console.log(`${name}: ${verb} ${count}`),
          // A provider outage is an outcome, not a throw (provider.ts): what lands here is unexpected, so its stack says where.
          (error: Error) => console.error(`${name} failed: ${error.stack ?? error.message}`),
        )
        .finally(() => {
          busy = false;
          inFlight.delete(round);
        });
      inFlight.add(round);
    }, intervalMs);
  };
  const timers = [
    every(options.completerIntervalMs, "completer", () => completeAbandoned(db, gateway, options.leaseMs), "finished abandoned requests:"),
    every(options.reaperIntervalMs, "reaper", () => reapKeys(db, options.retentionMs), "deleted expired keys:"),
  ];
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.all(inFlight);
  };
}
