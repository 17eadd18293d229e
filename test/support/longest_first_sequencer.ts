// Two workers share the files; a fresh clone has no timing cache, so vitest would
// start with the largest files, not the slowest, and one worker could be left
// running the longest file alone at the end. The slowest files go first.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Slowest first, from the suite's own timings (each 25-90 s on 2 cores). */
const SLOWEST = ["test/exercises.test.ts", "test/handrolled/reliability.test.ts", "test/docs.test.ts", "test/bench.test.ts"];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.findIndex((slow) => file.moduleId.endsWith(slow));
      return index === -1 ? SLOWEST.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
