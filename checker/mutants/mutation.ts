// Runs the catalogue: every mutant must fail some check with the hint for its
// mistake, every alternative must pass every check, and every outsider case
// (checker/outsiders/) must fail some check, whichever.
import * as path from "node:path";
import { EXERCISES } from "../exercises.js";
import { type CheckResult, type ExerciseReport, runExercises } from "../lib/run.js";
import { scratchDir } from "../lib/scratch.js";
import type { CheckerStack } from "../lib/stack.js";
import { materialize, prepareScratchRoot } from "./apply.js";
import type { Alternative, ExerciseCatalogue, Mutant, OutsiderCase, OutsiderCatalogue } from "./catalogue.js";

export type Verdict =
  /** A mutant failed with its hint, an outsider case failed some check, or an alternative passed. */
  | "ok"
  /** A mutant or an outsider case passed every check: the grader let it through. */
  | "survived"
  /** A mutant failed, but not with the hint for its mistake. */
  | "wrong-hint"
  /** An alternative (correct code) failed a check. */
  | "rejected"
  /** The variant's endpoint did not even start: the patch is broken, not the checker. */
  | "broken"
  /** An outsider case the catalogue says the checker cannot catch yet (its `escapes`), and it did get through. */
  | "known-escape";

export interface VariantResult {
  folder: string;
  kind: "mutant" | "alternative" | "outsider";
  id: string;
  verdict: Verdict;
  /** The failures the checker reported, `check: hint`. */
  failures: string[];
  durationMs: number;
}

type Variant =
  | { folder: string; kind: "mutant"; entry: Mutant }
  | { folder: string; kind: "alternative"; entry: Alternative }
  | { folder: string; kind: "outsider"; entry: OutsiderCase };

const PREFIX: Record<Variant["kind"], string> = { mutant: "m", alternative: "a", outsider: "o" };

export async function runCatalogue(
  stack: CheckerStack,
  catalogues: ExerciseCatalogue[],
  options: { fast?: boolean; onResult?: (result: VariantResult) => void; outsiders?: OutsiderCatalogue[] } = {},
): Promise<VariantResult[]> {
  const variants: Variant[] = [
    ...catalogues.flatMap((catalogue) => [
      ...catalogue.mutants.filter((m) => !options.fast || m.fast).map((entry) => ({ folder: catalogue.folder, kind: "mutant" as const, entry })),
      ...catalogue.alternatives.filter((a) => !options.fast || a.fast).map((entry) => ({ folder: catalogue.folder, kind: "alternative" as const, entry })),
    ]),
    ...(options.outsiders ?? []).flatMap((catalogue) =>
      catalogue.cases.filter((c) => !options.fast || c.fast).map((entry) => ({ folder: catalogue.folder, kind: "outsider" as const, entry })),
    ),
  ];
  const scratch = scratchDir("idempotency-mutants-");
  const root = scratch.path;
  try {
    prepareScratchRoot(root);
    const runs = variants.map((variant) => {
      const exercise = EXERCISES.find((candidate) => candidate.folder === variant.folder);
      if (!exercise) throw new Error(`the catalogue names ${variant.folder}, which is no exercise`);
      const name = `${PREFIX[variant.kind]}-${exercise.number}-${variant.entry.id}`;
      return { exercise, implementationRoot: materialize(root, name, variant.folder, variant.entry.patches), stopAfter: caughtBy(variant) };
    });
    const reports = runExercises(stack, runs);
    const results: VariantResult[] = [];
    // Runs go one after the other (the next one's processes starting meanwhile): a run's time is from the end of the one before.
    let lastDone = performance.now();
    for (const [index, variant] of variants.entries()) {
      const report = await reports[index]!;
      const result = judge(variant, report, performance.now() - lastDone);
      lastDone = performance.now();
      options.onResult?.(result);
      results.push(result);
    }
    return results;
  } finally {
    scratch.remove();
  }
}

/**
 * When a wrong solution's run may end: an outsider case at its first failing check, a mutant at the first failure
 * with its expected hint. An alternative runs every check.
 */
function caughtBy(variant: Variant): ((result: CheckResult) => boolean) | undefined {
  if (variant.kind === "outsider") return (result) => result.kind !== "passed";
  if (variant.kind === "mutant") {
    const { hint } = variant.entry;
    return (result) => result.kind !== "passed" && hint.test(result.hint ?? "");
  }
  return undefined;
}

function judge(variant: Variant, report: ExerciseReport, durationMs: number): VariantResult {
  const failed = report.results.filter((result) => result.kind !== "passed");
  const failures = report.setupProblem ? [`setup: ${report.setupProblem}`] : failed.map((result) => `${result.id}: ${result.hint}`);
  let verdict: Verdict;
  if (report.setupProblem) verdict = "broken";
  else if (variant.kind === "alternative") verdict = failures.length === 0 ? "ok" : "rejected";
  else if (failures.length === 0) verdict = variant.kind === "outsider" && variant.entry.escapes ? "known-escape" : "survived";
  else if (variant.kind === "outsider") verdict = "ok"; // no expected hint: any failing check catches it
  else verdict = failed.some((result) => variant.entry.hint.test(result.hint ?? "")) ? "ok" : "wrong-hint";
  return { folder: variant.folder, kind: variant.kind, id: variant.entry.id, verdict, failures, durationMs };
}
