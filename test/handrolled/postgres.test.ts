// The same schema and SQL on a real PostgreSQL server: a throw-away server
// (initdb in a temp dir, a free port, stopped by PID), the phased service on it,
// and the database cases: replay, 409/422, a crash after the charge, storms.
// Outside CI without a server binary these cases skip; in CI they must run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASES } from "../support/handrolled_cases.js";
import { type HandrolledStack, startHandrolledStack } from "../support/handrolled_under_test.js";
import { uniqueId, visa } from "../support/payments.js";
import { type PostgresServer, postgresBinDir, startPostgresServer } from "../../orchestration/postgres_server.js";

const binDir = postgresBinDir();
if (!binDir && process.env.CI === "true") throw new Error("CI: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb); .ci/run installs Debian's postgresql");
if (!binDir) console.warn("Skipping the hand-rolled service on a real PostgreSQL: no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)");

const ON_A_SERVER = [
  "SIGKILL after the provider charged, before the record was written (client never retries)",
  "SIGKILL after the provider charged, then the client retries with its key",
  "500 concurrent duplicates: one key",
  "500 concurrent duplicates: one payment, 500 keys",
  "500 concurrent requests mixed: 50 payments, 5 keys each, 2 tries per key",
];

describe.skipIf(!binDir)("hand-rolled (phased) on a real PostgreSQL server", () => {
  let server: PostgresServer;
  let stack: HandrolledStack;
  beforeAll(async () => {
    server = await startPostgresServer(binDir!);
    stack = await startHandrolledStack({ databaseUrl: server.url });
  });
  afterAll(async () => {
    await stack?.dispose();
    await server?.dispose();
  });

  it("runs the migrations on the server, creates, replays, answers 422 and 409", async () => {
    expect(((await (await fetch(`${stack.api.baseUrl}/health`)).json()) as { database: string }).database).toBe("postgres");
    const id = uniqueId("pg");
    const first = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    expect(first.status).toBe(200);
    const replay = await stack.api.createPayment(id, visa, { idempotencyKey: `k-${id}` });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(first.text);
    expect((await stack.api.createPayment(id, { ...visa, amount: 1 }, { idempotencyKey: `k-${id}` })).status).toBe(422);
    await stack.gatewayClient.setFaults({ latencyMs: 1_000 });
    const slow = uniqueId("pg-409");
    const inFlight = stack.api.createPayment(slow, visa, { idempotencyKey: `k-${slow}` });
    const { waitFor } = await import("../../orchestration/processes.js");
    await waitFor("pending", async () => (await stack.api.getStatus(slow)).body?.status === "pending");
    expect((await stack.api.createPayment(slow, visa, { idempotencyKey: `k-${slow}` })).status).toBe(409);
    expect((await inFlight).status).toBe(200);
    await stack.gatewayClient.setFaults({ latencyMs: 0 });
  });

  for (const testCase of CASES.filter((c) => ON_A_SERVER.includes(c.name))) {
    it(testCase.name, async () => {
      const result = await testCase.run(stack);
      expect(result.violations).toEqual([]);
      expect(result.chargesSeen).toBe(result.chargesExpected);
      for (const status of result.statuses) expect([200, 409]).toContain(status);
    });
  }
});
