// `npm run start:handrolled` as a learner runs it: ready banner with the ports
// and two curl lines, payments kept across a restart, Ctrl-C stops both by PID,
// and a start after a SIGKILLed launcher stops what that one left running.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { freePorts, tcpOpen } from "../../orchestration/ports.js";
import { RECORD_FILE } from "../../orchestration/process_record.js";
import { type ManagedProcess, isAlive, spawnManaged, tryKill, waitFor } from "../../orchestration/processes.js";
import { Ingress, visa } from "../support/payments.js";

const dir = mkdtempSync(path.join(tmpdir(), "start-handrolled-"));
/** Children a killed launcher left behind: stopped here if the test fails before the next start stops them. */
const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) tryKill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function launch(port: number, gatewayPort: number, dataDir = dir): Promise<ManagedProcess> {
  const launcher = spawnManaged("start:handrolled", process.execPath, [...tsxArgs(), path.join(REPO_ROOT, "orchestration", "start_handrolled.ts")], {
    output: { kind: "file", path: path.join(dataDir, "launcher.log") },
    env: { DATA_DIR: dataDir, HANDROLLED_PORT: String(port), GATEWAY_PORT: String(gatewayPort) },
  });
  await waitFor("the ready banner", async () => launcher.recentOutput().includes("Ctrl-C stops both."), { process: launcher, timeoutMs: 60_000 });
  return launcher;
}

it("starts, answers, keeps its data across a restart, and Ctrl-C stops both", async () => {
  const [port, gatewayPort] = await freePorts(2);
  const first = await launch(port!, gatewayPort!);
  expect(first.recentOutput()).toContain(`curl -si http://127.0.0.1:${port}/PaymentService/hr-1/create`);
  const api = new Ingress(`http://127.0.0.1:${port}`);
  const created = await api.createPayment("start-1", visa, { idempotencyKey: "start-key" });
  expect(created.status).toBe(200);
  process.kill(first.pid, "SIGINT");
  expect((await first.exited).code).toBe(0);
  expect(await tcpOpen(port!)()).toBe(false);
  expect(await tcpOpen(gatewayPort!)()).toBe(false);

  const second = await launch(port!, gatewayPort!);
  try {
    const replay = await api.createPayment("start-1", visa, { idempotencyKey: "start-key" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.chargeId).toBe(created.body.chargeId);
  } finally {
    process.kill(second.pid, "SIGINT");
    await second.exited;
  }
}, 120_000);

it("recovers from its own SIGKILL: the next start stops what it left, by PID, and keeps the data", async () => {
  const [port, gatewayPort] = await freePorts(2);
  const dataDir = path.join(dir, "killed");
  const recordFile = path.join(dataDir, "handrolled", RECORD_FILE);
  const first = await launch(port!, gatewayPort!, dataDir);
  const api = new Ingress(`http://127.0.0.1:${port}`);
  const created = await api.createPayment("start-2", visa, { idempotencyKey: "start-key-2" });
  expect(created.status).toBe(200);
  const record = JSON.parse(readFileSync(recordFile, "utf8")) as { children: { name: string; pid: number }[] };
  expect(record.children.map((child) => child.name).sort()).toEqual(["gateway", "handrolled"]);
  leftovers.push(...record.children.map((child) => child.pid));

  await first.kill(); // the launcher alone: its children run in process groups of their own
  expect(await tcpOpen(port!)(), "the service outlives its killed launcher").toBe(true);

  const second = await launch(port!, gatewayPort!, dataDir);
  try {
    expect(second.recentOutput()).toContain(`The previous npm run start:handrolled (pid ${first.pid}) ended without stopping its processes`);
    for (const child of record.children) expect(isAlive(child.pid), `${child.name} (pid ${child.pid}) of the killed launcher`).toBe(false);
    const replay = await api.createPayment("start-2", visa, { idempotencyKey: "start-key-2" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.chargeId).toBe(created.body.chargeId);
  } finally {
    process.kill(second.pid, "SIGINT");
    await second.exited;
  }
  expect(existsSync(recordFile), "a clean stop removes the record").toBe(false);
}, 120_000);
