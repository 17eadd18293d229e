// The shared-create variant beside the reference service, from one run: the
// same scenarios, each design's figures side by side.
import * as path from "node:path";
import { REPO_ROOT } from "../../orchestration/paths.js";
import type { Target } from "../bench_report.js";
import type { ConcurrentDuplicatesResult, LoadScenarioResult } from "../scenarios.js";

export const SHARED_CREATE_ENDPOINT = path.join(REPO_ROOT, "bench", "shared_create", "endpoint.ts");

export interface SharedCreateResults {
  scenarios: LoadScenarioResult[];
  concurrentDuplicates: ConcurrentDuplicatesResult[];
}

const restateCpu = (s: LoadScenarioResult) => (s.cpuMsPerRequest.restate ?? NaN) + (s.cpuMsPerRequest.endpoint ?? NaN);

/** A markdown table: the reference's row and the variant's for each scenario and gateway latency. */
export function renderSharedCreate(shared: SharedCreateResults, reference: LoadScenarioResult[], referenceDuplicates: ConcurrentDuplicatesResult[]): string {
  const lines = [
    "The shared read path (bench/shared_create/) beside the reference service, same run:",
    "| scenario | gateway | reference req/s | shared req/s | shared / reference | invocations per request (ref / shared) | restate + endpoint CPU ms per request (ref / shared) |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const variant of shared.scenarios) {
    const ours = reference.find((s) => s.scenario === variant.scenario && s.gatewayLatencyMs === variant.gatewayLatencyMs);
    lines.push(
      `| ${variant.title} | ${variant.gatewayLatencyMs} ms | ${ours?.throughput.toFixed(0) ?? "-"} | ${variant.throughput.toFixed(0)} | ` +
        `${ours ? `${(variant.throughput / ours.throughput).toFixed(2)}x` : "-"} | ` +
        `${ours?.restate?.invocationsPerRequest.toFixed(2) ?? "-"} / ${variant.restate?.invocationsPerRequest.toFixed(2) ?? "-"} | ` +
        `${ours ? restateCpu(ours).toFixed(2) : "-"} / ${restateCpu(variant).toFixed(2)} |`,
    );
  }
  if (shared.concurrentDuplicates.length > 0) {
    lines.push(
      "",
      "| burst | gateway | all answered (ref / shared) | p99 (ref / shared) | a refund sent meanwhile, answered after (ref / shared) | charges (ref / shared) |",
      "|---|---:|---:|---:|---:|---:|",
    );
    for (const variant of shared.concurrentDuplicates) {
      const ours = referenceDuplicates.find((d) => d.variant === variant.variant && d.gatewayLatencyMs === variant.gatewayLatencyMs);
      const millis = (value: number | null | undefined) => (value === null || value === undefined ? "-" : `${value.toFixed(0)} ms`);
      lines.push(
        `| ${variant.requests} × ${variant.description} | ${variant.gatewayLatencyMs} ms | ${millis(ours?.timeToAllAnsweredMs)} / ${millis(variant.timeToAllAnsweredMs)} | ` +
          `${millis(ours?.latencyMs.p99)} / ${millis(variant.latencyMs.p99)} | ${millis(ours?.refundDuringBurstMs)} / ${millis(variant.refundDuringBurstMs)} | ` +
          `${ours?.charges ?? "-"} / ${variant.charges} |`,
      );
    }
  }
  return lines.join("\n");
}

/** Reported beside the reference's: the variant is the trade-off the chapter teaches, not required to be faster. */
export function sharedCreateTargets(shared: SharedCreateResults, reference: LoadScenarioResult[], referenceDuplicates: ConcurrentDuplicatesResult[]): Target[] {
  const targets: Target[] = [];
  const fresh = reference.find((s) => s.scenario === "create-key" && s.gatewayLatencyMs === 0);
  const sharedFresh = shared.scenarios.find((s) => s.scenario === "create-key" && s.gatewayLatencyMs === 0);
  if (fresh && sharedFresh) {
    targets.push({
      name: "fresh create with key: reference (one exclusive create) vs shared create + charge (req/s)",
      goal: ">= 1.0x",
      actual: `${(fresh.throughput / sharedFresh.throughput).toFixed(2)}x`,
      met: fresh.throughput >= sharedFresh.throughput,
    });
  }
  for (const burst of shared.concurrentDuplicates.filter((d) => d.gatewayLatencyMs === 0)) {
    const ours = referenceDuplicates.find((d) => d.variant === burst.variant && d.gatewayLatencyMs === 0);
    targets.push({
      name: `${burst.requests} duplicates of a settled payment, no key: the shared variant all answered (the reference: ${ours ? `${ours.timeToAllAnsweredMs.toFixed(0)} ms` : "-"})`,
      goal: "reported",
      actual: `${burst.timeToAllAnsweredMs.toFixed(0)} ms`,
      met: true,
    });
  }
  return targets;
}
