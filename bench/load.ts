// One load run with autocannon: fixed concurrency for a duration (or a fixed
// number of requests), every request built by the scenario (distinct ids,
// keys), latency percentiles from each response's own time, and the CPU each
// process of the stack spent per request.
import autocannon from "autocannon";
import { cpuTimeMs } from "./bench_stack.js";
import { Progress } from "./progress.js";

export interface BenchRequest {
  path: string;
  body: string;
  headers?: Record<string, string>;
}

export interface LoadSpec {
  label: string;
  /** Several URLs (a cluster's ingresses): autocannon spreads the connections over them round-robin. */
  baseUrl: string | string[];
  connections: number;
  /** Run for this long... */
  durationSec?: number;
  /** ...or until this many requests are answered. */
  amount?: number;
  /** Builds each request; called once per request, in order. */
  nextRequest: () => BenchRequest;
  /** Sees each response's status and body (collecting bodies costs the load generator CPU). */
  onBody?: (status: number, body: string) => void;
  /** Processes whose CPU time is attributed to this run, by name. */
  processes?: Record<string, number>;
  progress: Progress;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCounts: Record<string, number>;
  durationSec: number;
  /** From the start until the last answer arrived. */
  lastAnswerAfterMs: number;
  /** Answered 2xx per second. */
  throughput: number;
  latencyMs: LatencySummary;
  /** CPU ms per answered request, per process (`loadgen` is this process). */
  cpuMsPerRequest: Record<string, number>;
}

/** What a peer's row of the report keeps of a load run (the cluster's and the hand-rolled service's alike). */
export function loadFigures(result: LoadResult) {
  return {
    throughput: result.throughput,
    latencyMs: result.latencyMs,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMsPerRequest: result.cpuMsPerRequest,
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const cpuBefore = sampleCpu(spec.processes ?? {});
  const ownCpuBefore = process.cpuUsage();
  const startedAt = performance.now();

  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      // autocannon takes a list of URLs (its types say string).
      url: spec.baseUrl as string,
      connections: spec.connections,
      ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationSec ?? 5 }),
      timeout: 30,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [
        {
          method: "POST",
          setupRequest: (request) => {
            const next = spec.nextRequest();
            return { ...request, path: next.path, body: next.body, headers: { ...request.headers, ...next.headers } };
          },
          ...(spec.onBody ? { onResponse: (status: number, body: string) => spec.onBody!(status, body) } : {}),
        },
      ],
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  let lastAnswerAt = startedAt;
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    lastAnswerAt = performance.now();
    latencies.push(responseTime);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  let errors = 0;
  instance.on("reqError", () => {
    errors += 1;
  });
  const target = spec.amount !== undefined ? `${spec.amount} requests` : `${spec.durationSec ?? 5} s`;
  const ticker = setInterval(() => {
    const seconds = (performance.now() - startedAt) / 1000;
    spec.progress.update(`${spec.label}: ${latencies.length} answered in ${seconds.toFixed(0)} s of ${target} (${(latencies.length / seconds).toFixed(0)}/s), ${errors} errors`);
  }, 500);
  let result: autocannon.Result;
  try {
    result = await done;
  } finally {
    clearInterval(ticker);
  }
  const elapsedMs = performance.now() - startedAt;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const cpuAfter = sampleCpu(spec.processes ?? {});

  const ok = Object.entries(statusCounts).reduce((sum, [status, count]) => (status.startsWith("2") ? sum + count : sum), 0);
  const durationSec = spec.amount !== undefined ? elapsedMs / 1000 : result.duration;
  const perRequest = (ms: number) => (latencies.length > 0 ? ms / latencies.length : 0);
  const cpuMsPerRequest: Record<string, number> = { loadgen: perRequest((ownCpu.user + ownCpu.system) / 1000) };
  for (const [name, before] of Object.entries(cpuBefore)) {
    const after = cpuAfter[name];
    if (before !== undefined && after !== undefined) cpuMsPerRequest[name] = perRequest(after - before);
  }
  return {
    requests: latencies.length,
    ok,
    non2xx: latencies.length - ok,
    errors: Math.max(errors, result.errors),
    statusCounts,
    durationSec,
    lastAnswerAfterMs: lastAnswerAt - startedAt,
    throughput: ok / durationSec,
    latencyMs: summarize(latencies),
    cpuMsPerRequest,
  };
}

function sampleCpu(processes: Record<string, number>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuTimeMs(pid)]));
}

export function summarize(latencies: number[]): LatencySummary {
  if (latencies.length === 0) return { p50: NaN, p95: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(latencies).sort();
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { p50: percentile(50), p95: percentile(95), p99: percentile(99), mean, max: sorted[sorted.length - 1]! };
}
