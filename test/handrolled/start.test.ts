// `npm run start:handrolled` as a learner runs it: ready banner with the ports
// and two curl lines, payments kept across a restart, Ctrl-C stops both by PID.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { REPO_ROOT, tsxArgs } from "../../orchestration/paths.js";
import { freePorts, tcpOpen } from "../../orchestration/ports.js";
import { type ManagedProcess, spawnManaged, waitFor } from "../../orchestration/processes.js";
import { Ingress, visa } from "../support/payments.js";

const dir = mkdtempSync(path.join(tmpdir(), "start-handrolled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function launch(port: number, gatewayPort: number): Promise<ManagedProcess> {
  const launcher = spawnManaged("start:handrolled", process.execPath, [...tsxArgs(), path.join(REPO_ROOT, "orchestration", "start_handrolled.ts")], {
    output: { kind: "file", path: path.join(dir, "launcher.log") },
    env: { DATA_DIR: dir, HANDROLLED_PORT: String(port), GATEWAY_PORT: String(gatewayPort) },
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
