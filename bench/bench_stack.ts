// The stacks the benchmark measures: orchestration/throwaway.ts's single node
// (free loopback ports, a temp data dir), the endpoint optionally under V8's
// CPU profiler, plus the baseline server in the same environment, so one
// dispose() stops them all, also when a scenario fails.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { MockGatewayClient } from "../code/mock_admin_client.js";
import type { ManagedProcess } from "../orchestration/processes.js";
import { PAYMENT_ENDPOINT, REPO_ROOT } from "../orchestration/paths.js";
import { type ThrowawayStack, startThrowawayStack } from "../orchestration/throwaway.js";

const BASELINE_ENTRY = path.join(REPO_ROOT, "bench", "baseline_server.ts");
const PROFILED_ENDPOINT = path.join(REPO_ROOT, "bench", "profiled_endpoint.ts");

export interface BenchStack {
  stack: ThrowawayStack;
  gateway: MockGatewayClient;
  /** The baseline server, unless started without it. */
  baseline: { url: string; process: ManagedProcess } | null;
  dataDir: string;
  /** The processes whose CPU and memory the report breaks down. */
  processes(): Record<string, number>;
  logTail(part: string): string;
  dispose(): Promise<void>;
}

export interface BenchStackOptions {
  restateEnv?: Record<string, string>;
  endpointEnv?: Record<string, string>;
  /** The endpoint's entry file (default code/endpoint.ts), to measure a variant of the service. */
  endpointEntry?: string;
  /** Run the endpoint under V8's CPU profiler, writing the profile into this directory when it stops. */
  cpuProfileDir?: string;
  /** Start the baseline server too (default true). */
  withBaseline?: boolean;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const endpointEnv: Record<string, string> = { ...options.endpointEnv };
  if (options.cpuProfileDir) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    endpointEnv.BENCH_CPU_PROFILE_DIR = options.cpuProfileDir;
    endpointEnv.BENCH_PROFILED_ENTRY = options.endpointEntry ?? PAYMENT_ENDPOINT;
  }
  const stack = await startThrowawayStack({
    prefix: "idempotency-bench",
    restateEnv: options.restateEnv,
    endpoints: [{ entry: options.cpuProfileDir ? PROFILED_ENDPOINT : (options.endpointEntry ?? PAYMENT_ENDPOINT), env: endpointEnv }],
  });
  try {
    let baseline: BenchStack["baseline"] = null;
    if (options.withBaseline !== false) {
      const port = await stack.environment.freePort();
      const url = `http://127.0.0.1:${port}`;
      const process = await stack.environment.startTsxService("baseline", BASELINE_ENTRY, {
        env: { BASELINE_PORT: String(port), GATEWAY_URL: stack.gatewayUrl },
        healthUrl: `${url}/health`,
      });
      baseline = { url, process };
    }
    return {
      stack,
      gateway: stack.gatewayClient,
      baseline,
      dataDir: stack.dataDir,
      processes: () => ({
        restate: stack.restate.pid,
        endpoint: stack.endpoints[0]!.pid,
        gateway: stack.gateway.pid,
        ...(baseline ? { baseline: baseline.process.pid } : {}),
      }),
      logTail: (part) => stack.logTail(part, 20),
      dispose: stack.dispose,
    };
  } catch (error) {
    await stack.dispose();
    throw error;
  }
}

// ---------------------------------------------------------------------------
// What a process uses, from /proc (Linux), and what a directory holds on disk.
// ---------------------------------------------------------------------------

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux the npm binaries run on

/** User + system CPU time of a process so far, in ms; undefined where /proc is missing. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return ((userTicks + systemTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Resident memory (VmRSS) of a process in bytes. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * restate-server's own accounting, from its Prometheus endpoint on the node
 * port: cumulative sums and counts, so the difference between two snapshots
 * belongs to exactly the requests in between.
 */
const RESTATE_SUMMARIES = {
  /** From the ingress receiving a call until it answers. */
  ingress: "restate_ingress_request_duration_seconds",
  /** One invocation run on the endpoint: its turns plus the journal round trips in between. */
  invokerTask: "restate_invoker_task_duration_seconds",
  /** Appending records to the log, durably. */
  logAppend: "restate_bifrost_sequencer_store_duration_seconds",
  /** From a record committed to the log until the partition processor read it. */
  committedToRead: "restate_partition_record_committed_to_read_latency_seconds",
  /** Each record appended to the log (sum: bytes). */
  logRecords: "restate_bifrost_sequencer_record_size_bytes",
} as const;

export type RestateSnapshot = { partitions: number | null } & Record<keyof typeof RESTATE_SUMMARIES, { sum: number; count: number }>;

export async function restateSnapshot(nodePort: number): Promise<RestateSnapshot> {
  const text = await (await fetch(`http://127.0.0.1:${nodePort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  /** Adds up a metric over all its label sets. */
  const total = (name: string): number => {
    let sum = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
    }
    return sum;
  };
  const partitions = total("restate_num_partitions");
  const snapshot: Record<string, unknown> = { partitions: partitions > 0 ? partitions : null };
  for (const [key, name] of Object.entries(RESTATE_SUMMARIES)) snapshot[key] = { sum: total(`${name}_sum`), count: total(`${name}_count`) };
  return snapshot as RestateSnapshot;
}

/** What restate-server did for the requests between two snapshots. */
export interface RestateBreakdown {
  partitions: number | null;
  /** Invocations the invoker ran on the endpoint, per request (0 for a replayed answer). */
  invocationsPerRequest: number;
  logRecordsPerRequest: number;
  logBytesPerRequest: number;
  /** Means over the run, in ms (restate-server keeps sums and counts, not per-run percentiles). */
  ingressMeanMs: number | null;
  invokerTaskMeanMs: number | null;
  logAppendMeanMs: number | null;
  committedToReadMeanMs: number | null;
}

export function restateBreakdown(before: RestateSnapshot, after: RestateSnapshot, requests: number): RestateBreakdown {
  const delta = (key: keyof typeof RESTATE_SUMMARIES) => ({ sum: after[key].sum - before[key].sum, count: after[key].count - before[key].count });
  const meanMs = (key: keyof typeof RESTATE_SUMMARIES) => {
    const { sum, count } = delta(key);
    return count > 0 ? round((sum / count) * 1000) : null;
  };
  const perRequest = (value: number) => (requests > 0 ? round(value / requests) : 0);
  return {
    partitions: after.partitions,
    invocationsPerRequest: perRequest(delta("invokerTask").count),
    logRecordsPerRequest: perRequest(delta("logRecords").count),
    logBytesPerRequest: Math.round(requests > 0 ? delta("logRecords").sum / requests : 0),
    ingressMeanMs: meanMs("ingress"),
    invokerTaskMeanMs: meanMs("invokerTask"),
    logAppendMeanMs: meanMs("logAppend"),
    committedToReadMeanMs: meanMs("committedToRead"),
  };
}

const round = (value: number) => Number(value.toFixed(2));

/**
 * Disk usage of a directory: `allocated` as `du` counts it (blocks, including
 * space RocksDB preallocates for its write-ahead logs) and `written` as
 * `du --apparent-size` does (bytes in the files).
 */
export async function diskUsage(dir: string): Promise<{ allocated: number; written: number }> {
  const run = async (args: string[]) => Number((await promisify(execFile)("du", [...args, dir])).stdout.split(/\s/)[0]);
  return { allocated: (await run(["-sk"])) * 1024, written: await run(["-sb", "--apparent-size"]) };
}
