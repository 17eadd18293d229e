// `npm run test:crash` (.ci/run runs it): chapter 9's slower crash matrices, kept out of `npm test` for their time:
// exercise 8's checker on a PostgreSQL server, the consumers on a server, Restate's consumers with kill -9, and the
// hand-rolled peer's lost answers on PGlite and on a server.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ test: { ...base.test, include: ["test/crash_matrix/**/*.test.ts"], exclude: [], testTimeout: 120_000 } });
