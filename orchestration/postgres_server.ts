// A throw-away PostgreSQL server (tests, benchmark): initdb into a temp dir,
// `postgres` itself as the child (so its PID is the one stopped), on a free
// port, as the `postgres` user when we are root; the dir is removed after.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { type ManagedProcess, spawnManaged, waitFor } from "./processes.js";

export interface PostgresServer {
  url: string;
  process: ManagedProcess;
  dispose(): Promise<void>;
}

/** The newest installed server's bin dir (Debian: /usr/lib/postgresql/<version>/bin), if any. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(root, newest, "bin") : undefined;
}

export async function startPostgresServer(binDir: string): Promise<PostgresServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "handrolled-pg-"));
  const user = process.getuid?.() === 0 ? { uid: idOf("-u"), gid: idOf("-g") } : {};
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const dataDir = path.join(dir, "data");
  let server: ManagedProcess | undefined;
  try {
    execFileSync(path.join(binDir, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"], { ...user, stdio: "pipe" });
    const port = await freePort();
    server = spawnManaged(
      "postgres",
      path.join(binDir, "postgres"),
      ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
      { output: { kind: "file", path: path.join(dir, "postgres.log") }, ...user, cwd: dir },
    );
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitFor("PostgreSQL to accept connections", () => canConnect(url), { process: server, timeoutMs: 30_000, intervalMs: 100 });
    const started = server;
    return {
      url,
      process: started,
      async dispose() {
        await started.stop(10_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function idOf(flag: "-u" | "-g"): number {
  return Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
