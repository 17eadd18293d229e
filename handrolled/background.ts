// The background jobs of the design: the completer finishes requests whose
// process died (a key locked longer ago than the lease), the reconciler resumes
// requests whose provider answer was lost (a parked key, RECONCILE_AFTER_MS
// after its last try: it looks the charge or refund up, then adopts it, sends
// it again or settles it), the reaper forgets finished keys after the
// retention. All run in the service process, on timers.
import { reconcileSettingsFromEnv } from "../code/types.js";
import type { Database } from "./database.js";
import { abandonedKeys, claimAbandoned, claimUnconfirmed, FINISHED, type KeyRow, reapKeys, unconfirmedKeys } from "./idempotency_keys.js";
import type { GatewayClient } from "./provider.js";
import { requestFromPath } from "./requests.js";
import { runPhases } from "./service.js";

export interface BackgroundOptions {
  leaseMs: number;
  retentionMs: number;
  completerIntervalMs: number;
  reaperIntervalMs: number;
  /** How long a parked key waits between lookups; RECONCILE_AFTER_MS (as the Restate service reads it) when unset. */
  reconcileAfterMs?: number;
}

export async function completeAbandoned(db: Database, gateway: GatewayClient, leaseMs: number): Promise<number> {
  return resumeKeys(db, gateway, leaseMs, await abandonedKeys(db, leaseMs), (id) => claimAbandoned(db, id, leaseMs));
}

/** Resumes keys parked after a lost answer; counts those that got their final answer. */
export async function reconcileUnconfirmed(db: Database, gateway: GatewayClient, leaseMs: number, afterMs: number): Promise<number> {
  return resumeKeys(db, gateway, leaseMs, await unconfirmedKeys(db, afterMs), (id) => claimUnconfirmed(db, id, afterMs));
}

async function resumeKeys(db: Database, gateway: GatewayClient, leaseMs: number, ids: string[], claim: (id: string) => Promise<KeyRow | undefined>) {
  let finished = 0;
  for (const id of ids) {
    const key = await claim(id);
    if (!key) continue; // a client's retry took it first
    await runPhases(db, gateway, key, requestFromPath(key.request_path, key.request_params), leaseMs);
    if (key.recovery_point === FINISHED) finished++;
  }
  return finished;
}

export function startBackgroundJobs(db: Database, gateway: GatewayClient, options: BackgroundOptions): () => Promise<void> {
  const reconcileAfterMs = options.reconcileAfterMs ?? reconcileSettingsFromEnv().reconcileAfterMs;
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
    // Looks for due keys as often as the completer looks for abandoned ones; each key waits reconcileAfterMs.
    every(options.completerIntervalMs, "reconciler", () => reconcileUnconfirmed(db, gateway, options.leaseMs, reconcileAfterMs), "settled lost answers:"),
    every(options.reaperIntervalMs, "reaper", () => reapKeys(db, options.retentionMs), "deleted expired keys:"),
  ];
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.all(inFlight);
  };
}
