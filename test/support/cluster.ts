// A throw-away 3-node cluster for one test file (orchestration/cluster.ts on
// free ports, data and logs in a temp dir removed after), and the client a
// cluster's caller is: it goes to the next node when one does not answer.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MockGatewayClient } from "../../code/mock_admin_client.js";
import { CLUSTER_SIZE, type Cluster, type ClusterNode, startCluster } from "../../orchestration/cluster.js";
import { freePorts } from "../../orchestration/ports.js";
import { waitFor } from "../../orchestration/processes.js";
import { sql, unfinishedInvocations } from "./admin.js";
import { type CallOptions, Ingress, type IngressResponse } from "./ingress.js";

export interface TestCluster extends Cluster {
  dir: string;
  gatewayClient: MockGatewayClient;
  logTail(part: string, lines?: number): string;
  /** An Ingress on a node that runs. */
  anyIngress(): Ingress;
  /** The partition key Restate filed the payment's create invocation under (from a live node's admin SQL). */
  partitionKeyOf(paymentId: string): Promise<bigint>;
  /** Waits until no PaymentService invocation is unfinished, as a live node's admin API sees it. */
  settled(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "idempotency-cluster-"));
  const free = await freePorts(CLUSTER_SIZE * 3 + 2);
  const take = () => free.shift()!;
  const logPath = (part: string) => path.join(dir, `${part}.log`);
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      dataDir: path.join(dir, "cluster"),
      nodes: Array.from({ length: CLUSTER_SIZE }, () => ({ ingress: take(), admin: take(), node: take() })),
      servicePort: take(),
      gatewayPort: take(),
      output: (part) => ({ kind: "file", path: logPath(part) }),
      endpointEnv: { RESTATE_LOGGING: "WARN" },
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const live = () => {
    const node = cluster.liveNodes()[0];
    if (!node) throw new Error("no node of the cluster runs");
    return node;
  };
  return Object.assign(cluster, {
    dir,
    gatewayClient: new MockGatewayClient(cluster.gatewayUrl),
    logTail(part: string, lines = 30) {
      try {
        return readFileSync(logPath(part), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    anyIngress: () => new Ingress(live().ingressUrl),
    async partitionKeyOf(paymentId: string) {
      // As text: a u64 does not fit a JSON number.
      const rows = await sql<{ key: string }>(
        live().adminUrl,
        `SELECT CAST(partition_key AS VARCHAR) AS key FROM sys_invocation_status WHERE target_service_name = 'PaymentService' AND target_service_key = '${paymentId}' LIMIT 1`,
      );
      if (!rows[0]) throw new Error(`no invocation for ${paymentId} yet`);
      return BigInt(rows[0].key);
    },
    async settled() {
      await waitFor("every invocation to finish", async () => (await unfinishedInvocations(live().adminUrl)).length === 0, { timeoutMs: 30_000 });
    },
    async dispose() {
      try {
        await cluster.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

/**
 * A create as a client of a cluster sends it: to `nodes[first]`, and when the
 * connection is refused or cut (or the ingress answers a 5xx of its own, not
 * the service's), the same request again, same key, to the next node.
 */
export async function createOnCluster(
  nodes: ClusterNode[],
  first: number,
  paymentId: string,
  request: unknown,
  options: CallOptions & { attempts?: number } = {},
): Promise<IngressResponse & { node: string; attempts: number }> {
  const attempts = options.attempts ?? 30;
  for (let attempt = 1; ; attempt++) {
    const node = nodes[(first + attempt - 1) % nodes.length]!;
    try {
      const response = await new Ingress(node.ingressUrl).createPayment(paymentId, request, { timeoutMs: 60_000, ...options });
      if (response.status < 500 || response.body?.source === "invocation" || attempt >= attempts) return { ...response, node: node.name, attempts: attempt };
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
  }
}
