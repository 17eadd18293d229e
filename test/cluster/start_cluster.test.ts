// `npm run start:cluster` as a learner runs it: ready banner with curl lines
// that work verbatim, a killed node reported (not restarted) and brought back
// with the printed command, Ctrl-C stops everything, a restart keeps the
// payments, and a killed launcher's processes are stopped by the next start.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_DATA_DIR } from "../../code/config.js";
import { CLUSTER_SIZE } from "../../orchestration/cluster.js";
import { freePort, portInUse, tcpOpen } from "../../orchestration/ports.js";
import { waitFor } from "../../orchestration/processes.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { RECORD_FILE } from "../../orchestration/process_record.js";
import { type NpmStartEnv, type NpmStartRun, npmStartPorts, startNpmStart } from "../support/npm_start.js";

const tempDir = mkdtempSync(path.join(tmpdir(), "idempotency-course-cluster-start-"));
const dataDir = path.join(tempDir, DEFAULT_DATA_DIR);
const runs: NpmStartRun[] = [];
const sh = (command: string, env: NodeJS.ProcessEnv = {}) =>
  promisify(execFile)("sh", ["-c", command], { timeout: 60_000, cwd: REPO_ROOT, env: { ...process.env, ...env } });

afterAll(() => {
  for (const run of runs) run.killGroup();
  rmSync(tempDir, { recursive: true, force: true });
});

/** A base port with the next CLUSTER_SIZE - 1 free too: node N listens on base + N - 1. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = await freePort();
    const rest = await Promise.all(Array.from({ length: CLUSTER_SIZE - 1 }, (_, i) => portInUse(base + i + 1)));
    if (base + CLUSTER_SIZE < 65_536 && !rest.some(Boolean)) return base;
  }
}

async function clusterPorts(): Promise<NpmStartEnv> {
  const single = await npmStartPorts();
  return { ...single, INGRESS_PORT: String(await freeBase()), ADMIN_PORT: String(await freeBase()), NODE_PORT: String(await freeBase()) };
}

function startCluster(env: NpmStartEnv) {
  const run = startNpmStart({ ...env, DATA_DIR: dataDir }, ["run", "start:cluster"]);
  runs.push(run);
  return run;
}

async function ready(run: NpmStartRun) {
  let exited = false;
  void run.exited.then(() => (exited = true));
  const isReady = () => run.output().includes("Ctrl-C stops every node");
  await waitFor("the ready banner", async () => exited || isReady(), { timeoutMs: 45_000 }).catch((error: Error) => {
    throw new Error(`${error.message}\n--- printed ---\n${run.output()}`);
  });
  if (!isReady()) throw new Error(`npm run start:cluster exited before it was ready:\n${run.output()}`);
  return Number(/Ready in (\d+\.\d) s/.exec(run.output())![1]);
}

async function ctrlC(run: NpmStartRun) {
  run.ctrlC();
  await waitFor("the launcher to stop everything", async () => run.output().includes("Stopped."), { timeoutMs: 45_000 });
  await run.exited;
}

type RecordedProcess = { name: string; pid: number };
const readRecord = () =>
  JSON.parse(readFileSync(path.join(dataDir, "cluster", RECORD_FILE), "utf8")) as { launcher: RecordedProcess; children: RecordedProcess[] };

const bodyOf = (curlOutput: string) => curlOutput.slice(curlOutput.indexOf("\r\n\r\n") + 4);
const restateId = (curlOutput: string) => /^x-restate-id: (\S+)/im.exec(curlOutput)?.[1];

describe("npm run start:cluster", () => {
  let env: NpmStartEnv;

  it("gets ready in under 15 s, its curl lines work, a killed node is reported and comes back with the printed command, Ctrl-C stops all", async () => {
    env = await clusterPorts();
    const run = startCluster(env);
    const seconds = await ready(run);
    console.log(`start:cluster ready in ${seconds} s (fresh data dir)`);
    expect(seconds).toBeLessThan(15);
    const banner = run.output();
    const curls = banner.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("curl "));
    expect(curls).toHaveLength(3);
    const viaN1 = (await sh(curls[0]!)).stdout;
    const viaN2 = (await sh(curls[1]!)).stdout;
    expect(JSON.parse(bodyOf(viaN1))).toMatchObject({ paymentId: "cl-1", status: "succeeded" });
    expect(bodyOf(viaN2)).toBe(bodyOf(viaN1));
    expect(restateId(viaN2)).toBe(restateId(viaN1));
    expect(JSON.parse((await sh(curls[2]!)).stdout).data).toHaveLength(1);

    const killLine = /kill -9 (\d+) is n3/.exec(banner);
    expect(killLine).not.toBeNull();
    process.kill(Number(killLine![1]), "SIGKILL");
    await waitFor("the launcher to report n3", async () => run.output().includes(`Restate node n3 (pid ${killLine![1]}) exited`));
    expect(run.output()).toContain("n1 and n2 go on");
    expect(run.output()).toContain("Start it again: npm run start:cluster -- --node 3");
    expect(await tcpOpen(Number(env.INGRESS_PORT) + 2)()).toBe(false); // not restarted behind the learner's back

    const back = await sh("npm run start:cluster -- --node 3", { ...env, DATA_DIR: dataDir });
    expect(back.stdout).toContain("Node n3 is back");
    const viaN3 = (await sh(curls[0]!.replace(`:${env.INGRESS_PORT}/`, `:${Number(env.INGRESS_PORT) + 2}/`))).stdout;
    expect(bodyOf(viaN3)).toBe(bodyOf(viaN1));

    // The endpoint, unlike a node, is started again by the launcher (orchestration/supervisor.ts).
    const service = readRecord().children.find((child) => child.name === "service")!;
    process.kill(service.pid, "SIGKILL");
    await waitFor("the launcher to start the endpoint again", async () => run.output().includes("service endpoint is back"));
    expect(run.output()).toContain(`service endpoint (pid ${service.pid}) exited unexpectedly`);
    expect(bodyOf((await sh(curls[1]!)).stdout)).toBe(bodyOf(viaN1));

    await ctrlC(run);
    for (let n = 0; n < CLUSTER_SIZE; n++) {
      for (const base of [env.INGRESS_PORT, env.ADMIN_PORT, env.NODE_PORT]) expect(await tcpOpen(Number(base) + n)()).toBe(false);
    }
    for (const port of [env.SERVICE_PORT, env.GATEWAY_PORT, env.PLAYGROUND_PORT]) expect(await tcpOpen(Number(port))()).toBe(false);
  });

  it("keeps the payments across a restart, and after its own SIGKILL the next start stops what it left, by PID", async () => {
    const first = startCluster(env);
    await ready(first);
    const status = await fetch(`http://127.0.0.1:${Number(env.INGRESS_PORT) + 1}/PaymentService/cl-1/getStatus`);
    const payment = (await status.json()) as { status: string; chargeId: string };
    expect(payment.status).toBe("succeeded");
    const ledger = (await (await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/v1/charges?reference=cl-1`)).json()) as { data: { id: string }[] };
    expect(ledger.data.map((c) => c.id)).toEqual([payment.chargeId]);

    const launcherPid = readRecord().launcher.pid;
    process.kill(launcherPid, "SIGKILL");
    await first.exited;
    const second = startCluster(env);
    await ready(second);
    expect(second.output()).toContain(`The previous npm run start:cluster (pid ${launcherPid}) ended without stopping its processes`);
    expect(second.output()).toMatch(/restate-n1 \(pid \d+\)/);
    await ctrlC(second);
  });
});
