// The scenarios: each one a load run against a started stack, returning what
// the report shows. Payment ids carry a per-run prefix, so runs never collide.
import { adminQuery } from "../code/admin_query.js";
import { type BenchStack, type RestateBreakdown, diskUsage, residentBytes, restateBreakdown, restateSnapshot } from "./bench_stack.js";
import { type BurstResult, burst } from "./burst.js";
import { type BenchRequest, type LatencySummary, type LoadResult, runLoad } from "./load.js";
import type { Progress } from "./progress.js";
import { z } from "zod";

export const SCENARIOS = ["baseline", "create", "create-key", "replay", "known", "hot", "concurrent", "many-keys"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const SCENARIO_TITLES: Record<ScenarioName, string> = {
  baseline: "1. baseline: express + gateway, no durability",
  create: "2. durable create, new payment id, no key",
  "create-key": "2b. durable create, new payment id + new idempotency-key",
  replay: "3. duplicate replay (same idempotency-key, completed)",
  known: "4. repeated create of a known payment id, no key",
  hot: "4b. hot key: one settled payment created again and again, no key",
  concurrent: "5. 1,000 concurrent duplicates",
  "many-keys": "6. many keys",
};

export interface Settings {
  concurrency: number;
  durationSec: number;
  /** Before each fresh-create scenario. */
  warmupSec: number;
  /** Once per stack, before the first scenario: JIT, connection pools and RocksDB settle in this long. */
  stackWarmupSec: number;
  /** How many completed payments the replay and known-payment scenarios cycle through. */
  poolSize: number;
  concurrentDuplicates: number;
  manyKeys: number;
  retentionSec: number;
}

export interface LoadScenarioResult extends LoadResult {
  scenario: ScenarioName;
  title: string;
  gatewayLatencyMs: number;
  concurrency: number;
  /** What restate-server did for these requests, by its own metrics (null for the baseline). */
  restate: RestateBreakdown | null;
}

export const DUPLICATE_VARIANTS = {
  key: "one idempotency-key, connections already open",
  id: "one payment id, no key, connections already open",
  settledId: "one settled payment id, no key, connections already open",
  keyNewConnections: "one idempotency-key, every request on a new connection",
} as const;
export type DuplicateVariant = keyof typeof DUPLICATE_VARIANTS;

/** A burst's figures (see BurstResult), and the charges it caused. */
export interface ConcurrentDuplicatesResult extends Omit<BurstResult, "warmConnections"> {
  scenario: "concurrent";
  variant: DuplicateVariant;
  description: string;
  gatewayLatencyMs: number;
  /** Charges for this payment in the gateway's ledger; 1 is the only right answer. */
  charges: number;
  /** Connections open before the burst (null: each request opened its own). */
  warmConnections: number | null;
  /**
   * For the settled payment's burst: how long a refund of that payment, sent once the burst was on its way,
   * took to be answered (null for the other variants). An exclusive create queues it behind every duplicate.
   */
  refundDuringBurstMs: number | null;
}

const BODY = JSON.stringify({ amount: 1_000, currency: "USD", source: "tok_visa" });

export class ScenarioRunner {
  private readonly runId = Date.now().toString(36);
  private sequence = 0;

  constructor(
    private readonly bench: BenchStack,
    private readonly settings: Settings,
    private readonly progress: Progress,
  ) {}

  private freshId(tag: string): string {
    this.sequence += 1;
    return `${tag}-${this.runId}-${this.sequence}`;
  }

  private async load(
    scenario: ScenarioName,
    gatewayLatencyMs: number,
    baseUrl: string,
    nextRequest: () => BenchRequest,
    options: { warmup?: () => BenchRequest } = {},
  ): Promise<LoadScenarioResult> {
    const title = SCENARIO_TITLES[scenario];
    if (options.warmup && this.settings.warmupSec > 0) {
      await runLoad({
        label: `${scenario} warm-up`,
        baseUrl,
        connections: this.settings.concurrency,
        durationSec: this.settings.warmupSec,
        nextRequest: options.warmup,
        progress: this.progress,
      });
    }
    const throughRestate = baseUrl === this.bench.stack.ingressUrl;
    const restateBefore = throughRestate ? await restateSnapshot(this.bench.stack.ports.node) : null;
    const result = await runLoad({
      label: `${title} (gateway ${gatewayLatencyMs} ms)`,
      baseUrl,
      connections: this.settings.concurrency,
      durationSec: this.settings.durationSec,
      nextRequest,
      processes: this.bench.processes(),
      progress: this.progress,
    });
    const restate = restateBefore ? restateBreakdown(restateBefore, await restateSnapshot(this.bench.stack.ports.node), result.requests) : null;
    return { scenario, title, gatewayLatencyMs, concurrency: this.settings.concurrency, ...result, restate };
  }

  baseline(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const request = () => ({ path: `/payments/${this.freshId("base")}/create`, body: BODY });
    if (!this.bench.baseline) throw new Error("the baseline scenario needs a stack started with the baseline server");
    return this.load("baseline", gatewayLatencyMs, this.bench.baseline.url, request, { warmup: request });
  }

  create(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const request = () => ({ path: createPath(this.freshId("new")), body: BODY });
    return this.load("create", gatewayLatencyMs, this.bench.stack.ingressUrl, request, { warmup: request });
  }

  createWithKey(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const request = () => {
      const id = this.freshId("newkey");
      return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
    };
    return this.load("create-key", gatewayLatencyMs, this.bench.stack.ingressUrl, request, { warmup: request });
  }

  /** The same requests again, after they completed: Restate answers from the stored result. */
  async replay(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const pool = await this.completedPayments("replay", true);
    let next = 0;
    return this.load("replay", gatewayLatencyMs, this.bench.stack.ingressUrl, () => {
      const id = pool[next++ % pool.length]!;
      return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
    });
  }

  /** Known payment ids again without a key: the object's state answers. */
  async known(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const pool = await this.completedPayments("known", false);
    let next = 0;
    return this.load("known", gatewayLatencyMs, this.bench.stack.ingressUrl, () => ({ path: createPath(pool[next++ % pool.length]!), body: BODY }));
  }

  /**
   * One settled payment repeated by every connection, without a key: a client, a proxy or a batch
   * job retrying on the business id. Each duplicate must be answered without queueing behind the others.
   */
  async hotKey(gatewayLatencyMs: number): Promise<LoadScenarioResult> {
    const id = await this.settledPayment("hot");
    return this.load("hot", gatewayLatencyMs, this.bench.stack.ingressUrl, () => ({ path: createPath(id), body: BODY }));
  }

  private async settledPayment(tag: string): Promise<string> {
    const id = this.freshId(tag);
    const response = await fetch(`${this.bench.stack.ingressUrl}${createPath(id)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: BODY,
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`setting up ${tag}: creating ${id} answered ${response.status}: ${await response.text()}`);
    return id;
  }

  /** Creates `poolSize` payments (with keys or without) and waits for all of them. */
  private async completedPayments(tag: string, withKey: boolean): Promise<string[]> {
    const pool = Array.from({ length: this.settings.poolSize }, () => this.freshId(tag));
    let next = 0;
    const result = await runLoad({
      label: `${tag}: creating ${pool.length} payments to repeat`,
      baseUrl: this.bench.stack.ingressUrl,
      connections: Math.min(this.settings.concurrency, pool.length),
      amount: pool.length,
      nextRequest: () => {
        const id = pool[next++]!;
        const headers: Record<string, string> = withKey ? { "idempotency-key": `key-${id}` } : {};
        return { path: createPath(id), body: BODY, headers };
      },
      progress: this.progress,
    });
    if (result.ok !== pool.length) throw new Error(`setting up ${tag}: only ${result.ok} of ${pool.length} creates succeeded (${JSON.stringify(result.statusCounts)})`);
    return pool;
  }

  /** Gets the stack's JIT, connection pools and storage going before anything is measured. */
  async warmUp(): Promise<void> {
    if (this.settings.stackWarmupSec <= 0) return;
    const targets: [string, () => BenchRequest][] = [
      [this.bench.stack.ingressUrl, () => ({ path: createPath(this.freshId("warm")), body: BODY })],
    ];
    if (this.bench.baseline) targets.push([this.bench.baseline.url, () => ({ path: `/payments/${this.freshId("warm")}/create`, body: BODY })]);
    for (const [baseUrl, nextRequest] of targets) {
      await runLoad({ label: "warming up the stack", baseUrl, connections: this.settings.concurrency, durationSec: this.settings.stackWarmupSec / targets.length, nextRequest, progress: this.progress });
    }
  }

  /**
   * `concurrentDuplicates` requests for one new payment, all sent at once:
   * over connections opened beforehand (a client pool, a proxy), or each on a
   * connection of its own opened at that moment (autocannon).
   */
  async concurrentDuplicates(gatewayLatencyMs: number, variant: DuplicateVariant): Promise<ConcurrentDuplicatesResult> {
    const withKey = variant === "key" || variant === "keyNewConnections";
    const id = variant === "settledId" ? await this.settledPayment("dupsettled") : this.freshId(withKey ? "dupkey" : "dupid");
    const count = this.settings.concurrentDuplicates;
    const headers: Record<string, string> = withKey ? { "idempotency-key": `key-${id}` } : {};
    const request = { path: createPath(id), body: BODY, headers };
    this.progress.update(`${count} concurrent duplicates, ${DUPLICATE_VARIANTS[variant]} (gateway ${gatewayLatencyMs} ms)`);

    let outcome: Omit<ConcurrentDuplicatesResult, "scenario" | "variant" | "description" | "gatewayLatencyMs" | "charges" | "refundDuringBurstMs">;
    let refundDuringBurstMs: number | null = null;
    if (variant === "keyNewConnections") {
      const answers = new Set<string>();
      const result = await runLoad({
        label: `${count} concurrent duplicates, ${DUPLICATE_VARIANTS[variant]} (gateway ${gatewayLatencyMs} ms)`,
        baseUrl: this.bench.stack.ingressUrl,
        connections: count,
        amount: count,
        nextRequest: () => request,
        onBody: (status, body) => {
          if (status >= 200 && status < 300) answers.add(body);
        },
        progress: this.progress,
      });
      outcome = {
        requests: result.requests,
        ok: result.ok,
        statusCounts: result.statusCounts,
        errors: result.errors,
        timeToAllAnsweredMs: result.lastAnswerAfterMs,
        latencyMs: result.latencyMs,
        distinctAnswers: answers.size,
        warmConnections: null,
      };
    } else {
      const refund = variant === "settledId" ? () => this.timedRefund(id) : undefined;
      outcome = await burst(count, { baseUrl: this.bench.stack.ingressUrl, ...request }, refund && (async () => void (refundDuringBurstMs = await refund())));
    }
    const charges = await this.bench.gateway.listCharges({ reference: id });
    return { scenario: "concurrent", variant, description: DUPLICATE_VARIANTS[variant], gatewayLatencyMs, ...outcome, charges: charges.length, refundDuringBurstMs };
  }

  /** One refund of the payment, timed from send to answer; it must succeed. */
  private async timedRefund(paymentId: string): Promise<number> {
    const sentAt = performance.now();
    const response = await fetch(`${this.bench.stack.ingressUrl}/PaymentService/${paymentId}/refund`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refundId: "during-burst", amount: 100 }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!response.ok) throw new Error(`the refund during the burst answered ${response.status}: ${await response.text()}`);
    return performance.now() - sentAt;
  }
}

const createPath = (paymentId: string) => `/PaymentService/${paymentId}/create`;

// ---------------------------------------------------------------------------
// 6. Many keys: what idempotency keys cost restate-server in disk and memory,
//    and what is left once their retention has expired.
// ---------------------------------------------------------------------------

export interface Footprint {
  /** The data dir as `du` counts it: allocated blocks, RocksDB's preallocated log space included. */
  diskBytes: number;
  /** The data dir's bytes written (`du --apparent-size`). */
  diskWrittenBytes: number;
  rssBytes: number;
  /** Completed invocations still held under one of our idempotency keys (admin SQL: sys_invocation). */
  liveKeys: number;
  /** Journal entries still held, of all invocations (admin SQL: sys_journal). */
  journalEntries: number;
}

type PerKey = Record<"diskBytes" | "diskWrittenBytes" | "rssBytes", number>;

export interface ManyKeysResult {
  scenario: "many-keys";
  keys: number;
  retentionSec: number;
  load: LoadResult;
  before: Footprint;
  afterLoad: Footprint;
  afterExpiry: Footprint | null;
  /** Seconds from the last key written until restate-server held none. */
  expiredAfterSec: number | null;
  perKey: PerKey;
  perKeyAfterExpiry: PerKey | null;
}

export async function manyKeys(bench: BenchStack, settings: Settings, progress: Progress): Promise<ManyKeysResult> {
  const runId = Date.now().toString(36);
  const footprint = async (): Promise<Footprint> => {
    const disk = await diskUsage(bench.dataDir);
    return {
      diskBytes: disk.allocated,
      diskWrittenBytes: disk.written,
      rssBytes: residentBytes(bench.stack.restate.pid) ?? NaN,
      liveKeys: await countRows(bench.stack.adminUrl, KEYED_INVOCATIONS),
      journalEntries: await countRows(bench.stack.adminUrl, "sys_journal"),
    };
  };
  if (settings.stackWarmupSec > 0) {
    let warm = 0;
    await runLoad({
      label: "warming up the stack",
      baseUrl: bench.stack.ingressUrl,
      connections: settings.concurrency,
      durationSec: settings.stackWarmupSec / 2,
      nextRequest: () => ({ path: createPath(`warm-${runId}-${++warm}`), body: BODY }),
      progress,
    });
  }
  const before = await footprint();
  let sequence = 0;
  const load = await runLoad({
    label: `6. many keys: ${settings.manyKeys} distinct keys`,
    baseUrl: bench.stack.ingressUrl,
    connections: settings.concurrency,
    amount: settings.manyKeys,
    nextRequest: () => {
      const id = `many-${runId}-${++sequence}`;
      return { path: createPath(id), body: BODY, headers: { "idempotency-key": `key-${id}` } };
    },
    processes: bench.processes(),
    progress,
  });
  const loadEndedAt = performance.now();
  const afterLoad = await footprint();

  // The cleaner runs every RESTATE_WORKER__CLEANUP_INTERVAL; give it the retention plus a margin.
  const deadline = loadEndedAt + (settings.retentionSec + 30) * 1000;
  let afterExpiry: Footprint | null = null;
  let expiredAfterSec: number | null = null;
  while (performance.now() < deadline) {
    const liveKeys = await countRows(bench.stack.adminUrl, KEYED_INVOCATIONS);
    const waited = (performance.now() - loadEndedAt) / 1000;
    progress.update(`6. many keys: ${liveKeys} keys left, ${waited.toFixed(0)} s after the last one (retention ${settings.retentionSec} s)`);
    if (liveKeys === 0) {
      expiredAfterSec = waited;
      afterExpiry = await footprint();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const per = (after: Footprint): PerKey => ({
    diskBytes: (after.diskBytes - before.diskBytes) / settings.manyKeys,
    diskWrittenBytes: (after.diskWrittenBytes - before.diskWrittenBytes) / settings.manyKeys,
    rssBytes: (after.rssBytes - before.rssBytes) / settings.manyKeys,
  });
  return {
    scenario: "many-keys",
    keys: settings.manyKeys,
    retentionSec: settings.retentionSec,
    load,
    before,
    afterLoad,
    afterExpiry,
    expiredAfterSec,
    perKey: per(afterLoad),
    perKeyAfterExpiry: afterExpiry ? per(afterExpiry) : null,
  };
}

/** Restate keeps a completed invocation, found by its idempotency key, until the key's retention ends. */
const KEYED_INVOCATIONS = "sys_invocation WHERE idempotency_key LIKE 'key-many-%'";

/** Row count from restate-server's introspection tables, through the admin SQL API. */
async function countRows(adminUrl: string, from: string): Promise<number> {
  const rows = await adminQuery(adminUrl, `SELECT count(*) AS n FROM ${from}`, z.object({ n: z.number() }));
  return rows[0]?.n ?? 0;
}
