// The consumer crash cases of test/own_database on a throw-away PostgreSQL
// server, where transactions run side by side.
import { afterAll, describe } from "vitest";
import { openDatabase } from "../../handrolled/database.js";
import { type PostgresServer, postgresBinDir, startPostgresServer } from "../../orchestration/postgres_server.js";
import { consumerTable, inboxCases } from "../support/consumer_cases.js";

const binDir = postgresBinDir();
if (!binDir && process.env.CI === "true") throw new Error("CI: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb); .ci/run installs Debian's postgresql");
const rows = consumerTable();

describe.skipIf(!binDir)("a plain consumer with an inbox table, and the outbox, on a PostgreSQL server", () => {
  let server: PostgresServer;
  afterAll(async () => {
    await server?.dispose();
  });
  inboxCases(
    "PostgreSQL",
    async () => {
      server = await startPostgresServer(binDir!);
      return openDatabase({ url: server.url });
    },
    rows,
  );
});
