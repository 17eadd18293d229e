// `npm start` as a learner runs it: ready banner, the banner's curl lines work
// verbatim, Ctrl-C stops everything, and a second start keeps the payments.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tcpOpen, waitFor } from "../code/launcher.js";
import { type NpmStartEnv, type NpmStartRun, npmStartPorts, startNpmStart } from "./support/npm_start.js";

const dataDir = mkdtempSync(path.join(tmpdir(), "idempotency-course-start-"));
const runs: NpmStartRun[] = [];

afterAll(() => {
  for (const run of runs) run.killGroup();
  rmSync(dataDir, { recursive: true, force: true });
});

function npmStart(env: NpmStartEnv) {
  const run = startNpmStart({ ...env, DATA_DIR: dataDir });
  runs.push(run);
  return run;
}

describe("npm start", () => {
  let env: NpmStartEnv;

  it("gets ready, prints working curl lines, and stops all three parts on Ctrl-C", async () => {
    env = await npmStartPorts();
    const run = npmStart(env);
    await waitFor("the ready banner", async () => run.output().includes("Ctrl-C stops all three."), { timeoutMs: 30_000 });
    const banner = run.output();
    expect(banner).toMatch(/Ready in \d+\.\d s/);
    expect(banner).toContain(`http://127.0.0.1:${env.ADMIN_PORT}/ui/`);

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
    await waitFor("the ready banner", async () => run.output().includes("Ctrl-C stops all three."), { timeoutMs: 30_000 });
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
