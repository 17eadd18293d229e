// `npm run test:operations`: the careful client against provider faults, and the operations drill
// (a restate CLI per command, waits for pauses). Kept out of `npm test`, whose time is spent.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ test: { ...base.test, include: ["test/operations/**/*.test.ts"], exclude: [], testTimeout: 120_000 } });
