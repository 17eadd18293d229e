// Mutation testing of the checker: `npm run check:mutants [-- --fast] [--exercise N] [--only id,id] [--verbose]`.
// Applies every wrong solution of the catalogue and every correct alternative,
// runs the checker on each, and prints a score per exercise. Exit code 1 when a
// mutant got through (or was caught with the wrong hint) or an alternative was
// rejected. --verbose prints a caught mutant's hints too, to read them.
import { parseArgs } from "node:util";
import { findExercise } from "../exercises.js";
import { startCheckerStack } from "../lib/stack.js";
import { CATALOGUE } from "./index.js";
import { type VariantResult, runCatalogue } from "./mutation.js";

const { values } = parseArgs({ options: { fast: { type: "boolean", default: false }, verbose: { type: "boolean", default: false }, exercise: { type: "string" }, only: { type: "string" } } });
const only = values.exercise ? findExercise(values.exercise) : undefined;
if (values.exercise && !only) {
  console.error(`There is no exercise "${values.exercise}".`);
  process.exit(2);
}
/** --only: just these variants (mutants or alternatives) by id, to try one change without the whole catalogue. */
const onlyIds = values.only ? new Set(values.only.split(",")) : undefined;
const catalogues = CATALOGUE.filter((catalogue) => !only || catalogue.folder === only.folder).map((catalogue) =>
  onlyIds ? { ...catalogue, mutants: catalogue.mutants.filter((m) => onlyIds.has(m.id)), alternatives: catalogue.alternatives.filter((a) => onlyIds.has(a.id)) } : catalogue,
);

const startedAt = performance.now();
const stack = await startCheckerStack();
let results: VariantResult[];
try {
  results = await runCatalogue(stack, catalogues, {
    fast: values.fast,
    onResult: (result) => {
      const mark = result.verdict === "ok" ? "✓" : "✗";
      const what = result.verdict !== "ok" ? result.verdict : result.kind === "mutant" ? "caught" : "passes";
      console.log(`${mark} ${result.folder} ${result.kind} ${result.id}: ${what} (${(result.durationMs / 1000).toFixed(1)} s)`);
      if (result.verdict !== "ok" || values.verbose) for (const failure of result.failures) console.log(`    ${failure}`);
      if (result.verdict === "wrong-hint") console.log(`    expected a hint matching ${catalogues.flatMap((c) => c.mutants).find((m) => m.id === result.id)?.hint}`);
    },
  });
} finally {
  await stack.stop();
}

console.log("\nexercise                              mutants caught  alternatives passing  slowest run");
for (const catalogue of catalogues) {
  const mine = results.filter((result) => result.folder === catalogue.folder);
  const mutants = mine.filter((result) => result.kind === "mutant");
  const alternatives = mine.filter((result) => result.kind === "alternative");
  if (mine.length === 0) continue;
  const caught = mutants.filter((result) => result.verdict === "ok").length;
  const passing = alternatives.filter((result) => result.verdict === "ok").length;
  const slowest = Math.max(...mine.map((result) => result.durationMs)) / 1000;
  const score = mutants.length ? `${caught}/${mutants.length} (${Math.round((100 * caught) / mutants.length)}%)` : "-";
  console.log(`${catalogue.folder.padEnd(38)}${score.padEnd(16)}${`${passing}/${alternatives.length}`.padEnd(22)}${slowest.toFixed(1)} s`);
}
const bad = results.filter((result) => result.verdict !== "ok");
console.log(`\n${results.length - bad.length} of ${results.length} as expected, in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
process.exit(bad.length === 0 ? 0 : 1);
