// The 3-node cluster (replication 2) in `npm run bench`, on the single node's
// work: fresh creates with a new key and replays by key, the connections
// spread round-robin over the three ingresses. A throw-away cluster
// (orchestration/throwaway.ts), disposed afterwards.
import { CLUSTER_REPLICATION, CLUSTER_SIZE } from "../orchestration/cluster.js";
import { startThrowawayCluster } from "../orchestration/throwaway.js";
import { type LatencySummary, loadFigures, runLoad } from "./load.js";
import type { Progress } from "./progress.js";
import type { Settings } from "./scenarios.js";

const BODY = JSON.stringify({ amount: 1_000, currency: "USD", source: "tok_visa" });
const createPath = (id: string) => `/PaymentService/${id}/create`;

export interface ClusterRow {
  scenario: "create-key" | "replay";
  gatewayLatencyMs: number;
  throughput: number;
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  /** CPU ms per answered request: each node, the endpoint, the gateway, the load generator. */
  cpuMsPerRequest: Record<string, number>;
}

export async function benchCluster(
  settings: Settings,
  latencies: number[],
  env: { restateEnv: Record<string, string>; endpointEnv: Record<string, string> },
  progress: Progress,
): Promise<ClusterRow[]> {
  progress.log(`starting a ${CLUSTER_SIZE}-node cluster (replication ${CLUSTER_REPLICATION})...`);
  const cluster = await startThrowawayCluster(env);
  const rows: ClusterRow[] = [];
  try {
    const gateway = cluster.gatewayClient;
    const ingresses = cluster.nodes.map((node) => node.ingressUrl);
    const processes = {
      ...Object.fromEntries(cluster.nodes.map((node) => [`restate-${node.name}`, node.server.pid])),
      endpoint: cluster.endpoints[0]!.pid,
      gateway: cluster.gateway.pid,
    };
    let counter = 0;
    const fresh = (tag: string) => `cl-${tag}-${process.pid}-${++counter}`;
    const withKey = (id: string) => ({ path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } });
    const load = (label: string, nextRequest: () => ReturnType<typeof withKey>, durationSec = settings.durationSec) =>
      runLoad({ label: `cluster: ${label}`, baseUrl: ingresses, connections: settings.concurrency, durationSec, nextRequest, processes, progress });

    if (settings.stackWarmupSec > 0) await load("warming up", () => withKey(fresh("warm")), settings.stackWarmupSec);
    for (const latency of latencies) {
      await gateway.setFaults({ latencyMs: latency });
      rows.push({ scenario: "create-key", gatewayLatencyMs: latency, ...loadFigures(await load(`fresh create with a key (gateway ${latency} ms)`, () => withKey(fresh("new")))) });

      const pool = Array.from({ length: settings.poolSize }, () => fresh("replay"));
      let next = 0;
      const setup = await runLoad({
        label: `cluster: creating ${pool.length} payments to replay`,
        baseUrl: ingresses,
        connections: Math.min(settings.concurrency, pool.length),
        amount: pool.length,
        nextRequest: () => withKey(pool[next++]!),
        progress,
      });
      if (setup.ok !== pool.length) throw new Error(`cluster: only ${setup.ok} of ${pool.length} creates succeeded (${JSON.stringify(setup.statusCounts)})`);
      rows.push({ scenario: "replay", gatewayLatencyMs: latency, ...loadFigures(await load(`replay by key (gateway ${latency} ms)`, () => withKey(pool[next++ % pool.length]!))) });
    }
  } finally {
    await cluster.dispose();
  }
  return rows;
}


/** The cluster beside the single node of the same run: throughput, latency, and CPU per request (all Restate nodes together, and the rest). */
export function renderCluster(
  rows: ClusterRow[],
  single: { scenario: string; gatewayLatencyMs: number; throughput: number; latencyMs: LatencySummary; cpuMsPerRequest: Record<string, number> }[],
): string {
  const restateCpu = (cpu: Record<string, number>) => Object.entries(cpu).filter(([name]) => name.startsWith("restate")).reduce((sum, [, ms]) => sum + ms, 0);
  const otherCpu = (cpu: Record<string, number>) => Object.entries(cpu).filter(([name]) => !name.startsWith("restate") && name !== "baseline").reduce((sum, [, ms]) => sum + ms, 0);
  const perNode = (cpu: Record<string, number>) =>
    Object.entries(cpu)
      .filter(([name]) => name.startsWith("restate-"))
      .map(([name, ms]) => `${name.slice("restate-".length)} ${ms.toFixed(2)}`)
      .join(", ");
  const lines = [
    `${CLUSTER_SIZE}-node cluster, replication ${CLUSTER_REPLICATION}, round-robin over the ingresses, beside the single node of this run:`,
    "| scenario | gateway | setup | req/s | vs single | p50 ms | p99 ms | Restate CPU ms/req | per node | endpoint+gateway+loadgen CPU ms/req | errors |",
    "|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|",
  ];
  for (const row of rows) {
    const peer = single.find((s) => s.scenario === row.scenario && s.gatewayLatencyMs === row.gatewayLatencyMs);
    if (peer) {
      lines.push(
        `| ${row.scenario} | ${row.gatewayLatencyMs} ms | single node | ${peer.throughput.toFixed(0)} | 1.00x | ${peer.latencyMs.p50.toFixed(1)} | ${peer.latencyMs.p99.toFixed(1)} | ` +
          `${restateCpu(peer.cpuMsPerRequest).toFixed(2)} | | ${otherCpu(peer.cpuMsPerRequest).toFixed(2)} | |`,
      );
    }
    const ratio = peer && peer.throughput > 0 ? `${(row.throughput / peer.throughput).toFixed(2)}x` : "";
    lines.push(
      `| ${row.scenario} | ${row.gatewayLatencyMs} ms | cluster | ${row.throughput.toFixed(0)} | ${ratio} | ${row.latencyMs.p50.toFixed(1)} | ${row.latencyMs.p99.toFixed(1)} | ` +
        `${restateCpu(row.cpuMsPerRequest).toFixed(2)} | ${perNode(row.cpuMsPerRequest)} | ${otherCpu(row.cpuMsPerRequest).toFixed(2)} | ${row.non2xx + row.errors} |`,
    );
  }
  return lines.join("\n");
}
