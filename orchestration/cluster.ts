// A Restate cluster on loopback: three restate-server nodes keeping every log
// record and every partition on two of them, the mock gateway and the service
// endpoint, registered once. The service is the same as on a single node;
// only Restate is distributed.
import * as path from "node:path";
import type { FaultSettings } from "../code/types.js";
import { type EndpointProcess, type GatewayProcess, type RestateServer, registerDeployment, startEndpoint, startGatewayProcess, startRestateServer } from "./parts.js";
import { nodeIdAt, partitionCount, partitionOfKey, partitionReplicas } from "./cluster_state.js";
import { PAYMENT_ENDPOINT } from "./paths.js";
import { type Output, httpOk, startAllOrNone, waitFor } from "./processes.js";
import { ensureRequestIdentity } from "./request_identity.js";

export const CLUSTER_SIZE = 3;
/** Two copies of everything: one node lost is survived, two are not. */
export const CLUSTER_REPLICATION = 2;

/**
 * At start every node sees the others as dead, and the failure detector keeps
 * a node "suspect" for 5 s (gossip-suspect-interval) before it counts as
 * alive: the cluster controller placed the first partition leaders 8 s after
 * start. On loopback, where a node is either there or not, half a second
 * brings the cluster up in about 3.5 s.
 */
const CLUSTER_ENV = { RESTATE_GOSSIP_SUSPECT_INTERVAL: "500ms" };

export interface NodePorts {
  ingress: number;
  admin: number;
  /** Node-to-node: the replicated log, metadata, and restatectl-style introspection (cluster_state.ts). */
  node: number;
}

export interface ClusterOptions {
  /** Node N keeps its data in `<dataDir>/nN`; the request identity key is shared, in `<dataDir>`. */
  dataDir: string;
  nodes: NodePorts[];
  servicePort: number;
  gatewayPort: number;
  output: (part: string) => Output;
  gatewayFaults?: Partial<FaultSettings>;
  gatewayLedgerFile?: string;
  /** Extra settings for every node. */
  restateEnv?: Record<string, string>;
  endpointEnv?: Record<string, string>;
  log?: (line: string) => void;
  clusterName?: string;
}

export interface ClusterNode {
  /** n1, n2, ...: the node name Restate knows it by. */
  name: string;
  /** 1-based, as in `npm run start:cluster -- --node 2`. */
  number: number;
  ports: NodePorts;
  ingressUrl: string;
  adminUrl: string;
  dataDir: string;
  /** The running restate-server; check `hasExited()` after a kill. */
  server: RestateServer;
}

export interface PartitionLeader {
  partition: number;
  node: ClusterNode;
  /** Grows with every new leader: a leader killed is replaced in a higher epoch. */
  epoch: number;
}

export interface Cluster {
  nodes: ClusterNode[];
  gateway: GatewayProcess;
  gatewayUrl: string;
  endpoints: EndpointProcess[];
  startEndpointAgain(index?: number): Promise<EndpointProcess>;
  /** Starts node `number` (1-based) again on its data dir and ports, after it stopped or was killed. */
  startNode(number: number): Promise<RestateServer>;
  /** Nodes whose restate-server runs. */
  liveNodes(): ClusterNode[];
  /** Who leads the partition that holds `partitionKey`, as the cluster controller reports it, and in which epoch. */
  leaderOf(partitionKey: bigint): Promise<PartitionLeader>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const requestIdentity = ensureRequestIdentity(options.dataDir);
  const gatewayUrl = `http://127.0.0.1:${options.gatewayPort}`;
  const metadataAddresses = options.nodes.map((ports) => `http://127.0.0.1:${ports.node}`);
  const launchNode = (number: number) => {
    const ports = options.nodes[number - 1];
    if (!ports) throw new Error(`there is no node ${number}; the cluster has nodes 1-${options.nodes.length}`);
    return startRestateServer({
      dataDir: nodeDataDir(options.dataDir, number),
      nodeName: `n${number}`,
      ingressPort: ports.ingress,
      adminPort: ports.admin,
      nodePort: ports.node,
      output: options.output(`restate-n${number}`),
      env: { ...CLUSTER_ENV, ...options.restateEnv },
      requestIdentity,
      // Node 1 founds the cluster; a node started again finds it provisioned and just rejoins.
      cluster: { name: options.clusterName ?? "course-cluster", metadataAddresses, autoProvision: number === 1, replication: CLUSTER_REPLICATION },
    });
  };
  const launchEndpoint = () =>
    startEndpoint({
      port: options.servicePort,
      gatewayUrl,
      requestIdentity,
      env: options.endpointEnv,
      output: options.output("service"),
    });

  const started = await startAllOrNone([
    startGatewayProcess({ port: options.gatewayPort, faults: options.gatewayFaults, ledgerFile: options.gatewayLedgerFile, output: options.output("gateway") }),
    launchEndpoint(),
    ...options.nodes.map((_, index) => launchNode(index + 1)),
  ]);
  const [gateway, endpoint, ...servers] = started as [GatewayProcess, EndpointProcess, ...RestateServer[]];
  const nodes: ClusterNode[] = servers.map((server, index) => ({
    name: `n${index + 1}`,
    number: index + 1,
    ports: options.nodes[index]!,
    ingressUrl: server.ingressUrl,
    adminUrl: server.adminUrl,
    dataDir: nodeDataDir(options.dataDir, index + 1),
    server,
  }));
  const liveNodes = () => nodes.filter((node) => !node.server.hasExited());

  const cluster: Cluster = {
    nodes,
    gateway,
    gatewayUrl,
    endpoints: [endpoint],
    async startEndpointAgain(index = 0) {
      if (index !== 0) throw new Error(`no endpoint ${index}`);
      cluster.endpoints[0] = await launchEndpoint();
      return cluster.endpoints[0];
    },
    async startNode(number) {
      const node = nodes[number - 1];
      if (!node) throw new Error(`there is no node ${number}`);
      if (!node.server.hasExited()) throw new Error(`node ${node.name} runs already (pid ${node.server.pid})`);
      node.server = await launchNode(number);
      return node.server;
    },
    liveNodes,
    async leaderOf(partitionKey) {
      return leaderOf(liveNodes(), partitionKey);
    },
    async stop() {
      for (const running of cluster.endpoints) await running.stop(5_000);
      await gateway.stop(5_000);
      // All at once: stopped one after another, the last ones would wait on a quorum that is leaving.
      await Promise.all(nodes.map((node) => node.server.stop(15_000)));
    },
  };
  try {
    await waitUntilServing(nodes);
    // Once is enough: the deployment is cluster metadata, replicated to every node.
    await registerDeployment(nodes[0]!.adminUrl, endpoint.url, { log: options.log });
    await waitFor(
      "every node to know PaymentService",
      async () => (await Promise.all(nodes.map((node) => httpOk(`${node.adminUrl}/services/PaymentService`)()))).every(Boolean),
      { timeoutMs: 15_000 },
    );
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

function nodeDataDir(clusterDataDir: string, number: number): string {
  return path.join(clusterDataDir, `n${number}`);
}

/** Every partition has a leader on a live node: the cluster is provisioned and can take writes. */
async function waitUntilServing(nodes: ClusterNode[], timeoutMs = 30_000): Promise<void> {
  await waitFor(
    "every partition of the cluster to have a leader",
    async () => {
      const replicas = await partitionReplicas(nodes.find((node) => !node.server.hasExited())!.ports.node);
      const partitions = new Set(replicas.map((r) => r.partitionId));
      const led = new Set(replicas.filter((r) => r.mode === "leader").map((r) => r.partitionId));
      return partitions.size > 0 && led.size === partitions.size;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

async function leaderOf(live: ClusterNode[], partitionKey: bigint): Promise<PartitionLeader> {
  const asked = live[0];
  if (!asked) throw new Error("no node of the cluster runs");
  const partition = partitionOfKey(partitionKey, await partitionCount(asked.ports.node));
  const replicas = await partitionReplicas(asked.ports.node);
  const leaders = replicas.filter((r) => r.partitionId === partition && r.mode === "leader");
  if (leaders.length !== 1) throw new Error(`partition ${partition} has ${leaders.length} leaders in ${JSON.stringify(replicas)}`);
  const leader = leaders[0]!;
  for (const node of live) if ((await nodeIdAt(node.ports.node)) === leader.nodeId) return { partition, node, epoch: leader.leaderEpoch };
  throw new Error(`partition ${partition}'s leader, node id ${leader.nodeId}, is none of the live nodes`);
}
