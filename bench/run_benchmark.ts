// `npm run bench`: what idempotency costs, measured side by side on this
// machine. Starts its own stacks on free loopback ports (temp data dirs,
// removed afterwards), runs the scenarios with autocannon, prints the tables
// and writes them as JSON to bench/results/<timestamp>.json.
//
//   npm run bench                       # the full run, about 3 minutes
//   npm run bench -- --quick            # a smoke run, a few seconds per part
//   npm run bench -- --help             # every option
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PAYMENT_ENDPOINT, REPO_ROOT } from "../orchestration/paths.js";
import { type BenchStack, startBenchStack } from "./bench_stack.js";
import { type ClusterRow, benchCluster, renderCluster } from "./cluster_scenarios.js";
import { benchHandrolled, type HandrolledRow, parityTargets, renderHandrolled } from "./handrolled_scenarios.js";
import { type CarefulBurstRow, carefulBurst, renderCarefulBursts } from "./careful_burst.js";
import { Progress } from "./progress.js";
import { SHARED_CREATE_ENDPOINT, type SharedCreateResults, renderSharedCreate, sharedCreateTargets } from "./shared_create/shared_create_report.js";
import { type BenchReport, checkTargets, computeRatios, describeMachine, loadAverage, renderReport } from "./bench_report.js";
import {
  type ConcurrentDuplicatesResult,
  DUPLICATE_VARIANTS,
  type DuplicateVariant,
  type LoadScenarioResult,
  type ManyKeysResult,
  SCENARIOS,
  type ScenarioName,
  ScenarioRunner,
  type Settings,
  manyKeys,
} from "./scenarios.js";

const HELP = `npm run bench -- [options]

  --quick                   smoke run: 1 s per scenario, 200 duplicates, 300 keys, gateway latency 0 only
  --duration <s>            seconds per load scenario (default 6)
  --warmup <s>              warm-up seconds before each fresh-create scenario (default 1)
  --concurrency <n>         connections for the load scenarios (default 20)
  --gateway-latency <list>  gateway latencies in ms, comma-separated (default 0,30)
  --duplicates <n>          concurrent duplicates in scenario 5 (default 1000)
  --keys <n>                distinct keys in scenario 6 (default 10000)
  --retention <s>           idempotency retention of scenario 6's server (default 30)
  --scenarios <list>        a subset of: ${SCENARIOS.join(",")},cluster
  --restate-env K=V         extra restate-server setting, repeatable (e.g. RESTATE_DEFAULT_NUM_PARTITIONS=24)
  --endpoint-env K=V        extra endpoint environment, repeatable (e.g. RESTATE_LOGGING=INFO)
  --endpoint-entry <file>   the endpoint to measure instead of code/endpoint.ts (a variant of the service)
  --cpu-prof <dir>          write a V8 CPU profile of the endpoint into <dir>
  --skip-handrolled         leave out the hand-rolled PostgreSQL service (bench/handrolled_scenarios.ts)
  --skip-cluster            leave out the 3-node cluster (bench/cluster_scenarios.ts); '--scenarios cluster' runs only it
  --skip-shared             leave out the shared-create variant (bench/shared_create/), measured beside the reference
  --label <text>            recorded in the report, to tell runs apart
  --out <file>              where the JSON goes (default bench/results/<timestamp>.json)`;

// The endpoint logs like the test stack does: at INFO the SDK writes two lines
// per invocation, which costs CPU that no caller waits for in production.
const DEFAULT_ENDPOINT_ENV = { RESTATE_LOGGING: "WARN" };

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      "gateway-latency": { type: "string" },
      duplicates: { type: "string" },
      keys: { type: "string" },
      retention: { type: "string" },
      scenarios: { type: "string" },
      "restate-env": { type: "string", multiple: true, default: [] },
      "endpoint-env": { type: "string", multiple: true, default: [] },
      "endpoint-entry": { type: "string" },
      "cpu-prof": { type: "string" },
      label: { type: "string" },
      "skip-handrolled": { type: "boolean", default: false },
      "skip-cluster": { type: "boolean", default: false },
      "skip-shared": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const number = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) usage(`--${name} must be a number >= ${min}, not '${raw}'`);
    return value;
  };
  const settings: Settings = {
    durationSec: number("duration", values.duration, quick ? 1 : 6, 0.5),
    warmupSec: number("warmup", values.warmup, quick ? 0.5 : 1, 0),
    stackWarmupSec: quick ? 1 : 6,
    concurrency: Math.round(number("concurrency", values.concurrency, 20, 1)),
    poolSize: quick ? 40 : 200,
    concurrentDuplicates: Math.round(number("duplicates", values.duplicates, quick ? 200 : 1_000, 2)),
    manyKeys: Math.round(number("keys", values.keys, quick ? 300 : 10_000, 1)),
    retentionSec: number("retention", values.retention, quick ? 3 : 30, 1),
  };
  const latencies = (values["gateway-latency"] ?? (quick ? "0" : "0,30")).split(",").map((raw) => number("gateway-latency", raw.trim(), 0, 0));
  const listed = values.scenarios?.split(",").map((s) => s.trim());
  const scenarios = (listed?.filter((s) => s !== "cluster") ?? [...SCENARIOS]) as ScenarioName[];
  for (const scenario of scenarios) if (!SCENARIOS.includes(scenario)) usage(`unknown scenario '${scenario}'; choose from ${SCENARIOS.join(", ")}`);
  return {
    settings,
    latencies,
    scenarios: new Set(scenarios),
    restateEnv: keyValues("restate-env", values["restate-env"]),
    endpointEnv: { ...DEFAULT_ENDPOINT_ENV, ...keyValues("endpoint-env", values["endpoint-env"]) },
    endpointEntry: values["endpoint-entry"] ? path.resolve(values["endpoint-entry"]) : undefined,
    cpuProfileDir: values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined,
    label: values.label ?? null,
    handrolled: !values["skip-handrolled"],
    cluster: !values["skip-cluster"] && (listed === undefined || listed.includes("cluster")),
    sharedCreate: !values["skip-shared"] && !values["endpoint-entry"],
    out: values.out,
  };
}

function keyValues(option: string, pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) usage(`--${option} takes KEY=VALUE, not '${pair}'`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

function usage(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { settings, latencies, scenarios } = options;
  const progress = new Progress();
  const startedAt = performance.now();
  const date = new Date().toISOString();
  const atStart = loadAverage();
  const machine = describeMachine();
  progress.log(
    `${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, restate-server ${machine.restateServer}; load average ${atStart.join(" ")}`,
  );

  const active = new Set<BenchStack>();
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    progress.log("interrupted: stopping the stacks...");
    void Promise.allSettled([...active].map((bench) => bench.dispose())).then(() => process.exit(130));
  });
  const withStack = async <T>(stackOptions: Parameters<typeof startBenchStack>[0], use: (bench: BenchStack) => Promise<T>): Promise<T> => {
    const bench = await startBenchStack(stackOptions);
    active.add(bench);
    try {
      return await use(bench);
    } catch (error) {
      progress.log(`failed; last lines of the logs:\n${["restate", "service", "gateway"].map((part) => `--- ${part}\n${bench.logTail(part)}`).join("\n")}`);
      throw error;
    } finally {
      active.delete(bench);
      await bench.dispose();
    }
  };

  const loadResults: (LoadScenarioResult & { loadAverageAtStart: [number, number, number] })[] = [];
  const duplicates: ConcurrentDuplicatesResult[] = [];
  const careful: CarefulBurstRow[] = [];
  let many: ManyKeysResult | null = null;
  const loadScenarios = SCENARIOS.filter((s) => s !== "many-keys" && scenarios.has(s));

  if (loadScenarios.length > 0) {
    progress.log("starting restate-server, the mock gateway, the endpoint and the baseline server...");
    await withStack(
      {
        restateEnv: options.restateEnv,
        endpointEnv: options.endpointEnv,
        endpointEntry: options.endpointEntry,
        cpuProfileDir: options.cpuProfileDir,
      },
      async (bench) => {
        const runner = new ScenarioRunner(bench, settings, progress);
        await runner.warmUp();
        for (const latency of latencies) {
          await bench.gateway.setFaults({ latencyMs: latency });
          const steps: [ScenarioName, () => Promise<LoadScenarioResult>][] = [
            ["baseline", () => runner.baseline(latency)],
            ["create", () => runner.create(latency)],
            ["create-key", () => runner.createWithKey(latency)],
            ["replay", () => runner.replay(latency)],
            ["known", () => runner.known(latency)],
            ["hot", () => runner.hotKey(latency)],
          ];
          for (const [name, step] of steps) {
            if (!scenarios.has(name) || interrupted) continue;
            const loadAverageAtStart = loadAverage();
            const result = await step();
            loadResults.push({ ...result, loadAverageAtStart });
            progress.log(
              `${result.title}, gateway ${latency} ms: ${result.throughput.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(1)} ms, ` +
                `p99 ${result.latencyMs.p99.toFixed(1)} ms, ${result.non2xx} non-2xx, ${result.errors} errors (load ${loadAverageAtStart[0]})`,
            );
          }
          if (scenarios.has("concurrent") && !interrupted) {
            const clients = Math.min(200, settings.concurrentDuplicates);
            progress.update(`${clients} careful clients with one key (gateway ${latency} ms)`);
            careful.push({ service: "restate", gatewayLatencyMs: latency, ...(await carefulBurst(bench.stack.ingressUrl, bench.gateway, clients, `careful-${Date.now().toString(36)}-${latency}`)) });
            for (const variant of Object.keys(DUPLICATE_VARIANTS) as DuplicateVariant[]) {
              const result = await runner.concurrentDuplicates(latency, variant);
              duplicates.push(result);
              progress.log(
                `${result.requests} concurrent duplicates, ${result.description}, gateway ${latency} ms: all answered in ${result.timeToAllAnsweredMs.toFixed(0)} ms, ` +
                  `p99 ${result.latencyMs.p99.toFixed(0)} ms, ${result.charges} charge(s), ${result.ok} 2xx`,
              );
            }
          }
        }
      },
    );
  }

  // The shared read path (bench/shared_create/): the same scenarios on a stack of its own, in the same run.
  const sharedCreate: SharedCreateResults = { scenarios: [], concurrentDuplicates: [] };
  const sharedScenarios = (["create-key", "hot"] as const).filter((s) => scenarios.has(s));
  if (options.sharedCreate && !interrupted && (sharedScenarios.length > 0 || scenarios.has("concurrent"))) {
    progress.log("starting a stack with the shared-create variant (bench/shared_create/)...");
    await withStack(
      { restateEnv: options.restateEnv, endpointEnv: options.endpointEnv, endpointEntry: SHARED_CREATE_ENDPOINT, withBaseline: false },
      async (bench) => {
        const runner = new ScenarioRunner(bench, settings, progress);
        await runner.warmUp();
        for (const latency of latencies) {
          await bench.gateway.setFaults({ latencyMs: latency });
          for (const name of sharedScenarios) {
            if (interrupted) continue;
            const result = name === "create-key" ? await runner.createWithKey(latency) : await runner.hotKey(latency);
            sharedCreate.scenarios.push(result);
            progress.log(`shared create: ${result.title}, gateway ${latency} ms: ${result.throughput.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(1)} ms`);
          }
          if (scenarios.has("concurrent") && !interrupted) {
            const result = await runner.concurrentDuplicates(latency, "settledId");
            sharedCreate.concurrentDuplicates.push(result);
            progress.log(
              `shared create: ${result.requests} duplicates of a settled payment, gateway ${latency} ms: all answered in ${result.timeToAllAnsweredMs.toFixed(0)} ms, ` +
                `a refund meanwhile in ${result.refundDuringBurstMs?.toFixed(0)} ms, ${result.charges} charge(s)`,
            );
          }
        }
      },
    );
  }

  if (scenarios.has("many-keys") && !interrupted) {
    progress.log(`starting a restate-server with idempotency retention ${settings.retentionSec} s for the many-keys scenario...`);
    many = await withStack(
      {
        restateEnv: {
          RESTATE_DEFAULT_IDEMPOTENCY_RETENTION: `${settings.retentionSec}s`,
          // The cleaner that removes expired keys runs hourly by default.
          RESTATE_WORKER__CLEANUP_INTERVAL: "1s",
          ...options.restateEnv,
        },
        endpointEnv: options.endpointEnv,
        endpointEntry: options.endpointEntry,
        withBaseline: false,
      },
      (bench) => manyKeys(bench, settings, progress),
    );
    progress.log(
      `many keys: ${many.keys} keys at ${many.load.throughput.toFixed(0)} req/s; ` +
        `${(many.perKey.diskWrittenBytes / 1024).toFixed(2)} KiB written to disk and ${(many.perKey.rssBytes / 1024).toFixed(2)} KiB RSS per key; ` +
        (many.expiredAfterSec === null ? "keys still held at the deadline" : `all keys gone ${many.expiredAfterSec.toFixed(0)} s after the last one`),
    );
  }
  // Hook for issue 11: the hand-rolled PostgreSQL service on the same work (bench/handrolled_scenarios.ts).
  const handrolled: HandrolledRow[] = options.handrolled && !interrupted ? await benchHandrolled(settings, latencies, progress, careful) : [];
  const cluster: ClusterRow[] = options.cluster && !interrupted ? await benchCluster(settings, latencies, { restateEnv: options.restateEnv, endpointEnv: options.endpointEnv }, progress) : [];
  progress.clear();

  const ratios = computeRatios(loadResults, latencies);
  const report: BenchReport & { handrolled: HandrolledRow[]; cluster: ClusterRow[]; sharedCreate: SharedCreateResults; careful: CarefulBurstRow[] } = {
    schema: 1,
    date,
    label: options.label,
    machine,
    loadAverage: { atStart, atEnd: loadAverage() },
    settings: {
      ...settings,
      gatewayLatenciesMs: latencies,
      restateEnv: options.restateEnv,
      endpointEnv: options.endpointEnv,
      endpointEntry: path.relative(REPO_ROOT, options.endpointEntry ?? PAYMENT_ENDPOINT),
    },
    wallTimeSec: Number(((performance.now() - startedAt) / 1000).toFixed(1)),
    scenarios: loadResults,
    concurrentDuplicates: duplicates,
    manyKeys: many,
    ratios,
    targets: [],
    handrolled,
    cluster,
    sharedCreate,
    careful,
  };
  report.targets = [...checkTargets(report), ...parityTargets(handrolled, loadResults), ...sharedCreateTargets(sharedCreate, loadResults, duplicates)];

  const out = options.out ? path.resolve(options.out) : path.join(REPO_ROOT, "bench", "results", `${date.replaceAll(":", "-").replace(/\..*$/, "")}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(renderReport(report));
  if (handrolled.length > 0) console.log(`\n${renderHandrolled(handrolled, loadResults)}`);
  if (careful.length > 0) console.log(`\n${renderCarefulBursts(careful)}`);
  if (cluster.length > 0) console.log(`\n${renderCluster(cluster, loadResults)}`);
  if (sharedCreate.scenarios.length + sharedCreate.concurrentDuplicates.length > 0) console.log(`\n${renderSharedCreate(sharedCreate, loadResults, duplicates)}`);
  console.log(`Wall time ${report.wallTimeSec} s. JSON: ${path.relative(process.cwd(), out)}`);

  // Wrong answers are failures; missed performance targets are findings, reported above.
  const wrong = [
    ...loadResults.filter((s) => s.non2xx > 0 || s.errors > 0).map((s) => `${s.title} at gateway ${s.gatewayLatencyMs} ms: ${s.non2xx} non-2xx, ${s.errors} errors`),
    ...duplicates.filter((d) => d.charges !== 1 || d.ok !== d.requests).map((d) => `${d.description} at gateway ${d.gatewayLatencyMs} ms: ${d.charges} charges, ${d.ok}/${d.requests} 2xx`),
    ...handrolled.filter((h) => h.errors > 0 || (h.charges !== undefined && h.charges !== 1)).map((h) => `hand-rolled ${h.database} ${h.scenario}: ${h.errors} errors, ${h.charges ?? "-"} charges`),
    ...careful.filter((c) => c.charges !== 1 || c.paid !== c.clients).map((c) => `careful clients on ${c.service} at gateway ${c.gatewayLatencyMs} ms: ${c.charges} charges, ${c.paid}/${c.clients} paid`),
    ...sharedCreate.scenarios.filter((s) => s.non2xx > 0 || s.errors > 0).map((s) => `shared create: ${s.title} at gateway ${s.gatewayLatencyMs} ms: ${s.non2xx} non-2xx, ${s.errors} errors`),
    ...sharedCreate.concurrentDuplicates.filter((d) => d.charges !== 1 || d.ok !== d.requests).map((d) => `shared create: ${d.description}: ${d.charges} charges, ${d.ok}/${d.requests} 2xx`),
    ...cluster.filter((c) => c.errors > 0 || c.non2xx > 0).map((c) => `cluster ${c.scenario} at gateway ${c.gatewayLatencyMs} ms: ${c.non2xx} non-2xx, ${c.errors} errors`),
    ...(many && (many.load.non2xx > 0 || many.load.errors > 0) ? [`many keys: ${many.load.non2xx} non-2xx, ${many.load.errors} errors`] : []),
  ];
  if (wrong.length > 0) {
    console.error(`\nWrong answers:\n  ${wrong.join("\n  ")}`);
    process.exitCode = 1;
  }
}

await main();
