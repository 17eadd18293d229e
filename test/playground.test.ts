// The playground page in a real browser (Debian's Chromium, driven by
// playwright-core), against a real stack: duplicates, a dropped provider answer
// and a service crashed mid-charge each end in exactly one charge, on the page's
// ledger panel and in the provider's own ledger. Then `npm start` itself: it
// serves the page and starts a killed endpoint again.
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { type EndpointSupervisor, superviseEndpoints } from "../orchestration/supervisor.js";
import { REPO_ROOT } from "../orchestration/paths.js";
import { freePort } from "../orchestration/ports.js";
import { isAlive, waitFor } from "../orchestration/processes.js";
import type { FaultSettings } from "../code/types.js";
import { type Playground, startPlayground } from "../playground/server.js";
import { adminQuery } from "../code/admin_query.js";
import { type Browser, MISSING_BROWSER, SKIP_WITHOUT_BROWSER, launchChromium } from "./support/browser.js";
import { type NpmStartRun, npmStartPorts, startNpmStart } from "./support/npm_start.js";
import { succeededCharges } from "./support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../orchestration/throwaway.js";
import { z } from "zod";

if (SKIP_WITHOUT_BROWSER) console.warn(`Skipping the playground browser tests: ${MISSING_BROWSER}.`);
const describeWithBrowser = SKIP_WITHOUT_BROWSER ? describe.skip : describe;
const SCREENSHOT = path.join(REPO_ROOT, "test-artifacts", "playground.png");
/** Generous: the machine is shared, and a crashed endpoint takes a few seconds to come back. */
const UI_TIMEOUT_MS = 30_000;

let stack: ThrowawayStack;
let supervisor: EndpointSupervisor;
let playground: Playground;
let browser: Browser;
let page: Page;
const crashes: { askedAt: number; killedPid: number; restartedPid: number }[] = [];
const launcherLog: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (SKIP_WITHOUT_BROWSER) return;
  stack = await startThrowawayStack();
  supervisor = superviseEndpoints(stack, { log: (line) => launcherLog.push(line) });
  playground = await startPlayground({
    port: await freePort(),
    ingressUrl: stack.ingressUrl,
    adminUrl: stack.adminUrl,
    gatewayUrl: stack.gatewayUrl,
    crashServiceEndpoint: async () => {
      const askedAt = Date.now();
      const report = await supervisor.crash(0);
      crashes.push({ askedAt, ...report });
      return report;
    },
  });
  browser = await launchChromium({ width: 1400, height: 1000 });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(playground.url);
  await page.locator("body[data-ready=true]").waitFor();
});

afterAll(async () => {
  await browser?.close();
  await supervisor?.stop();
  await playground?.close();
  await stack?.dispose();
});

function explainFailures() {
  onTestFailed(() => {
    console.error(
      `--- page errors ---\n${pageErrors.join("\n")}\n--- launcher ---\n${launcherLog.join("\n")}\n` +
        `--- service log ---\n${stack.logTail("service")}\n--- gateway log ---\n${stack.logTail("gateway")}`,
    );
  });
}

const paymentIdField = () => page.getByLabel("Payment id", { exact: true });
const chargesOfThisPaymentOnThePage = () => page.locator("#ledger-charges tbody tr.current");

async function newPayment(): Promise<string> {
  await page.getByRole("button", { name: "New payment" }).click();
  return paymentIdField().inputValue();
}

/** Waits until the live region announces `text` (the page says so once every answer is in). */
async function announced(text: string): Promise<void> {
  await page.getByRole("status").filter({ hasText: text }).waitFor();
}

async function gatewayFaults(): Promise<FaultSettings> {
  return (await (await fetch(`${stack.gatewayUrl}/admin/faults`)).json()) as FaultSettings;
}

describeWithBrowser("the playground page", () => {
  it("labels every control and announces results in a live region", async () => {
    // Runs in the page; typed loosely because this project's TypeScript has no DOM library.
    const unlabelled = await page.locator("input, select, button, textarea").evaluateAll((controls: any[]) =>
      controls
        .filter((control) => {
          const name = control.labels?.length ? control.labels[0].textContent : (control.getAttribute("aria-label") ?? control.textContent);
          return !name || name.trim() === "";
        })
        .map((control) => String(control.outerHTML).slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.getByRole("status").getAttribute("aria-live")).toBe("polite");
    expect(await page.getByRole("link", { name: "Restate UI" }).getAttribute("href")).toBe(`${stack.adminUrl}/ui/`);
  });

  it("send twice and send 10 concurrently: twelve 200s, one invocation, one charge in the ledger panel and the provider's ledger", async () => {
    explainFailures();
    const paymentId = await newPayment();

    await page.getByRole("button", { name: "Send twice" }).click();
    await announced("Send twice: 2 of 2 answered (2 × 200)");
    await page.getByRole("button", { name: "Send 10 concurrently" }).click();
    await announced("Send 10 concurrently: 10 of 10 answered (10 × 200)");

    const groups = page.locator("#requests > li", { hasText: paymentId });
    expect(await groups.count()).toBe(2);
    expect(await groups.locator(".answer").count()).toBe(12);
    expect(await groups.locator('.answer [data-status="200"]').count()).toBe(12);
    for (const summary of await groups.locator(".group-summary").allTextContents()) {
      expect(summary).toContain("1 invocation (inv_");
      expect(summary).toContain("1 distinct charge id in the bodies");
    }

    await expect.poll(() => chargesOfThisPaymentOnThePage().count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    const charges = await succeededCharges(stack.gatewayClient, paymentId);
    expect(charges).toHaveLength(1);
    expect(await chargesOfThisPaymentOnThePage().getAttribute("data-charge")).toBe(charges[0]!.id);
    expect(await page.locator("#ledger-summary").textContent()).toContain(`${paymentId}: 1 successful charge,`);
    expect(await page.locator("#payment-summary").textContent()).toContain(charges[0]!.id);
  });

  it("drop the next response: the provider charges, the answer is lost, the retry is replayed: one charge", async () => {
    explainFailures();
    const paymentId = await newPayment();
    const dropSwitch = page.getByRole("switch", { name: "Drop the next response" });

    await dropSwitch.check();
    await expect.poll(async () => (await gatewayFaults()).dropNext, { timeout: UI_TIMEOUT_MS }).toBe(1);
    await page.getByRole("button", { name: "Send once" }).click();
    await announced("Send once: 1 of 1 answered (1 × 200)");

    expect((await gatewayFaults()).dropNext).toBe(0); // the provider really did drop an answer
    await expect.poll(() => dropSwitch.isChecked(), { timeout: UI_TIMEOUT_MS }).toBe(false);
    await expect.poll(() => chargesOfThisPaymentOnThePage().count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    const charges = await succeededCharges(stack.gatewayClient, paymentId);
    expect(charges).toHaveLength(1);
    expect(await chargesOfThisPaymentOnThePage().getAttribute("data-charge")).toBe(charges[0]!.id);
  });

  it("crash the service mid-charge: the endpoint is killed and restarted, the invocation resumes and completes with one charge", async () => {
    explainFailures();
    const endpointBefore = stack.endpoints[0]!.pid;

    await page.getByRole("button", { name: "Crash the service mid-charge" }).click();
    const finalStep = page.locator("#crash-log li.done");
    await finalStep.waitFor();
    const paymentId = await paymentIdField().inputValue();
    expect(await finalStep.textContent()).toContain("Completed: the payment answered 200 (succeeded, charge ch_");

    // The endpoint really was killed by PID and replaced.
    expect(crashes).toHaveLength(1);
    expect(crashes[0]!.killedPid).toBe(endpointBefore);
    expect(stack.endpoints[0]!.pid).toBe(crashes[0]!.restartedPid);
    expect(crashes[0]!.restartedPid).not.toBe(endpointBefore);
    expect(launcherLog.join("\n")).toContain(`(pid ${endpointBefore}) was killed on purpose (SIGKILL)`);

    // Mid-charge: the provider recorded the charge only after the kill, and only once.
    const charges = await succeededCharges(stack.gatewayClient, paymentId);
    expect(charges).toHaveLength(1);
    expect(Date.parse(charges[0]!.created)).toBeGreaterThan(crashes[0]!.askedAt);
    await expect.poll(() => chargesOfThisPaymentOnThePage().count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await chargesOfThisPaymentOnThePage().getAttribute("data-charge")).toBe(charges[0]!.id);

    // The page showed Restate retrying the invocation, then completing it.
    expect(await page.locator("#crash-log li.restate", { hasText: "failed" }).count()).toBeGreaterThan(0);
    expect(Number(await page.locator("#invocation-attempts").textContent())).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator("#invocation-status").textContent(), { timeout: UI_TIMEOUT_MS }).toBe("completed (success)");
    const invocations = await adminQuery(
      stack.adminUrl,
      `SELECT id, status FROM sys_invocation WHERE target_service_key = '${paymentId}' AND target_handler_name = 'create'`,
      z.object({ id: z.string(), status: z.string() }),
    );
    expect(invocations).toEqual([{ id: expect.stringMatching(/^inv_/), status: "completed" }]);
    const link = page.locator("#invocation-link");
    expect(await link.getAttribute("href")).toBe(`${stack.adminUrl}/ui/invocations/${invocations[0]!.id}`);
    expect((await fetch((await link.getAttribute("href"))!)).status).toBe(200);
    expect((await gatewayFaults()).latencyMs).toBe(0); // the page put the provider's latency back

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    expect(pageErrors).toEqual([]);
  });
});

describeWithBrowser("the playground server", () => {
  const post = (pathname: string, body: unknown, contentType = "application/json") =>
    fetch(new URL(pathname, playground.url), { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify(body) });

  it("answers bad input with a 4xx and a message, sending nothing to the service", async () => {
    const request = { amount: 100, currency: "USD", source: "tok_visa" };
    const badId = await post("/api/payments/no%20spaces/create", { request, idempotencyKey: null, copies: 1, concurrently: false });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { message: string }).message).toContain("payment id must be 1-64 characters");

    const tooMany = await post("/api/payments/p-1/create", { request, idempotencyKey: null, copies: 500, concurrently: true });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { message: string }).message).toContain("copies must be 1-20");

    const notJson = await post("/api/service/crash", {}, "text/plain");
    expect(notJson.status).toBe(415);
    const oversized = await post("/api/payments/p-1/create", { request: { ...request, source: "x".repeat(30_000) }, idempotencyKey: null, copies: 1, concurrently: false });
    expect(oversized.status).toBe(413);
    expect(((await oversized.json()) as { message: string }).message).toBe("The request body is larger than the playground's limit of 20480 bytes.");
    expect(await succeededCharges(stack.gatewayClient, "p-1")).toHaveLength(0);
  });

  it("answers 502 with what it could not reach when Restate's admin API is gone, and the invocations when it is back", async () => {
    const closedPort = await freePort();
    const orphan = await startPlayground({ port: await freePort(), ingressUrl: stack.ingressUrl, adminUrl: `http://127.0.0.1:${closedPort}`, gatewayUrl: stack.gatewayUrl });
    try {
      const gone = await fetch(new URL("/api/invocations?paymentId=p-1", orphan.url));
      expect(gone.status).toBe(502);
      expect(z.object({ message: z.string() }).parse(await gone.json()).message).toContain(`Restate's admin API at http://127.0.0.1:${closedPort}`);
    } finally {
      await orphan.close();
    }
    const back = await fetch(new URL("/api/invocations?paymentId=p-1", playground.url));
    expect(back.status).toBe(200);
    expect(z.object({ invocations: z.array(z.unknown()) }).parse(await back.json()).invocations).toEqual([]);
  });

  it("refuses requests that name a host other than loopback (DNS rebinding)", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL("/api/config", playground.url);
      http
        .get({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: "attacker.example:80" } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on("error", reject);
    });
    expect(status).toBe(403);
  });
});

describeWithBrowser("npm start", () => {
  let run: NpmStartRun | undefined;
  let dataDir: string | undefined;

  afterAll(() => {
    run?.killGroup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the playground, lists it in the banner, and starts a killed service endpoint again", async () => {
    const ports = await npmStartPorts();
    const [ingress, playgroundPort] = [ports.INGRESS_PORT, ports.PLAYGROUND_PORT];
    dataDir = mkdtempSync(path.join(tmpdir(), "playground-start-"));
    run = startNpmStart({ ...ports, DATA_DIR: dataDir });
    const { output, exited } = run;
    onTestFailed(() => console.error(`--- npm start ---\n${output()}`));

    await waitFor("the ready banner", async () => output().includes("Ctrl-C stops all four."), { timeoutMs: UI_TIMEOUT_MS });
    const playgroundUrl = `http://127.0.0.1:${playgroundPort}/`;
    expect(output()).toMatch(new RegExp(`playground +${playgroundUrl.replaceAll(".", "\\.")}`));
    const pageHtml = await (await fetch(playgroundUrl)).text();
    expect(pageHtml).toContain("<title>Idempotency playground</title>");

    // The page's crash switch, through the launcher: killed by PID, started again, still serving.
    const crash = await fetch(`${playgroundUrl}api/service/crash`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(crash.status).toBe(200);
    const { killedPid, restartedPid } = (await crash.json()) as { killedPid: number; restartedPid: number };
    expect(restartedPid).not.toBe(killedPid);
    expect(output()).toContain(`[launcher] service endpoint (pid ${killedPid}) was killed on purpose (SIGKILL)`);

    // An unexpected death is survived too, and logged.
    process.kill(restartedPid, "SIGKILL");
    await waitFor("the launcher to restart the endpoint", async () => output().includes(`(pid ${restartedPid}) exited unexpectedly`) && /is back \(pid \d+\)[\s\S]*is back \(pid \d+\)/.test(output()), {
      timeoutMs: UI_TIMEOUT_MS,
    });
    const payment = await fetch(`http://127.0.0.1:${ingress}/PaymentService/pay-after-crash/create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount: 500, currency: "USD", source: "tok_visa" }),
    });
    expect(payment.status).toBe(200);

    const lastEndpointPid = Number([...output().matchAll(/is back \(pid (\d+)\)/g)].at(-1)![1]);

    run.ctrlC();
    await waitFor("npm start to stop", async () => output().includes("Stopped."), { timeoutMs: UI_TIMEOUT_MS });
    await exited;
    expect(isAlive(lastEndpointPid)).toBe(false); // the restarted endpoint was stopped with the rest
    expect((await fetch(playgroundUrl).catch(() => null))?.status).toBeUndefined();
  });
});
