// The 3-node cluster a test file runs against (orchestration/throwaway.ts's,
// on free ports in a temp dir) with what the tests ask of it, and the client a
// cluster's caller is: it goes to the next node when one does not answer.
import { type ClusterNode } from "../../orchestration/cluster.js";
import { waitFor } from "../../orchestration/processes.js";
import { type ThrowawayCluster, startThrowawayCluster } from "../../orchestration/throwaway.js";
import { adminQuery } from "../../code/admin_query.js";
import { unfinishedInvocations } from "./admin.js";
import { type CallOptions, Ingress, type IngressResponse, type PaymentAnswer } from "./ingress.js";
import { z } from "zod";

export interface TestCluster extends ThrowawayCluster {
  /** An Ingress on a node that runs. */
  anyIngress(): Ingress;
  /** The partition key Restate filed the payment's create invocation under (from a live node's admin SQL). */
  partitionKeyOf(paymentId: string): Promise<bigint>;
  /** Waits until no PaymentService invocation is unfinished, as a live node's admin API sees it. */
  settled(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const cluster = await startThrowawayCluster();
  const live = () => {
    const node = cluster.liveNodes()[0];
    if (!node) throw new Error("no node of the cluster runs");
    return node;
  };
  return Object.assign(cluster, {
    anyIngress: () => new Ingress(live().ingressUrl),
    async partitionKeyOf(paymentId: string) {
      // As text: a u64 does not fit a JSON number.
      const rows = await adminQuery(
        live().adminUrl,
        `SELECT CAST(partition_key AS VARCHAR) AS key FROM sys_invocation_status WHERE target_service_name = 'PaymentService' AND target_service_key = '${paymentId}' LIMIT 1`,
        z.object({ key: z.string() }),
      );
      if (!rows[0]) throw new Error(`no invocation for ${paymentId} yet`);
      return BigInt(rows[0].key);
    },
    async settled() {
      await waitFor("every invocation to finish", async () => (await unfinishedInvocations(live().adminUrl)).length === 0, { timeoutMs: 30_000 });
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
): Promise<IngressResponse<PaymentAnswer> & { node: string; attempts: number }> {
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
