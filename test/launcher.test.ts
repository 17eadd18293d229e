// `npm start` as a learner runs it: ready banner, the banner's curl lines work
// verbatim, Ctrl-C stops everything, and a second start keeps the payments.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tcpOpen } from "../orchestration/ports.js";
import { isAlive, waitFor } from "../orchestration/processes.js";
import { REPO_ROOT } from "../orchestration/paths.js";
import { RECORD_FILE } from "../orchestration/process_record.js";
import { normaliseOutput, outputBlocks, readMarkdown } from "./support/markdown.js";
import { NPM_START_PARTS, type NpmStartEnv, type NpmStartRun, npmStartPorts, startNpmStart } from "./support/npm_start.js";
import { DEFAULT_DATA_DIR, DEFAULT_PORT, PORT_VARIABLE } from "../code/config.js";

/** The ports the README's banner shows (the defaults), by the variable this test moves each one with. */
const README_PORTS = Object.fromEntries(NPM_START_PARTS.map((part) => [PORT_VARIABLE[part], DEFAULT_PORT[part]])) as Record<keyof NpmStartEnv, number>;

const tempDir = mkdtempSync(path.join(tmpdir(), "idempotency-course-start-"));
// Not there yet, as `.restate` is not in a fresh checkout: the first start makes it.
const dataDir = path.join(tempDir, DEFAULT_DATA_DIR);
const runs: NpmStartRun[] = [];

/** Every child PID a record named: a failed test must not leave a killed launcher's children running. */
const recordedPids = new Set<number>();

afterAll(() => {
  for (const run of runs) run.killGroup();
  for (const pid of recordedPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  rmSync(tempDir, { recursive: true, force: true });
});

/** Polls for the ready banner; a start that exits first fails at once, with its output. */
async function ready(run: NpmStartRun, timeoutMs = 30_000) {
  let exited = false;
  void run.exited.then(() => (exited = true));
  const isReady = () => run.output().includes("Ctrl-C stops all four.");
  try {
    await waitFor("the ready banner", async () => exited || isReady(), { timeoutMs });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- npm start printed ---\n${run.output()}`);
  }
  if (!isReady()) throw new Error(`npm start exited before it was ready:\n${run.output()}`);
}

function npmStart(env: NpmStartEnv) {
  const run = startNpmStart({ ...env, DATA_DIR: dataDir });
  runs.push(run);
  return run;
}

type RecordedProcess = { name: string; pid: number };
function readRecord() {
  const record = JSON.parse(readFileSync(path.join(dataDir, RECORD_FILE), "utf8")) as { launcher: RecordedProcess; children: RecordedProcess[] };
  for (const child of record.children) recordedPids.add(child.pid);
  return record;
}

describe("npm start", () => {
  let env: NpmStartEnv;

  it("gets ready, prints working curl lines, and stops all four parts on Ctrl-C", async () => {
    env = await npmStartPorts();
    const run = npmStart(env);
    await ready(run);
    const banner = run.output();
    expect(banner).toMatch(/Ready in \d+\.\d s/);
    expect(banner).toContain(`http://127.0.0.1:${env.ADMIN_PORT}/ui/`);
    // The README shows the banner as a learner sees it, on the default ports: the same lines, in order.
    const [shown] = outputBlocks(readMarkdown(path.join(REPO_ROOT, "README.md"))).filter((block) => block.command === "npm start");
    expect(shown, "README.md shows npm start's banner").toBeDefined();
    const onDefaultPorts = (Object.keys(README_PORTS) as (keyof NpmStartEnv)[]).reduce(
      (text, variable) => text.replaceAll(`127.0.0.1:${env[variable]}`, `127.0.0.1:${README_PORTS[variable]}`),
      banner,
    );
    expect(normaliseOutput(onDefaultPorts)).toContain(normaliseOutput(shown!.value));

    const curls = banner.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("curl "));
    expect(curls).toHaveLength(2);
    const sh = (command: string) => promisify(execFile)("sh", ["-c", command], { timeout: 30_000 });
    const first = JSON.parse((await sh(curls[0]!)).stdout);
    const second = JSON.parse((await sh(curls[0]!)).stdout);
    expect(first).toMatchObject({ paymentId: "pay-1", status: "succeeded" });
    expect(second).toEqual(first);
    const ledger = JSON.parse((await sh(curls[1]!)).stdout);
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0].id).toBe(first.chargeId);

    run.ctrlC();
    // npm itself dies of the signal at once; the launcher finishes the shutdown and says so.
    await waitFor("the launcher to stop everything", async () => run.output().includes("Stopped."), { timeoutMs: 30_000 });
    await run.exited;
    for (const port of Object.values(env)) expect(await tcpOpen(Number(port))()).toBe(false);
  });

  it("keeps the payments in the data dir across a restart", async () => {
    const run = npmStart(env);
    await ready(run);
    const status = await fetch(`http://127.0.0.1:${env.INGRESS_PORT}/PaymentService/pay-1/getStatus`);
    expect(status.status).toBe(200);
    const payment = (await status.json()) as { chargeId: string };
    expect(payment).toMatchObject({ paymentId: "pay-1", status: "succeeded" });
    // The provider's ledger survived the restart too.
    const ledger = (await (await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/v1/charges?reference=pay-1`)).json()) as { data: { id: string }[] };
    expect(ledger.data.map((c) => c.id)).toEqual([payment.chargeId]);
    run.ctrlC();
    await waitFor("the launcher to stop everything", async () => run.output().includes("Stopped."), { timeoutMs: 30_000 });
  });

  it("recovers from its own SIGKILL: the next start stops what it left, by PID, and keeps the data", async () => {
    const first = npmStart(env);
    await ready(first);
    const before = readRecord();
    expect(before.launcher.pid).toBeGreaterThan(0);
    expect(before.children.map((c) => c.name).sort()).toEqual(["gateway", "restate", "service"]);

    // What a closed terminal or the OOM killer does: the launcher dies at once, no handler runs.
    process.kill(before.launcher.pid, "SIGKILL");
    await first.exited;
    const restate = before.children.find((c) => c.name === "restate")!;
    expect(isAlive(restate.pid), "restate-server runs on in its own process group").toBe(true);

    const second = npmStart(env);
    await ready(second, 45_000);
    expect(second.output()).toContain(`The previous npm start (pid ${before.launcher.pid}) ended without stopping its processes`);
    expect(second.output()).toContain(`restate (pid ${restate.pid})`);
    for (const child of before.children) expect(isAlive(child.pid), `${child.name} (pid ${child.pid}) of the killed launcher`).toBe(false);

    const payment = (await (await fetch(`http://127.0.0.1:${env.INGRESS_PORT}/PaymentService/pay-1/getStatus`)).json()) as { chargeId: string; status: string };
    expect(payment.status).toBe("succeeded");
    const ledger = (await (await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/v1/charges?reference=pay-1`)).json()) as { data: { id: string }[] };
    expect(ledger.data.map((c) => c.id)).toEqual([payment.chargeId]);

    const after = readRecord();
    second.ctrlC();
    await waitFor("the launcher to stop everything", async () => second.output().includes("Stopped."), { timeoutMs: 30_000 });
    for (const child of after.children) expect(isAlive(child.pid), `${child.name} (pid ${child.pid})`).toBe(false);
    expect(existsSync(path.join(dataDir, RECORD_FILE)), "a clean stop removes the record").toBe(false);
  });

  it("when npm was SIGKILLed and its launcher runs on, a second start prints a command that stops it, and the command works", async () => {
    const first = npmStart(env);
    await ready(first);
    const { launcher } = readRecord();
    // npm dies at once; its child, the launcher, runs on without the terminal Ctrl-C was typed in.
    process.kill(first.child.pid!, "SIGKILL");
    await first.exited;
    expect(isAlive(launcher.pid), "the launcher outlives npm").toBe(true);

    try {
      const second = npmStart(env);
      expect(await second.exited).toBe(1);
      await waitFor("the second start's advice", async () => second.output().includes("DATA_DIR=<dir>"), { timeoutMs: 5_000 });
      const advice = /^\s*(kill \d+)$/m.exec(second.output())?.[1];
      expect(advice, `a command on a line of its own, to stop the running launcher, in:\n${second.output()}`).toBe(`kill ${launcher.pid}`);
      await promisify(execFile)("sh", ["-c", advice!]);
      await waitFor("the launcher to stop everything", async () => first.output().includes("Stopped."), { timeoutMs: 30_000 });
      await waitFor("the launcher to exit", async () => !isAlive(launcher.pid), { timeoutMs: 10_000 });
      for (const port of Object.values(env)) expect(await tcpOpen(Number(port))()).toBe(false);
    } finally {
      if (isAlive(launcher.pid)) process.kill(launcher.pid, "SIGKILL"); // its children are in recordedPids
    }
  });

  it("never stops a process it did not start, even when a stale record names its PID", async () => {
    const bystander = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
    try {
      // A record whose launcher is gone and whose "child" PID now belongs to another program.
      writeFileSync(
        path.join(dataDir, RECORD_FILE),
        JSON.stringify({
          launcher: { name: "launcher", pid: 999_999, identity: "Thu Jan  1 00:00:00 1970 node launcher" },
          children: [{ name: "restate", pid: bystander.pid, identity: "Thu Jan  1 00:00:00 1970 restate-server --base-dir elsewhere" }],
        }),
      );
      const run = npmStart(env);
      await ready(run);
      expect(run.output()).not.toContain("ended without stopping its processes");
      expect(isAlive(bystander.pid!)).toBe(true);
      run.ctrlC();
      await waitFor("the launcher to stop everything", async () => run.output().includes("Stopped."), { timeoutMs: 30_000 });
    } finally {
      bystander.kill("SIGKILL");
    }
  });

  it("says which variable to set when a port is taken", async () => {
    const taken = await npmStartPorts();
    const blocker = net.createServer().listen(Number(taken.INGRESS_PORT), "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    try {
      const run = npmStart(taken);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${taken.INGRESS_PORT} (ingress) is already in use`);
      expect(run.output()).toContain("INGRESS_PORT=<port> npm start");
    } finally {
      blocker.close();
    }
  });
});
