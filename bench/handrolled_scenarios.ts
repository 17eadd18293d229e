// The hand-rolled PostgreSQL service in `npm run bench`, on the same work as
// Restate: fresh creates (each with a new key), replays by key, and N
// concurrent duplicates with one key; on PGlite, and on a throw-away
// PostgreSQL server when one can be started. A throw-away stack
// (orchestration/throwaway.ts): the mock gateway and the service, disposed after.
import { postgresBinDir, startPostgresServer } from "../orchestration/postgres_server.js";
import { startThrowawayHandrolled } from "../orchestration/throwaway.js";
import { burst } from "./burst.js";
import { type CarefulBurstRow, carefulBurst } from "./careful_burst.js";
import { type LatencySummary, loadFigures, runLoad } from "./load.js";
import type { Progress } from "./progress.js";
import type { Target } from "./bench_report.js";
import type { Settings } from "./scenarios.js";

const BODY = JSON.stringify({ amount: 10_000, currency: "USD", source: "tok_visa" });
const createPath = (id: string) => `/PaymentService/${id}/create`;

export interface HandrolledRow {
  database: "pglite" | "postgres";
  scenario: "create-key" | "replay" | "concurrent-one-key";
  gatewayLatencyMs: number;
  throughput: number | null;
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  /** concurrent-one-key only: time to all answered, and charges made. */
  timeToAllAnsweredMs?: number;
  charges?: number;
  statusCounts?: Record<string, number>;
  /** CPU ms per answered request, by process (handrolled, postgres, gateway, loadgen); load scenarios only. */
  cpuMsPerRequest?: Record<string, number>;
}

export async function benchHandrolled(
  settings: Settings,
  latencies: number[],
  progress: Progress,
  careful: CarefulBurstRow[] = [],
): Promise<HandrolledRow[]> {
  const rows: HandrolledRow[] = [];
  const binDir = postgresBinDir();
  if (!binDir) progress.log("hand-rolled on PostgreSQL skipped: no /usr/lib/postgresql/*/bin/initdb");
  for (const database of binDir ? (["pglite", "postgres"] as const) : (["pglite"] as const)) {
    const server = database === "postgres" ? await startPostgresServer(binDir!) : undefined;
    try {
      progress.log(`starting the hand-rolled service on ${database}...`);
      const stack = await startThrowawayHandrolled({ databaseUrl: server?.url, env: { DATABASE_POOL_SIZE: "20" }, log: (line) => progress.log(line) });
      const { gatewayClient, gateway } = stack;
      const service = stack.service();
      try {
        let counter = 0;
        const fresh = (tag: string) => `hr-${tag}-${process.pid}-${++counter}`;
        const processes = { handrolled: service.pid, gateway: gateway.pid, ...(server ? { postgres: server.process.pid } : {}) };
        for (const latency of latencies) {
          await gatewayClient.setFaults({ latencyMs: latency });
          const create = await runLoad({
            label: `hand-rolled ${database}: fresh create (gateway ${latency} ms)`,
            baseUrl: service.url,
            connections: settings.concurrency,
            durationSec: settings.durationSec,
            nextRequest: () => {
              const id = fresh("new");
              return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
            },
            processes,
            progress,
          });
          rows.push({ database, scenario: "create-key", gatewayLatencyMs: latency, ...loadFigures(create) });

          const pool = Array.from({ length: settings.poolSize }, () => fresh("replay"));
          let next = 0;
          await runLoad({
            label: `hand-rolled ${database}: creating ${pool.length} payments to replay`,
            baseUrl: service.url,
            connections: Math.min(settings.concurrency, pool.length),
            amount: pool.length,
            nextRequest: () => {
              const id = pool[next++]!;
              return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
            },
            progress,
          });
          const replay = await runLoad({
            label: `hand-rolled ${database}: replay by key (gateway ${latency} ms)`,
            baseUrl: service.url,
            connections: settings.concurrency,
            durationSec: settings.durationSec,
            nextRequest: () => {
              const id = pool[next++ % pool.length]!;
              return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
            },
            processes,
            progress,
          });
          rows.push({ database, scenario: "replay", gatewayLatencyMs: latency, ...loadFigures(replay) });

          const id = fresh("dup");
          const storm = await burst(settings.concurrentDuplicates, { baseUrl: service.url, path: createPath(id), headers: { "idempotency-key": `key-${id}` }, body: BODY });
          const charges = (await gatewayClient.listCharges({ reference: id })).filter((c) => c.status === "succeeded").length;
          rows.push({
            database,
            scenario: "concurrent-one-key",
            gatewayLatencyMs: latency,
            throughput: null,
            latencyMs: storm.latencyMs,
            non2xx: storm.requests - storm.ok - storm.errors,
            errors: storm.errors,
            timeToAllAnsweredMs: storm.timeToAllAnsweredMs,
            charges,
            statusCounts: storm.statusCounts,
          });
          const clients = Math.min(200, settings.concurrentDuplicates);
          progress.update(`hand-rolled ${database}: ${clients} careful clients with one key (gateway ${latency} ms)`);
          careful.push({ service: database, gatewayLatencyMs: latency, ...(await carefulBurst(service.url, gatewayClient, clients, fresh("careful"))) });
        }
      } finally {
        await stack.dispose();
      }
    } finally {
      await server?.dispose();
    }
  }
  return rows;
}


/** Restate's first call with a key against the peer's (which requires one), in the same run, gateway latency 0. */
export function parityTargets(rows: HandrolledRow[], restate: { scenario: string; gatewayLatencyMs: number; throughput: number }[]): Target[] {
  return rows
    .filter((r) => r.scenario === "create-key" && r.throughput !== null && r.throughput > 0)
    .flatMap((r) => {
      const ours = restate.find((s) => s.scenario === "create-key" && s.gatewayLatencyMs === r.gatewayLatencyMs);
      if (!ours) return [];
      // With the provider answering at once the engine's own cost decides; at 30 ms both wait on the provider.
      const goal = r.gatewayLatencyMs === 0 ? 1.2 : 1.0;
      const ratio = ours.throughput / r.throughput!;
      return [
        {
          name: `fresh create with key vs hand-rolled on ${r.database}, gateway ${r.gatewayLatencyMs} ms (req/s)`,
          goal: `>= ${goal.toFixed(1)}x`,
          actual: `${ratio.toFixed(2)}x (${ours.throughput.toFixed(0)} vs ${r.throughput!.toFixed(0)})`,
          met: ratio >= goal,
        },
      ];
    });
}

/** A markdown table of the rows, with throughput as a ratio of Restate's in the same run (create-key, replay). */
export function renderHandrolled(rows: HandrolledRow[], restate: { scenario: string; gatewayLatencyMs: number; throughput: number }[]): string {
  const ratio = (r: HandrolledRow) => {
    const peer = restate.find((s) => s.scenario === r.scenario && s.gatewayLatencyMs === r.gatewayLatencyMs);
    return peer && r.throughput !== null && peer.throughput > 0 ? `${(r.throughput / peer.throughput).toFixed(2)}x` : "";
  };
  const lines = [
    "Hand-rolled PostgreSQL service (handrolled/), same work:",
    "| database | scenario | gateway | req/s | vs Restate | p50 ms | p99 ms | CPU ms per request (service / postgres / gateway / loadgen) | all answered | charges | statuses |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.database} | ${r.scenario} | ${r.gatewayLatencyMs} ms | ${r.throughput?.toFixed(0) ?? ""} | ${ratio(r)} | ${r.latencyMs.p50.toFixed(1)} | ` +
        `${r.latencyMs.p99.toFixed(1)} | ${cpuColumns(r.cpuMsPerRequest)} | ${r.timeToAllAnsweredMs !== undefined ? `${r.timeToAllAnsweredMs.toFixed(0)} ms` : ""} | ` +
        `${r.charges ?? ""} | ${r.statusCounts ? JSON.stringify(r.statusCounts) : `${r.non2xx} non-2xx, ${r.errors} errors`} |`,
    ),
  ];
  return lines.join("\n");
}

const cpuColumns = (cpu: Record<string, number> | undefined) =>
  cpu ? ["handrolled", "postgres", "gateway", "loadgen"].map((name) => (cpu[name] === undefined ? "-" : cpu[name]!.toFixed(2))).join(" / ") : "";
