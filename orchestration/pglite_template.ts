// A new PGlite database in seconds of CPU, made once: PGlite runs initdb when it
// opens an empty data dir (about 3.5 s of one core on a quiet machine, three
// times that on a busy one), while opening an initialised one takes a fraction
// of a second. So initdb runs once per PGlite version, into a template in the OS
// temp dir, and a process that needs a new database gets a copy of it.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./paths.js";

const PGLITE_VERSION = installedVersion("@electric-sql/pglite");
/** One template per PGlite version (another version may lay out its files otherwise) and per user (temp dirs are shared). */
export const PGLITE_TEMPLATE_DIR = path.join(tmpdir(), `idempotency-course-pglite-${PGLITE_VERSION}-${userInfo().username}`);
/** initdb in a child process, so the caller's event loop (its servers, its timers) keeps running meanwhile. */
const INITDB_SCRIPT = `import { PGlite } from "@electric-sql/pglite"; const db = await PGlite.create(process.argv[1]); await db.close();`;
const INITDB_TIMEOUT_MS = 180_000;

/**
 * Gives `dataDir` an initialised PGlite database, copied from the template, when it has none yet (missing or empty);
 * a database already there is kept (an app restarted on its data). `log` hears about the slow step, when it happens.
 */
export async function preparePgliteDataDir(dataDir: string, options: { log?: (line: string) => void } = {}): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return;
  const template = await pgliteTemplate(options.log);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  cpSync(template, dataDir, { recursive: true });
}

let template: Promise<string> | undefined;

/** The template's folder, made first if there is none; one making per process, however many ask at once. */
function pgliteTemplate(log?: (line: string) => void): Promise<string> {
  template ??= makeTemplate(log).catch((error: unknown) => {
    template = undefined; // the next caller tries again
    throw error;
  });
  return template;
}

const isInitialised = (dir: string) => existsSync(path.join(dir, "PG_VERSION"));

async function makeTemplate(log?: (line: string) => void): Promise<string> {
  if (isInitialised(PGLITE_TEMPLATE_DIR)) return PGLITE_TEMPLATE_DIR;
  log?.(`waiting for PGlite ${PGLITE_VERSION} to initialise a PostgreSQL data dir (once per PGlite version; kept in ${PGLITE_TEMPLATE_DIR})`);
  // Made under a name of its own and renamed into place: a reader never sees half a template, and of two processes
  // making one at once (two test workers), the first rename wins and the other drops its copy.
  const scratch = `${PGLITE_TEMPLATE_DIR}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await promisify(execFile)(process.execPath, ["--input-type=module", "-e", INITDB_SCRIPT, scratch], { cwd: REPO_ROOT, timeout: INITDB_TIMEOUT_MS });
    if (!isInitialised(scratch)) throw new Error(`PGlite left no PG_VERSION in ${scratch}`);
    try {
      renameSync(scratch, PGLITE_TEMPLATE_DIR);
    } catch (error) {
      if (!isInitialised(PGLITE_TEMPLATE_DIR)) throw error; // not lost to another process's rename: a real problem
    }
    return PGLITE_TEMPLATE_DIR;
  } catch (error) {
    const killed = (error as { killed?: boolean }).killed ? ` (stopped after ${INITDB_TIMEOUT_MS / 1000} s)` : "";
    const stderr = ((error as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`PGlite ${PGLITE_VERSION} could not initialise a PostgreSQL data dir in ${scratch}${killed}: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The version in a package's package.json (which PGlite does not export: found from its entry file up). */
function installedVersion(name: string): string {
  for (let dir = path.dirname(createRequire(import.meta.url).resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (manifest.name === name && manifest.version) return manifest.version;
  }
  throw new Error(`cannot find the version of ${name}`);
}
