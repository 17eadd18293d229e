// `npm run bench` still runs end to end: a small quick run (its own stack on
// free ports) writes a report whose answers are all right. No timing is
// asserted: the numbers depend on the machine; only their consistency is.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import "core-js/actual/promise/with-resolvers.js";
import * as restate from "@restatedev/restate-sdk/fetch";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { paymentService } from "../code/payment_service.js";
import { REPO_ROOT } from "../orchestration/paths.js";
import type { BenchReport } from "../bench/bench_report.js";
import { sharedCreatePaymentService } from "../bench/shared_create/payment_service.js";
import type { SharedCreateResults } from "../bench/shared_create/shared_create_report.js";

const dir = mkdtempSync(path.join(tmpdir(), "idempotency-bench-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run bench -- --quick", () => {
  it("measures create, replay and concurrent duplicates, and writes a consistent JSON report", async () => {
    const out = path.join(dir, "report.json");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      // Only the Restate scenarios it checks: the hand-rolled part (PGlite, then a throw-away PostgreSQL server) took
      // the rest of the time budget on a busy machine and was checked by nothing here (test/handrolled/ covers the peer).
      ["--import", "tsx", "bench/run_benchmark.ts", "--quick", "--scenarios", "create-key,replay,hot,concurrent", "--duplicates", "50", "--skip-handrolled", "--out", out],
      // A guard against a hang, not a speed target: the quick run took 20 s at load 17 and 50 s at load 27 (2 cores), before the shared-create variant ran beside it.
      { cwd: REPO_ROOT, timeout: 150_000 },
    );
    const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;

    expect(report.schema).toBe(1);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.scenarios.map((s) => s.scenario)).toEqual(["create-key", "replay", "hot"]);
    for (const scenario of report.scenarios) {
      expect(scenario.ok).toBeGreaterThan(0);
      expect(scenario.requests).toBe(scenario.ok);
      expect(scenario.errors).toBe(0);
      expect(scenario.latencyMs.p50).toBeLessThanOrEqual(scenario.latencyMs.p95);
      expect(scenario.latencyMs.p95).toBeLessThanOrEqual(scenario.latencyMs.p99);
      expect(scenario.restate?.partitions).toBeGreaterThan(0);
    }
    const [firstCall, replay, hot] = report.scenarios;
    // A fresh payment is one invocation (one exclusive create); a replay is answered from the stored result. A quick
    // run's one-second windows also count the invocations in flight at their edges (10% more on a quiet machine, up
    // to 40% on a busy one), so one invocation is told from two by comparing with the shared variant below.
    const oneInvocation = (value: number) => expect(value, `${value} invocations per request`).toBeLessThan(1.6);
    oneInvocation(firstCall!.restate!.invocationsPerRequest);
    expect(replay!.restate!.invocationsPerRequest).toBe(0);
    oneInvocation(hot!.restate!.invocationsPerRequest);
    expect(report.ratios.map((r) => r.name)).toContain("replay / first call (create with key)");

    expect(report.concurrentDuplicates.map((d) => d.variant)).toEqual(["key", "id", "settledId", "keyNewConnections"]);
    for (const duplicates of report.concurrentDuplicates) {
      expect(duplicates.ok).toBe(50);
      expect(duplicates.charges).toBe(1);
      expect(duplicates.distinctAnswers).toBe(1);
    }
    // The shared-create variant ran the same scenarios beside it: a fresh payment there is two invocations.
    const shared = (report as BenchReport & { sharedCreate: SharedCreateResults }).sharedCreate;
    expect(shared.scenarios.map((s) => s.scenario)).toEqual(["create-key", "hot"]);
    // Two invocations at least: create and charge, and create again each time its wait for the charge passes 1 s.
    expect(shared.scenarios[0]!.restate!.invocationsPerRequest).toBeGreaterThan(1.8);
    expect(shared.scenarios[0]!.restate!.invocationsPerRequest - firstCall!.restate!.invocationsPerRequest).toBeGreaterThan(0.6);
    oneInvocation(shared.scenarios[1]!.restate!.invocationsPerRequest);
    expect(shared.concurrentDuplicates).toEqual([expect.objectContaining({ variant: "settledId", ok: 50, charges: 1 })]);
    // The shared create answers from state without the lock, so a copy that arrives after the refund of the burst has
    // settled sees the payment refunded (seen with two busy loops beside the run): the payment before or after it.
    expect(shared.concurrentDuplicates[0]!.distinctAnswers).toBeGreaterThanOrEqual(1);
    expect(shared.concurrentDuplicates[0]!.distinctAnswers).toBeLessThanOrEqual(2);
    for (const burst of [...report.concurrentDuplicates.filter((d) => d.variant === "settledId"), ...shared.concurrentDuplicates]) {
      expect(burst.refundDuringBurstMs).toBeGreaterThan(0);
    }
    expect(stdout).toContain("The shared read path (bench/shared_create/) beside the reference service, same run:");
    expect(stdout).toContain("| 2b. durable create, new payment id + new idempotency-key | 0 ms |");
    expect(stdout).toContain("[met] concurrent duplicates: charges per payment, every run: 1, 1, 1, 1");
  }, 160_000);
});

/** What an endpoint tells restate-server about a service's handlers (discovery), asked in process. */
async function discoveredHandlers(service: restate.VirtualObjectDefinition<string, unknown>) {
  const endpoint = restate.createEndpointHandler({ services: [service] });
  const answer = await endpoint(new Request("http://localhost/discover", { headers: { accept: "application/vnd.restate.endpointmanifest.v4+json" } }));
  expect(answer.status).toBe(200);
  const Manifest = z.object({ services: z.array(z.object({ handlers: z.array(z.object({ name: z.string(), input: z.unknown(), output: z.unknown() })) })) });
  return Manifest.parse(await answer.json()).services[0]!.handlers;
}

describe("the shared-create variant", () => {
  it("declares the reference service's input and output schemas on every handler (its charge is the reference's create)", async () => {
    const reference = await discoveredHandlers(paymentService);
    const variant = await discoveredHandlers(sharedCreatePaymentService);
    expect(variant.map((handler) => handler.name).sort()).toEqual([...reference.map((handler) => handler.name), "charge"].sort());
    for (const handler of variant) {
      const same = reference.find((other) => other.name === (handler.name === "charge" ? "create" : handler.name))!;
      expect({ input: handler.input, output: handler.output }, handler.name).toEqual({ input: same.input, output: same.output });
    }
  });
});
