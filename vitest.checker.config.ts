// `npm run test:checker` (.ci/run runs it): the checker under broken solutions (a process.exit, an endless loop, a
// type error, a hang, a signal), each a whole checker run: kept out of `npm test` for its time.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ test: { ...base.test, include: ["test/checker/**/*.test.ts"], exclude: [] } });
