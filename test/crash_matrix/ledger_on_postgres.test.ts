// Exercise 8 on a real PostgreSQL server instead of PGlite: the checker's crash
// after the commit, the redeliveries and the concurrent copies, against the
// solution, the starter, and the mutants that split the transaction or check
// before inserting (on a server, transactions run side by side, so the race is
// real). Each run gets a database of its own on one throw-away server.
// `npm run test:crash` (.ci/run runs it): kept out of `npm test` for its time.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExercise } from "../../checker/exercises.js";
import { type ExerciseReport, runExercise } from "../../checker/lib/run.js";
import { type CheckerStack, startCheckerStack } from "../../checker/lib/stack.js";
import { materialize, prepareScratchRoot } from "../../checker/mutants/apply.js";
import { catalogue } from "../../checker/mutants/08-ledger-database.js";
import { LEDGER_ENV } from "../../exercises/support/ledger_contract.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { type PostgresServer, postgresBinDir, startPostgresServer } from "../../orchestration/postgres_server.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const binDir = postgresBinDir();
if (!binDir && process.env.CI === "true") throw new Error("CI: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb); .ci/run installs Debian's postgresql");
const exercise = findExercise("8")!;

describe.skipIf(!binDir)("exercise 8 on a PostgreSQL server", () => {
  let server: PostgresServer;
  let stack: CheckerStack;
  let scratch: string;
  let databases = 0;
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "ledger-on-postgres-"));
    prepareScratchRoot(scratch);
    [server, stack] = await Promise.all([startPostgresServer(binDir!), startCheckerStack()]);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await server?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  /** The endpoint inherits the variable: each run books into a fresh database. */
  async function runOnServer(implementationRoot: string): Promise<ExerciseReport> {
    const name = `ledger_${databases++}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    process.env[LEDGER_ENV.databaseUrl] = server.url.replace(/\/postgres$/, `/${name}`);
    try {
      return await runExercise(stack, exercise, implementationRoot);
    } finally {
      delete process.env[LEDGER_ENV.databaseUrl];
    }
  }
  const failedIds = (report: ExerciseReport) => report.results.filter((result) => result.kind !== "passed").map((result) => result.id);
  const hints = (report: ExerciseReport) => report.results.map((result) => result.hint ?? "").join("\n");

  it("the solution passes every check, the crash after the commit included", async () => {
    const report = await runOnServer(path.join(REPO_ROOT, "solutions"));
    expect(report.setupProblem).toBeUndefined();
    expect(failedIds(report), hints(report) + report.endpointLog).toEqual([]);
  }, 120_000);

  it("the starter books again after the crash, on a redelivery (also the next day) and for concurrent copies", async () => {
    const report = await runOnServer(path.join(REPO_ROOT, "exercises"));
    expect(failedIds(report).sort()).toEqual(["crash-after-commit", "redelivered-next-day", "same-payment-again", "same-payment-at-once"]);
  }, 120_000);

  for (const id of ["record-in-separate-transaction", "check-then-insert-no-constraint"]) {
    it(`the mutant ${id} is caught with its hint`, async () => {
      const mutant = catalogue.mutants.find((candidate) => candidate.id === id)!;
      const report = await runOnServer(materialize(scratch, `m-${id}`, catalogue.folder, mutant.patches));
      expect(report.setupProblem).toBeUndefined();
      expect(report.results.some((result) => result.kind === "failed" && mutant.hint.test(result.hint ?? "")), hints(report)).toBe(true);
    }, 120_000);
  }
});
