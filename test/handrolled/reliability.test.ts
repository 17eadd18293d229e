// The same reliability cases against both hand-rolled variants (PGlite), each
// ending with the ledger audit. The phased variant must pass every one. The
// naive variant is asserted to fail the crash after the charge when the client
// does not come back: the provider has charged, and the service has no record
// of the payment at all (404), because nothing was written before the charge
// and nothing finishes a request whose process died. (With the client's retry
// it recovers: the provider key derived from the payment returns the same
// charge instead of making a second one.) A crash while the charge is in
// flight ends the same way: the provider completes the call of a dead caller.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { type CaseOutcome, CASES } from "../support/handrolled_cases.js";
import { type HandrolledStack, startHandrolledStack } from "../support/handrolled_under_test.js";
import { normaliseOutput, outputBlocks, readMarkdown } from "../support/markdown.js";
import { CaseReport } from "../support/case_report.js";

/** Chapter 8's "Reproduce it" shows what this file prints for the naive variant. */
const CHAPTER_5 = path.join(REPO_ROOT, "modules/07-idempotency/08-restate-or-your-database.md");
const REPRODUCE_NAIVE = "npx vitest run test/handrolled/reliability.test.ts -t naive";

const SUCCESS_OR_IN_FLIGHT = new Set([200, 409]);
const clean = (result: CaseOutcome) => {
  expect(result.violations).toEqual([]);
  expect(result.chargesSeen).toBe(result.chargesExpected);
  for (const status of result.statuses) expect(SUCCESS_OR_IN_FLIGHT.has(status), `status ${status}`).toBe(true);
  expect(result.statuses.every((s) => s === 409) && result.statuses.length > 0).toBe(false);
};

/** Which cases the naive variant fails, and how. */
const chargedButUnknown = (result: CaseOutcome, report: CaseReport) => {
  expect(result.chargesSeen).toBe(1); // the customer was charged (once: the provider key held)...
  expect(result.violations).toEqual([expect.stringMatching(/ledger has charge ch_\w+ but the service reports HTTP 404/)]); // ...and the service never heard of it
  report.found(`LOST PAYMENT ${result.violations[0]}: the customer was charged for a payment the service has no record of, now or later`);
};
const NAIVE_FAILS: Record<string, (result: CaseOutcome, report: CaseReport) => void> = {
  "SIGKILL after the provider charged, before the record was written (client never retries)": chargedButUnknown,
  // The provider finishes a charge whose caller died: the same lost answer.
  "SIGKILL while the charge is in flight (client never retries)": chargedButUnknown,
};

for (const variant of ["phased", "naive"] as const) {
  describe(`hand-rolled (${variant}) under the reliability cases`, () => {
    let stack: HandrolledStack;
    const report = new CaseReport();
    beforeAll(async () => {
      stack = await startHandrolledStack({ variant });
    });
    afterAll(async () => {
      report.print(`hand-rolled ${variant}`);
      await stack?.dispose();
    });

    // The naive variant runs the crash cases (its contrast) and one storm; it passed the outage, dropped-answer and
    // other storm cases too when they ran (the provider key saves it there), so they are left to the phased variant.
    const cases = variant === "phased" ? CASES : CASES.filter((c) => c.name.startsWith("SIGKILL") || c.name === "500 concurrent duplicates: one key");
    for (const testCase of cases) {
      const expectedFailure = variant === "naive" ? NAIVE_FAILS[testCase.name] : undefined;
      it(`${testCase.name}${expectedFailure ? " (FAILS, as the contrast)" : ""}`, async () => {
        await report.measure(testCase.name, async () => {
          const result = await testCase.run(stack);
          if (expectedFailure) expectedFailure(result, report);
          else clean(result);
          return { requests: Math.max(1, result.statuses.length), chargesExpected: result.chargesExpected, chargesSeen: result.chargesSeen };
        });
      });
    }

    // Last, once the crash cases have run: what they found is what a learner reproducing chapter 8 sees.
    if (variant === "naive") {
      it("prints the lost payments chapter 8 shows", () => {
        const [shown] = outputBlocks(readMarkdown(CHAPTER_5)).filter((block) => block.command === REPRODUCE_NAIVE);
        expect(shown, `chapter 8 shows what ${REPRODUCE_NAIVE} prints`).toBeDefined();
        const printed = report.render(`hand-rolled ${variant}`);
        const lost = printed.split("\n").filter((line) => line.startsWith("LOST PAYMENT"));
        expect(lost, "the naive variant's crash cases each print the payment they lost").toHaveLength(Object.keys(NAIVE_FAILS).length);
        expect(normaliseOutput(printed)).toContain(normaliseOutput(shown!.value));
      });
    }
  });
}
