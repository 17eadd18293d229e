// What orchestration/ promises every stack: a stopped child takes its own
// children along, a throw-away environment leaves nothing behind, also when its
// owner fails or is interrupted, and a new PGlite database is a copy of one initialised once,
// also when two processes make that template at the same time.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, tsxArgs } from "../orchestration/paths.js";
import { PGLITE_TEMPLATE_DIR, preparePgliteDataDir } from "../orchestration/pglite_template.js";
import { type ManagedProcess, isAlive, spawnManaged, tryKill, waitFor } from "../orchestration/processes.js";
import { createThrowawayEnvironment } from "../orchestration/throwaway.js";

const dir = mkdtempSync(path.join(tmpdir(), "idempotency-orchestration-test-"));
const grandchildren: number[] = [];
afterAll(() => {
  for (const pid of grandchildren) tryKill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});


/** A child that starts a child of its own (as a wrapper starts the real process) and says its PID. */
async function parentWithChild(): Promise<{ parent: ManagedProcess; grandchild: number }> {
  const script = `
    const child = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    console.log("grandchild " + child.pid);
    setInterval(() => {}, 1000);`;
  const parent = spawnManaged("wrapper", process.execPath, ["-e", script], { output: { kind: "file", path: path.join(dir, "wrapper.log") } });
  let grandchild = 0;
  await waitFor("the wrapper to start its child", async () => {
    grandchild = Number(/grandchild (\d+)/.exec(parent.recentOutput())?.[1] ?? 0);
    return grandchild > 0;
  }, { process: parent, timeoutMs: 20_000 });
  grandchildren.push(grandchild);
  return { parent, grandchild };
}

describe("a child process", () => {
  for (const how of ["stop", "kill"] as const) {
    it(`takes its own children along when it is ${how === "stop" ? "stopped" : "killed"}`, async () => {
      const { parent, grandchild } = await parentWithChild();
      expect(isAlive(grandchild)).toBe(true);
      await parent[how]();
      await waitFor(`the wrapper's child ${grandchild} to be gone`, async () => !isAlive(grandchild), { timeoutMs: 5_000 });
    });
  }
});

describe("a process that starts children", () => {
  it("stops them when a SIGTERM ends it (as a timeout does), though exit handlers do not run then", async () => {
    const script = `import { spawnManaged } from ${JSON.stringify(path.join(REPO_ROOT, "orchestration", "processes.ts"))};
      const child = spawnManaged("sleeper", process.execPath, ["-e", "setInterval(() => {}, 1000)"], { output: { kind: "file", path: process.argv[1] } });
      console.log("child " + child.pid);
      setInterval(() => {}, 1000);`;
    const owner = spawnManaged("owner", process.execPath, [...tsxArgs(), "--input-type=module", "-e", script, path.join(dir, "sleeper.log")], {
      output: { kind: "file", path: path.join(dir, "owner.log") },
    });
    let child = 0;
    await waitFor("the owner to start its child", async () => {
      child = Number(/child (\d+)/.exec(owner.recentOutput())?.[1] ?? 0);
      return child > 0;
    }, { process: owner, timeoutMs: 20_000 });
    grandchildren.push(child);
    await owner.stop();
    expect((await owner.exited).signal).toBe("SIGTERM"); // it died of the signal, as it would have without us
    await waitFor(`the owner's child ${child} to be gone`, async () => !isAlive(child), { timeoutMs: 5_000 });
  });
});

describe("a throw-away environment", () => {
  /** A service that starts a child of its own, says its PID, and answers /health. */
  const service = path.join(dir, "service_with_child.mjs");
  writeFileSync(
    service,
    `import { spawn } from "node:child_process";
    import { createServer } from "node:http";
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    console.log("grandchild " + child.pid);
    createServer((_, response) => response.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");`,
  );
  const grandchildOf = (output: string) => Number(/grandchild (\d+)/.exec(output)?.[1] ?? 0);

  it("stops what it owns, each with its process group, and removes its dir on dispose", async () => {
    const environment = createThrowawayEnvironment("idempotency-orchestration-test-environment");
    const port = await environment.freePort();
    const child = await environment.startTsxService("service", service, { env: { PORT: String(port) }, healthUrl: `http://127.0.0.1:${port}/health` });
    const grandchild = grandchildOf(child.recentOutput());
    grandchildren.push(grandchild);
    expect(isAlive(grandchild)).toBe(true);
    await environment.dispose();
    expect(child.hasExited()).toBe(true);
    await waitFor(`the service's child ${grandchild} to be gone`, async () => !isAlive(grandchild), { timeoutMs: 5_000 });
    expect(existsSync(environment.dir)).toBe(false);
  });

  for (const ending of ["throws", "is ended by SIGTERM"] as const) {
    it(`is cleaned up when its owner ${ending} without disposing it: children's groups killed, dir removed`, async () => {
      const script = `import { createThrowawayEnvironment } from ${JSON.stringify(path.join(REPO_ROOT, "orchestration", "throwaway.ts"))};
        const environment = createThrowawayEnvironment("idempotency-orchestration-test-owner");
        const port = await environment.freePort();
        const child = await environment.startTsxService("service", process.argv[1], { env: { PORT: String(port) }, healthUrl: "http://127.0.0.1:" + port + "/health" });
        console.log("dir " + environment.dir + " " + child.recentOutput());
        if (process.argv[2] === "throws") setTimeout(() => { throw new Error("the caller failed"); }, 200);
        else setInterval(() => {}, 1000);`;
      const owner = spawnManaged("owner", process.execPath, [...tsxArgs(), "--input-type=module", "-e", script, service, ending === "throws" ? "throws" : "waits"], {
        output: { kind: "file", path: path.join(dir, "environment-owner.log") },
      });
      let started: RegExpExecArray | null = null;
      await waitFor("the owner to start its service", async () => (started = /dir (\S+) grandchild (\d+)/.exec(owner.recentOutput())) !== null, {
        process: ending === "throws" ? undefined : owner,
        timeoutMs: 30_000,
      });
      const [, environmentDir, grandchild] = started! as unknown as [string, string, string];
      grandchildren.push(Number(grandchild));
      if (ending === "throws") expect((await owner.exited).code).toBe(1);
      else {
        await owner.stop();
        expect((await owner.exited).signal).toBe("SIGTERM");
      }
      await waitFor(`the service's child ${grandchild} to be gone`, async () => !isAlive(Number(grandchild)), { timeoutMs: 5_000 });
      expect(existsSync(environmentDir)).toBe(false);
    });
  }
});

describe("a new PGlite database", () => {
  it("is initialised, and a database already in the folder is kept", async () => {
    const dataDir = path.join(dir, "pglite");
    await preparePgliteDataDir(dataDir);
    expect(existsSync(path.join(PGLITE_TEMPLATE_DIR, "PG_VERSION"))).toBe(true);
    const db = await PGlite.create(dataDir);
    await db.exec("CREATE TABLE kept (id integer)");
    await db.close();
    await preparePgliteDataDir(dataDir);
    const again = await PGlite.create(dataDir);
    expect((await again.query("SELECT count(*)::int AS n FROM kept")).rows).toEqual([{ n: 0 }]);
    await again.close();
  }, 120_000); // the first run on a machine makes the template: seconds of initdb, many on a busy machine

  it("is made from one template when two processes need one at the same time, with nothing half-made left behind", async () => {
    // Their own temp dir (os.tmpdir() follows TMPDIR), so that neither finds a template already made.
    const temp = path.join(dir, "race");
    const script = `import { preparePgliteDataDir } from ${JSON.stringify(path.join(REPO_ROOT, "orchestration", "pglite_template.ts"))};
      await preparePgliteDataDir(process.argv[1]);`;
    const prepare = (name: string) =>
      promisify(execFile)(process.execPath, [...tsxArgs(), "--input-type=module", "-e", script, path.join(dir, name)], {
        cwd: REPO_ROOT,
        env: { ...process.env, TMPDIR: temp },
        timeout: 120_000,
      });
    mkdirSync(temp);
    await Promise.all([prepare("first"), prepare("second")]);
    for (const name of ["first", "second"]) expect(existsSync(path.join(dir, name, "PG_VERSION")), name).toBe(true);
    const template = path.basename(PGLITE_TEMPLATE_DIR);
    expect(readdirSync(temp).filter((name) => name.startsWith(template))).toEqual([template]); // no scratch copy left
  }, 120_000);
});
