// What a Restate cluster says about itself, the way `restatectl status` asks:
// gRPC on each node's node-to-node port (NodeCtlSvc/GetIdent for a node's id,
// ClusterCtrlSvc/GetClusterState for which node runs which partition, as
// leader or follower). restatectl is not on npm and the admin API's SQL has no
// cluster tables in 1.7, so the two calls are made here with node:http2 and
// the few protobuf fields they need (messages in restate's
// crates/core/protobuf/*.proto and crates/types/protobuf/restate/*.proto).
import * as http2 from "node:http2";

export interface PartitionReplica {
  partitionId: number;
  nodeId: number;
  mode: "leader" | "follower" | "unknown";
  /** The highest leader epoch this replica has seen: it grows with every change of leader. */
  leaderEpoch: number;
}

/** The node id the cluster gave the node listening on `nodePort` (undefined until it has joined). */
export async function nodeIdAt(nodePort: number): Promise<number | undefined> {
  const ident = await grpcCall(nodePort, "/restate.node_ctl_svc.NodeCtlSvc/GetIdent");
  const nodeId = fields(ident).find((f) => f.number === 2)?.bytes;
  if (!nodeId) return undefined;
  return fields(nodeId).find((f) => f.number === 1)?.varint;
}

/** Every partition replica the cluster controller (on the node at `nodePort`) knows of, on the nodes it sees alive. */
export async function partitionReplicas(nodePort: number): Promise<PartitionReplica[]> {
  const response = await grpcCall(nodePort, "/restate.cluster_ctrl.ClusterCtrlSvc/GetClusterState");
  const clusterState = fields(response).find((f) => f.number === 1)?.bytes;
  if (!clusterState) return [];
  const replicas: PartitionReplica[] = [];
  // ClusterState.nodes: map<uint32, NodeState>; NodeState.alive = 1; AliveNode.partitions: map<uint32, PartitionProcessorStatus> = 3.
  for (const node of fields(clusterState).filter((f) => f.number === 4)) {
    const { key: nodeId, value: nodeState } = mapEntry(node.bytes!);
    const alive = fields(nodeState).find((f) => f.number === 1)?.bytes;
    if (!alive) continue;
    for (const partition of fields(alive).filter((f) => f.number === 3)) {
      const { key: partitionId, value: status } = mapEntry(partition.bytes!);
      // PartitionProcessorStatus.effective_mode = 3: RunMode LEADER = 1, FOLLOWER = 2.
      const parts = fields(status);
      const mode = parts.find((f) => f.number === 3)?.varint;
      // last_observed_leader_epoch = 4: LeaderEpoch { value = 1 }.
      const epoch = parts.find((f) => f.number === 4)?.bytes;
      const leaderEpoch = epoch ? (fields(epoch).find((f) => f.number === 1)?.varint ?? 0) : 0;
      replicas.push({ partitionId, nodeId, mode: mode === 1 ? "leader" : mode === 2 ? "follower" : "unknown", leaderEpoch });
    }
  }
  return replicas;
}

/** How many partitions the cluster was provisioned with (ClusterConfiguration.num_partitions). */
export async function partitionCount(nodePort: number): Promise<number> {
  const response = await grpcCall(nodePort, "/restate.cluster_ctrl.ClusterCtrlSvc/GetClusterConfiguration");
  const configuration = fields(response).find((f) => f.number === 1)?.bytes;
  const count = configuration ? fields(configuration).find((f) => f.number === 1)?.varint : undefined;
  if (!count) throw new Error(`the node on port ${nodePort} reports no partitions`);
  return count;
}

/**
 * The partition a partition key belongs to: Restate splits the u64 key space
 * into `partitions` equal ranges, lower ids first (EqualSizedPartitionPartitioner
 * in crates/sharding), which is floor(key * partitions / 2^64).
 */
export function partitionOfKey(partitionKey: bigint, partitions: number): number {
  return Number((partitionKey * BigInt(partitions)) >> 64n);
}

async function grpcCall(port: number, method: string, message = Buffer.alloc(0)): Promise<Buffer> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      session.on("error", reject);
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      const stream = session.request({ ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers" });
      stream.setTimeout(5_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      let grpcMessage: string | undefined;
      const note = (headers: http2.IncomingHttpHeaders) => {
        grpcStatus ??= headers["grpc-status"] as string | undefined;
        grpcMessage ??= headers["grpc-message"] as string | undefined;
      };
      stream.on("response", note);
      stream.on("trailers", note);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => {
        const body = Buffer.concat(chunks);
        if (grpcStatus !== undefined && grpcStatus !== "0") {
          reject(new Error(`${method} on port ${port}: gRPC status ${grpcStatus} ${decodeURIComponent(grpcMessage ?? "")}`));
        } else if (body.length < 5) {
          reject(new Error(`${method} on port ${port}: no answer`));
        } else {
          resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
        }
      });
      stream.end(frame);
    });
  } finally {
    session.close();
  }
}

interface Field {
  number: number;
  varint?: number;
  bytes?: Buffer;
}

/** The top-level fields of a protobuf message (varints and length-delimited only; fixed-width ones are skipped). */
function fields(message: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = () => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = message[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
    }
  };
  while (at < message.length) {
    const tag = Number(varint());
    const number = tag >> 3;
    switch (tag & 7) {
      case 0:
        out.push({ number, varint: Number(varint()) });
        break;
      case 2: {
        const length = Number(varint());
        out.push({ number, bytes: message.subarray(at, at + length) });
        at += length;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7}`);
    }
  }
  return out;
}

/** A map entry: key = 1 (a varint here), value = 2 (a message). */
function mapEntry(entry: Buffer): { key: number; value: Buffer } {
  const parts = fields(entry);
  return { key: parts.find((f) => f.number === 1)?.varint ?? 0, value: parts.find((f) => f.number === 2)?.bytes ?? Buffer.alloc(0) };
}
