// The grader graded: the fast subset of the mutant catalogue (checker/mutants/)
// must be caught, each with the hint for its mistake, and its correct
// alternatives must pass. The whole catalogue: `npm run check:mutants`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckerStack, startCheckerStack } from "../checker/lib/stack.js";
import { CATALOGUE } from "../checker/mutants/index.js";
import { type VariantResult, runCatalogue } from "../checker/mutants/mutation.js";

let stack: CheckerStack | undefined;
let results: Promise<VariantResult[]>;

beforeAll(async () => {
  stack = await startCheckerStack();
  results = runCatalogue(stack, CATALOGUE, { fast: true });
  await results.catch(() => {}); // each test reports its own failure
}, 170_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("the fast subset of the mutant catalogue", () => {
  for (const catalogue of CATALOGUE) {
    const fastMutants = catalogue.mutants.filter((m) => m.fast);
    const fastAlternatives = catalogue.alternatives.filter((a) => a.fast);
    const fast = [...fastMutants, ...fastAlternatives];
    it(`${catalogue.folder}: has fast variants, and every fast mutant is caught with its hint and every fast alternative passes`, async () => {
      expect(fastMutants.length, "mark at least one mutant fast").toBeGreaterThanOrEqual(1);
      // Exercise 4's runs take about 20 s each (three stores, a restart): its alternatives are left to `npm run check:mutants`.
      if (catalogue.folder !== "04-custom-idempotency") expect(fastAlternatives.length, "mark at least one alternative fast").toBeGreaterThanOrEqual(1);
      const mine = (await results).filter((result) => result.folder === catalogue.folder);
      expect(mine.map((result) => result.id).sort()).toEqual(fast.map((variant) => variant.id).sort());
      for (const result of mine) expect(result.verdict, `${result.kind} ${result.id}: ${result.failures.join(" | ")}`).toBe("ok");
    });
  }
});
