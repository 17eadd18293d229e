import { defineConfig } from "vitest/config";
import { LongestFirstSequencer } from "./test/support/longest_first_sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/cluster runs with `npm run test:cluster` (vitest.cluster.config.ts), test/operations with
    // `npm run test:operations` (vitest.operations.config.ts), test/crash_matrix with `npm run test:crash`, test/checker
    // with `npm run test:checker`: .ci/run runs each after npm test. The storms and crashes (`npm run test:reliability`)
    // and every exercise's checks (`npm run test:exercises`) are left out by npm test's own --exclude, not here, so that
    // `npx vitest run <one of their files>` still runs it.
    exclude: ["test/cluster/**", "test/operations/**", "test/crash_matrix/**", "test/checker/**", "**/node_modules/**"],
    // Each file starts its own restate-server; two at a time fit 2 cores.
    pool: "forks",
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary_reporter.ts"],
  },
});
