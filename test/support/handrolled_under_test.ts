// The hand-rolled service a test file runs against: orchestration/throwaway.ts's
// (the mock gateway and the service on free ports, PGlite's data, or a
// PostgreSQL server's database, kept across a crash and restart) with recovery
// fast enough for a test, and its API as the tests call it.
import { type ThrowawayHandrolled, type ThrowawayHandrolledOptions, startThrowawayHandrolled } from "../../orchestration/throwaway.js";
import { Ingress } from "./ingress.js";

export interface HandrolledStack extends ThrowawayHandrolled {
  api: Ingress;
}

/** Short lease and completer period, so a crashed request is finished within seconds in a test. */
const FAST_RECOVERY = { HANDROLLED_LEASE_MS: "2000", HANDROLLED_COMPLETER_INTERVAL_MS: "200" };

export async function startHandrolledStack(options: ThrowawayHandrolledOptions = {}): Promise<HandrolledStack> {
  const stack = await startThrowawayHandrolled({ ...options, env: { ...FAST_RECOVERY, ...options.env } });
  return Object.assign(stack, { api: new Ingress(stack.url) });
}
