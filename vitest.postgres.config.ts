// `npm run test:postgres`: the exercise-8 checker runs on a throw-away PostgreSQL server. Kept out of `npm test`
// for their time (a checker stack and a server, four runs of the exercise).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({ test: { ...base.test, include: ["test/postgres_server/**/*.test.ts"], exclude: [], maxWorkers: 1, testTimeout: 120_000 } });
