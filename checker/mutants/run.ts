// Mutation testing of the checker: `npm run check:mutants [-- --fast] [--exercise N] [--outsiders] [--only id,id] [--verbose]`.
// Applies every wrong solution of the catalogue, every correct alternative and
// every outsider case (wrong solutions written without reading the checks,
// checker/outsiders/), runs the checker on each, and prints a score per
// exercise. Exit code 1 when a mutant or an outsider case got through (or a
// mutant was caught with the wrong hint) or an alternative was rejected.
// --outsiders runs only the outsider cases. --verbose prints a caught
// variant's hints too, to read them.
import { parseArgs } from "node:util";
import { findExercise } from "../exercises.js";
import { startCheckerStack } from "../lib/stack.js";
import { OUTSIDERS } from "../outsiders/index.js";
import { CATALOGUE } from "./index.js";
import { type VariantResult, runCatalogue } from "./mutation.js";

const { values } = parseArgs({
  options: {
    fast: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    outsiders: { type: "boolean", default: false },
    exercise: { type: "string" },
    only: { type: "string" },
  },
});
const only = values.exercise ? findExercise(values.exercise) : undefined;
if (values.exercise && !only) {
  console.error(`There is no exercise "${values.exercise}".`);
  process.exit(2);
}
/** --only: just these variants (mutants, alternatives or outsider cases) by id, to try one change without the whole catalogue. */
const onlyIds = values.only ? new Set(values.only.split(",")) : undefined;
const catalogues = (values.outsiders ? [] : CATALOGUE.filter((catalogue) => !only || catalogue.folder === only.folder)).map((catalogue) =>
  onlyIds ? { ...catalogue, mutants: catalogue.mutants.filter((m) => onlyIds.has(m.id)), alternatives: catalogue.alternatives.filter((a) => onlyIds.has(a.id)) } : catalogue,
);
const outsiders = OUTSIDERS.filter((catalogue) => !only || catalogue.folder === only.folder).map((catalogue) =>
  onlyIds ? { ...catalogue, cases: catalogue.cases.filter((c) => onlyIds.has(c.id)) } : catalogue,
);
const folders = [...new Set([...catalogues, ...outsiders].map((catalogue) => catalogue.folder))];

const startedAt = performance.now();
const stack = await startCheckerStack();
let results: VariantResult[];
try {
  results = await runCatalogue(stack, catalogues, {
    fast: values.fast,
    outsiders,
    onResult: (result) => {
      const mark = result.verdict === "ok" ? "✓" : result.verdict === "known-escape" ? "!" : "✗";
      const what = result.verdict !== "ok" ? result.verdict : result.kind === "alternative" ? "passes" : "caught";
      console.log(`${mark} ${result.folder} ${result.kind} ${result.id}: ${what} (${(result.durationMs / 1000).toFixed(1)} s)`);
      if (result.verdict !== "ok" || values.verbose) for (const failure of result.failures) console.log(`    ${failure}`);
      if (result.verdict === "known-escape") console.log(`    not caught yet: ${outsiders.flatMap((c) => c.cases).find((c) => c.id === result.id)?.escapes}`);
      if (result.verdict === "wrong-hint") console.log(`    expected a hint matching ${catalogues.flatMap((c) => c.mutants).find((m) => m.id === result.id)?.hint}`);
    },
  });
} finally {
  await stack.stop();
}

console.log("\nexercise                              mutants caught  outsider cases caught  alternatives passing  slowest run");
const caughtOf = (of: VariantResult[]) => {
  const caught = of.filter((result) => result.verdict === "ok").length;
  return of.length ? `${caught}/${of.length} (${Math.round((100 * caught) / of.length)}%)` : "-";
};
for (const folder of folders) {
  const mine = results.filter((result) => result.folder === folder);
  if (mine.length === 0) continue;
  const alternatives = mine.filter((result) => result.kind === "alternative");
  const passing = alternatives.length ? `${alternatives.filter((result) => result.verdict === "ok").length}/${alternatives.length}` : "-";
  const slowest = Math.max(...mine.map((result) => result.durationMs)) / 1000;
  const mutants = caughtOf(mine.filter((result) => result.kind === "mutant"));
  const outsiderCases = caughtOf(mine.filter((result) => result.kind === "outsider"));
  console.log(`${folder.padEnd(38)}${mutants.padEnd(16)}${outsiderCases.padEnd(23)}${passing.padEnd(22)}${slowest.toFixed(1)} s`);
}
const escapes = results.filter((result) => result.verdict === "known-escape");
const bad = results.filter((result) => result.verdict !== "ok" && result.verdict !== "known-escape");
console.log(`\n${results.length - bad.length - escapes.length} of ${results.length} as expected, in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
if (escapes.length > 0) console.log(`${escapes.length} known escape(s), outsider cases no check catches yet: ${escapes.map((result) => `${result.folder}/${result.id}`).join(", ")}`);
process.exit(bad.length === 0 ? 0 : 1);
