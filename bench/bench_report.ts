// The report: markdown tables for the terminal and the README, the ratios and
// targets computed from the same run, and the JSON kept for comparisons.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import { restateServerBinary } from "../orchestration/parts.js";
import type { ConcurrentDuplicatesResult, LoadScenarioResult, ManyKeysResult, ScenarioName, Settings } from "./scenarios.js";

const require = createRequire(import.meta.url);

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  restateServer: string;
  restateSdk: string;
}

export function describeMachine(): Machine {
  let restateServer = "unknown";
  try {
    restateServer = execFileSync(restateServerBinary(), ["--version"], { encoding: "utf8" }).trim().replace(/^restate-server\s*/, "");
  } catch {
    // reported as unknown
  }
  const sdkPackage = JSON.parse(readFileSync(require.resolve("@restatedev/restate-sdk/package.json"), "utf8")) as { version: string };
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    restateServer,
    restateSdk: sdkPackage.version,
  };
}

export const loadAverage = () => os.loadavg().map((value) => Number(value.toFixed(2))) as [number, number, number];

export interface Ratio {
  name: string;
  gatewayLatencyMs: number;
  value: number;
  of: string;
}

export interface Target {
  name: string;
  goal: string;
  actual: string;
  met: boolean;
}

export interface BenchReport {
  /** Bumped when the JSON's shape changes, so comparisons know what they read. */
  schema: 1;
  date: string;
  label: string | null;
  machine: Machine;
  loadAverage: { atStart: [number, number, number]; atEnd: [number, number, number] };
  settings: Settings & {
    gatewayLatenciesMs: number[];
    restateEnv: Record<string, string>;
    endpointEnv: Record<string, string>;
    /** Relative to the repository; code/endpoint.ts unless a variant was measured. */
    endpointEntry: string;
  };
  wallTimeSec: number;
  scenarios: (LoadScenarioResult & { loadAverageAtStart: [number, number, number] })[];
  concurrentDuplicates: ConcurrentDuplicatesResult[];
  manyKeys: ManyKeysResult | null;
  ratios: Ratio[];
  targets: Target[];
}

export function computeRatios(scenarios: LoadScenarioResult[], latencies: number[]): Ratio[] {
  const ratios: Ratio[] = [];
  const find = (scenario: ScenarioName, latency: number) => scenarios.find((s) => s.scenario === scenario && s.gatewayLatencyMs === latency);
  for (const latency of latencies) {
    const add = (name: string, numerator: LoadScenarioResult | undefined, denominator: LoadScenarioResult | undefined) => {
      if (numerator && denominator) {
        ratios.push({ name, gatewayLatencyMs: latency, value: numerator.latencyMs.p50 / denominator.latencyMs.p50, of: "p50 latency" });
      }
    };
    const addThroughput = (name: string, numerator: LoadScenarioResult | undefined, denominator: LoadScenarioResult | undefined) => {
      if (numerator && denominator) {
        ratios.push({ name, gatewayLatencyMs: latency, value: numerator.throughput / denominator.throughput, of: "throughput" });
      }
    };
    add("durable create / baseline", find("create", latency), find("baseline", latency));
    add("durable create with key / baseline", find("create-key", latency), find("baseline", latency));
    add("replay / first call (create with key)", find("replay", latency), find("create-key", latency));
    add("known payment again / fresh create", find("known", latency), find("create", latency));
    addThroughput("hot key again / fresh create (req/s)", find("hot", latency), find("create", latency));
  }
  return ratios;
}

/** The course's performance targets, measured at gateway latency 0. */
export function checkTargets(report: Pick<BenchReport, "scenarios" | "concurrentDuplicates" | "ratios">): Target[] {
  const targets: Target[] = [];
  const at0 = (scenario: ScenarioName) => report.scenarios.find((s) => s.scenario === scenario && s.gatewayLatencyMs === 0);
  const ratio = (name: string) => report.ratios.find((r) => r.name === name && r.gatewayLatencyMs === 0);
  const create = at0("create");
  const createRatio = ratio("durable create / baseline");
  if (create && createRatio) {
    targets.push({ name: "durable create throughput", goal: ">= 400 req/s", actual: `${create.throughput.toFixed(0)} req/s`, met: create.throughput >= 400 });
    targets.push({ name: "durable create p99", goal: "< 150 ms", actual: `${create.latencyMs.p99.toFixed(1)} ms`, met: create.latencyMs.p99 < 150 });
    targets.push({ name: "durable create vs baseline (p50)", goal: "<= 2.5x", actual: `${createRatio.value.toFixed(1)}x`, met: createRatio.value <= 2.5 });
  }
  const replay = at0("replay");
  const replayRatio = ratio("replay / first call (create with key)");
  if (replay) {
    targets.push({ name: "replay throughput", goal: ">= 2,000 req/s", actual: `${replay.throughput.toFixed(0)} req/s`, met: replay.throughput >= 2000 });
  }
  if (replayRatio) {
    targets.push({ name: "replay vs first call (p50)", goal: "<= 0.1x", actual: `${replayRatio.value.toFixed(2)}x`, met: replayRatio.value <= 0.1 });
  }
  const knownRatio = ratio("known payment again / fresh create");
  if (knownRatio) {
    // "Clearly cheaper": at most half the latency of a fresh create.
    targets.push({ name: "known payment again vs fresh (p50)", goal: "clearly cheaper (<= 0.5x)", actual: `${knownRatio.value.toFixed(2)}x`, met: knownRatio.value <= 0.5 });
  }
  const freshWithKey = at0("create-key");
  if (freshWithKey) {
    const cpu = (freshWithKey.cpuMsPerRequest.restate ?? NaN) + (freshWithKey.cpuMsPerRequest.endpoint ?? NaN);
    targets.push({ name: "restate-server + endpoint CPU per fresh create with key", goal: "<= 1.5 ms", actual: `${cpu.toFixed(2)} ms`, met: cpu <= 1.5 });
    const invocations = freshWithKey.restate?.invocationsPerRequest;
    if (invocations !== undefined) {
      // Invocations in flight at the window's edges count too: a few percent over 1 in a short window.
      targets.push({ name: "invocations per fresh create", goal: "1 (<= 1.1)", actual: invocations.toFixed(2), met: invocations <= 1.1 });
    }
  }
  if (report.concurrentDuplicates.length > 0) {
    const charges = report.concurrentDuplicates.map((d) => d.charges);
    targets.push({
      name: "concurrent duplicates: charges per payment, every run",
      goal: "1",
      actual: charges.join(", "),
      met: charges.every((count) => count === 1),
    });
  }
  for (const duplicates of report.concurrentDuplicates.filter((d) => d.gatewayLatencyMs === 0 && d.variant === "key")) {
    targets.push({ name: `${duplicates.requests} concurrent duplicates (one key, open connections): p99`, goal: "< 1 s", actual: `${duplicates.latencyMs.p99.toFixed(0)} ms`, met: duplicates.latencyMs.p99 < 1000 });
  }

  return targets;
}

// ---------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------

const ms = (value: number) => (Number.isFinite(value) ? (value < 10 ? value.toFixed(1) : value.toFixed(0)) : "-");
const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-");
const bytes = (value: number) => {
  if (!Number.isFinite(value)) return "-";
  const sign = value < 0 ? "-" : "";
  const size = Math.abs(value);
  if (size >= 2 ** 20) return `${sign}${(size / 2 ** 20).toFixed(1)} MiB`;
  if (size >= 2 ** 10) return `${sign}${(size / 2 ** 10).toFixed(1)} KiB`;
  return `${sign}${size.toFixed(0)} B`;
};

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function renderReport(report: BenchReport): string {
  const { machine, settings } = report;
  const lines: string[] = [];
  lines.push(
    `Date ${report.date.slice(0, 16).replace("T", " ")} UTC; ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB; ` +
      `Node ${machine.node}; restate-server ${machine.restateServer}, SDK ${machine.restateSdk}; ` +
      `load average ${report.loadAverage.atStart.join(" ")} at start, ${report.loadAverage.atEnd.join(" ")} at end` +
      (report.label ? `; label: ${report.label}` : ""),
  );
  lines.push(
    `Concurrency ${settings.concurrency}, ${settings.durationSec} s per scenario (after a ${settings.stackWarmupSec} s warm-up of the stack, and ${settings.warmupSec} s before each fresh-create scenario); everything on loopback on this machine, ` +
      `load generator (autocannon) included.` +
      (Object.keys(settings.restateEnv).length > 0 ? ` restate-server overrides: ${formatEnv(settings.restateEnv)}.` : "") +
      (Object.keys(settings.endpointEnv).length > 0 ? ` endpoint env: ${formatEnv(settings.endpointEnv)}.` : "") +
      (settings.endpointEntry !== "code/endpoint.ts" ? ` endpoint: ${settings.endpointEntry}.` : ""),
  );
  lines.push("");

  if (report.scenarios.length > 0) {
    lines.push(
      table(
        ["scenario", "gateway latency", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx / errors"],
        report.scenarios.map((s) => [
          s.title,
          `${s.gatewayLatencyMs} ms`,
          int(s.throughput),
          ms(s.latencyMs.p50),
          ms(s.latencyMs.p95),
          ms(s.latencyMs.p99),
          `${s.non2xx} / ${s.errors}`,
        ]),
      ),
    );
    lines.push("");
    lines.push("CPU per answered request (ms), by process:");
    lines.push("");
    lines.push(
      table(
        ["scenario", "gateway latency", "restate-server", "endpoint", "baseline server", "mock gateway", "load generator", "load avg at start"],
        report.scenarios.map((s) => [
          s.title,
          `${s.gatewayLatencyMs} ms`,
          ...["restate", "endpoint", "baseline", "gateway", "loadgen"].map((name) => cpu(s.cpuMsPerRequest[name])),
          s.loadAverageAtStart.join(" "),
        ]),
      ),
    );
    lines.push("");
    const throughRestate = report.scenarios.filter((s) => s.restate);
    if (throughRestate.length > 0) {
      lines.push(`Inside restate-server (its own metrics, per request; means over the run; ${throughRestate[0]!.restate!.partitions ?? "?"} partitions):`);
      lines.push("");
      lines.push(
        table(
          ["scenario", "gateway latency", "invocations run", "log records", "log bytes", "ingress ms", "invoker task ms", "log append ms", "log committed -> read ms"],
          throughRestate.map((s) => {
            const r = s.restate!;
            return [
              s.title,
              `${s.gatewayLatencyMs} ms`,
              r.invocationsPerRequest.toFixed(2),
              r.logRecordsPerRequest.toFixed(1),
              int(r.logBytesPerRequest),
              ms(r.ingressMeanMs ?? NaN),
              ms(r.invokerTaskMeanMs ?? NaN),
              ms(r.logAppendMeanMs ?? NaN),
              ms(r.committedToReadMeanMs ?? NaN),
            ];
          }),
        ),
      );
      lines.push("");
    }
  }

  if (report.concurrentDuplicates.length > 0) {
    lines.push(
      table(
        ["5. concurrent duplicates", "gateway latency", "requests", "2xx", "time to all answered", "p50 ms", "p99 ms", "charges in ledger", "distinct answers"],
        report.concurrentDuplicates.map((d) => [
          d.description,
          `${d.gatewayLatencyMs} ms`,
          int(d.requests),
          int(d.ok),
          `${int(d.timeToAllAnsweredMs)} ms`,
          ms(d.latencyMs.p50),
          ms(d.latencyMs.p99),
          String(d.charges),
          String(d.distinctAnswers),
        ]),
      ),
    );
    lines.push("");
  }

  const many = report.manyKeys;
  if (many) {
    const row = (name: string, f: ManyKeysResult["before"] | null) =>
      f ? [name, bytes(f.diskBytes), bytes(f.diskWrittenBytes), bytes(f.rssBytes), int(f.liveKeys), int(f.journalEntries)] : [name, "-", "-", "-", "-", "-"];
    const perKeyRow = (name: string, p: ManyKeysResult["perKey"] | null) => [name, bytes(p?.diskBytes ?? NaN), bytes(p?.diskWrittenBytes ?? NaN), bytes(p?.rssBytes ?? NaN), "", ""];
    lines.push(
      table(
        [`6. many keys (${int(many.keys)} creates with distinct keys, retention ${many.retentionSec} s)`, "data dir (du)", "data dir (bytes written)", "restate-server RSS", "keys held", "journal entries held"],
        [
          row("before", many.before),
          row(`after the load (${int(many.load.throughput)} req/s, p99 ${ms(many.load.latencyMs.p99)} ms)`, many.afterLoad),
          row(many.expiredAfterSec === null ? "keys not expired within retention + 30 s" : `after expiry (${many.expiredAfterSec.toFixed(0)} s after the last key)`, many.afterExpiry),
          perKeyRow("growth per key, while held", many.perKey),
          perKeyRow("growth per key, after expiry", many.perKeyAfterExpiry),
        ],
      ),
    );
    lines.push("");
  }

  if (report.ratios.length > 0) {
    lines.push("Ratios (p50 latency, same run):");
    for (const ratio of report.ratios) lines.push(`  ${ratio.name}, gateway ${ratio.gatewayLatencyMs} ms: ${ratio.value.toFixed(2)}x`);
    lines.push("");
  }
  if (report.targets.length > 0) {
    lines.push("Targets (the course's, gateway latency 0):");
    for (const target of report.targets) lines.push(`  [${target.met ? "met" : "MISSED"}] ${target.name}: ${target.actual} (goal ${target.goal})`);
    lines.push("");
  }
  return lines.join("\n");
}

const cpu = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(2));
const formatEnv = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
