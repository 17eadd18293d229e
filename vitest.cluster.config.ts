// `npm run test:cluster`: the service on a 3-node Restate cluster. Kept out of
// `npm test` (three restate-servers per file, on 2 cores).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ test: { ...base.test, include: ["test/cluster/**/*.test.ts"], exclude: [], maxWorkers: 1, testTimeout: 120_000 } });
