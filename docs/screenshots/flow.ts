// The screenshots' flow: a throw-away stack, the scenario each picture shows made
// to happen for real, and restate-server's own UI and the playground driven in
// Chromium. Each step checks that the page shows what its picture is meant to
// show before it takes the picture. `npm run screenshots` (take.ts) runs it and
// writes docs/images/; test/screenshots.test.ts runs the same steps, with the
// same selectors and checks, and writes nothing.
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import type { FaultSettings } from "../../code/types.js";
import { type EndpointProcess, registerDeployment, startEndpoint } from "../../orchestration/parts.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { freePort } from "../../orchestration/ports.js";
import { waitFor } from "../../orchestration/processes.js";
import { type Playground, startPlayground } from "../../playground/server.js";
import { adminQuery } from "../../code/admin_query.js";
import { type Browser, launchChromium } from "../../test/support/browser.js";
import { succeededCharges } from "../../test/support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";
import { z } from "zod";

export const IMAGES_DIR = path.join(REPO_ROOT, "docs", "images");
/** One size for every picture: readable beside a chapter, a few hundred KB at most. */
const VIEWPORT = { width: 1280, height: 800 };
/** Generous: the machine may be shared, and the UI polls the server. */
const UI_TIMEOUT_MS = 60_000;
/** The chapter 7 drill's endpoint: the same handlers, paused after 3 failed attempts instead of 100. */
const DRILL_ENDPOINT = path.join(REPO_ROOT, "code", "drill_endpoint.ts");

/** The charge's first calls that the provider answers with a 500, each retried by `ctx.run`. */
export const PROVIDER_FAILURES = 3;
const RETRIED_PAYMENT = "pay-retried";
const PAUSED_PAYMENT = "pay-paused";
const ORDER = { amount: 4_200, currency: "EUR", source: "tok_visa" };

export interface Step {
  /** What the picture shows, as a test title. */
  title: string;
  /** The picture's file in docs/images/. */
  image: string;
  run(flow: ScreenshotFlow): Promise<void>;
}

/**
 * The pictures, in the order they are taken (the paused step comes last: it leaves the stopped drill endpoint
 * registered as PaymentService's newest deployment, so any later payment would pause too).
 */
export const STEPS: Step[] = [
  {
    title: "the Restate UI shows the charge's journal: the provider's 500, retried, then completed",
    image: "ui-journal-retries.png",
    run: (flow) => flow.journalWithRetries(),
  },
  { title: "the Restate UI shows the payment in the object's state", image: "ui-state.png", run: (flow) => flow.objectState() },
  { title: "the playground shows twelve requests, one invocation, one charge", image: "playground.png", run: (flow) => flow.playground() },
  {
    title: "the Restate UI shows an invocation paused after its retries ran out, and why",
    image: "ui-paused.png",
    run: (flow) => flow.pausedInvocation(),
  },
];

export class ScreenshotFlow {
  /** Every URL the browser asked for, in order. */
  readonly requests: string[] = [];
  readonly pageErrors: string[] = [];
  private chargeId: string | undefined;
  private drill: EndpointProcess | undefined;
  private playgroundServer: Playground | undefined;

  private constructor(
    readonly stack: ThrowawayStack,
    private readonly browser: Browser,
    readonly page: Page,
    /** Where pictures are written; none are when unset (the test). */
    private readonly imagesDir: string | undefined,
  ) {}

  static async start(options: { imagesDir?: string } = {}): Promise<ScreenshotFlow> {
    const stack = await startThrowawayStack();
    let browser: Browser | undefined;
    try {
      browser = await launchChromium(VIEWPORT);
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      page.setDefaultTimeout(UI_TIMEOUT_MS);
      const flow = new ScreenshotFlow(stack, browser, page, options.imagesDir);
      browser.context.on("request", (request) => flow.requests.push(request.url()));
      page.on("pageerror", (error) => flow.pageErrors.push(error.message));
      return flow;
    } catch (error) {
      await browser?.close();
      await stack.dispose();
      throw error;
    }
  }

  /** Requests that left loopback: Restate's UI is served by restate-server, the playground by our own server. */
  requestsOffMachine(): string[] {
    return this.requests.filter((url) => {
      const { protocol, hostname } = new URL(url);
      if (protocol === "data:" || protocol === "blob:") return false;
      return !["127.0.0.1", "localhost", "[::1]"].includes(hostname);
    });
  }

  /** Stops everything it started, by PID, and removes the temp dirs, whatever failed before. */
  async stop(): Promise<void> {
    const stops = [() => this.browser.close(), () => this.playgroundServer?.close(), () => this.drill?.stop(5_000), () => this.stack.dispose()];
    const failures: unknown[] = [];
    for (const stop of stops) await Promise.resolve(stop()).catch((error) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  }

  /** The provider fails the charge's first calls with a 500; `ctx.run` retries the charge until it goes through. */
  async journalWithRetries(): Promise<void> {
    const { stack, page } = this;
    await stack.gatewayClient.setFaults({ failNext: PROVIDER_FAILURES });
    const payment = await this.create(RETRIED_PAYMENT);
    check(payment.status === "succeeded", `${RETRIED_PAYMENT} should have succeeded, got ${JSON.stringify(payment)}`);
    const faults = (await (await fetch(`${stack.gatewayUrl}/admin/faults`)).json()) as FaultSettings;
    check(faults.failNext === 0, `the provider should have failed ${PROVIDER_FAILURES} calls, ${faults.failNext} failures are left unused`);
    const charges = await succeededCharges(stack.gatewayClient, RETRIED_PAYMENT);
    check(charges.length === 1 && charges[0]!.id === payment.chargeId, `one charge for ${RETRIED_PAYMENT} expected, the provider holds ${JSON.stringify(charges)}`);
    this.chargeId = payment.chargeId!;

    const invocationId = await this.invocationOf(`PaymentService/${RETRIED_PAYMENT}/create`);
    await page.goto(`${stack.adminUrl}/ui/invocations/${invocationId}`, { waitUntil: "domcontentloaded" });
    await page.getByRole("button", { name: "Detailed", exact: true }).click();
    await page.mouse.move(0, VIEWPORT.height - 1); // no tooltip over the journal
    await shows(page.getByRole("main").getByText("Succeeded", { exact: true }).filter({ visible: true }).first(), "the invocation as succeeded");
    await shows(page.getByRole("button", { name: '"charge"' }), 'the journal\'s run("charge") step');
    await shows(page.getByRole("button", { name: /^the payment provider: answered 500: Injected fault/ }), "the provider's 500 on the charge");
    await this.picture("ui-journal-retries.png");
  }

  /** The object's state: the payment as the service stored it, with the charge of the first step, reached from its invocation. */
  async objectState(): Promise<void> {
    const { stack, page } = this;
    check(this.chargeId !== undefined, "the journal step runs first: it creates the payment, and opens the page this step starts from");
    // From the invocation's page, as a user would (the UI moves without reloading itself).
    await page.getByRole("link", { name: `Open virtual object instance PaymentService / ${RETRIED_PAYMENT}` }).first().click();
    await page.waitForURL(`${stack.adminUrl}/ui/virtual-objects/PaymentService/${RETRIED_PAYMENT}`);
    await page.getByRole("tab", { name: "State" }).click();
    await shows(page.getByText("payment", { exact: true }), "the state key 'payment'");
    const storedPayment = page.getByText(`"paymentId":"${RETRIED_PAYMENT}","status":"succeeded"`).filter({ hasText: this.chargeId! });
    await shows(storedPayment, `the stored payment: succeeded, with charge ${this.chargeId}`);
    await this.picture("ui-state.png");
  }

  /** The playground sends the same payment twice, then 10 times at once: one invocation, one charge. */
  async playground(): Promise<void> {
    const { stack, page } = this;
    this.playgroundServer = await startPlayground({ port: await freePort(), ingressUrl: stack.ingressUrl, adminUrl: stack.adminUrl, gatewayUrl: stack.gatewayUrl });
    await page.goto(this.playgroundServer.url, { waitUntil: "domcontentloaded" });
    await page.locator("body[data-ready=true]").waitFor();
    await page.getByRole("button", { name: "New payment" }).click();
    const paymentId = await page.getByLabel("Payment id", { exact: true }).inputValue();
    await page.getByRole("button", { name: "Send twice" }).click();
    await shows(page.getByRole("status").filter({ hasText: "Send twice: 2 of 2 answered (2 × 200)" }), "two answers to Send twice");
    await page.getByRole("button", { name: "Send 10 concurrently" }).click();
    await shows(page.getByRole("status").filter({ hasText: "Send 10 concurrently: 10 of 10 answered (10 × 200)" }), "ten answers to Send 10 concurrently");
    await shows(page.locator("#ledger-summary", { hasText: `${paymentId}: 1 successful charge,` }), `one charge for ${paymentId} in the ledger panel`);
    const charges = await succeededCharges(stack.gatewayClient, paymentId);
    check(charges.length === 1, `the provider should hold one charge for ${paymentId}, it holds ${charges.length}`);
    await page.evaluate("window.scrollTo(0, 0)"); // the buttons scrolled it: the picture starts at the page's top
    await this.picture("playground.png");
  }

  /**
   * Chapter 7's drill: PaymentService moves to the drill endpoint, which pauses after 3 attempts; the endpoint is
   * stopped, and a payment sent to it fails to reach it three times, then waits, paused, for an operator.
   */
  async pausedInvocation(): Promise<void> {
    const { stack, page } = this;
    const port = await freePort();
    this.drill = await startEndpoint({
      name: "drill endpoint",
      port,
      gatewayUrl: stack.gatewayUrl,
      entry: DRILL_ENDPOINT,
      env: { DRILL_PORT: String(port), RESTATE_LOGGING: "WARN" },
      output: { kind: "file", path: path.join(stack.dir, "drill.log") },
    });
    await registerDeployment(stack.adminUrl, this.drill.url);
    await this.drill.stop(5_000);
    this.drill = undefined;

    const sent = await fetch(`${stack.ingressUrl}/PaymentService/${PAUSED_PAYMENT}/create/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ORDER),
    });
    const answer = await sent.text();
    check(sent.ok, `sending ${PAUSED_PAYMENT} answered ${sent.status}: ${answer}`);
    const { invocationId } = JSON.parse(answer) as { invocationId: string };
    let status: string | undefined;
    await waitFor(`${invocationId} to be paused`, async () => {
      status = await this.statusOf(invocationId);
      return status === "paused" || status === "completed";
    }, { timeoutMs: UI_TIMEOUT_MS });
    check(status === "paused", `${invocationId} should have paused after the drill endpoint's 3 attempts; it ${status}`);

    await page.goto(`${stack.adminUrl}/ui/invocations/${invocationId}`, { waitUntil: "domcontentloaded" });
    await shows(page.getByRole("main").getByText(/^Paused/).filter({ visible: true }).first(), "the invocation as paused");
    await shows(page.getByRole("link", { name: "Resume…" }), "the Resume action");
    await shows(page.getByRole("code").filter({ hasText: "Connection refused" }), "why: the endpoint refused the connection");
    await this.picture("ui-paused.png");
  }

  private async create(paymentId: string): Promise<{ status: string; chargeId: string | null }> {
    const response = await fetch(`${this.stack.ingressUrl}/PaymentService/${paymentId}/create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ORDER),
      signal: AbortSignal.timeout(UI_TIMEOUT_MS),
    });
    const answer = await response.text();
    check(response.ok, `creating ${paymentId} answered ${response.status}: ${answer}`);
    return JSON.parse(answer) as { status: string; chargeId: string | null };
  }

  private async invocationOf(target: string): Promise<string> {
    const rows = await adminQuery(this.stack.adminUrl, `SELECT id FROM sys_invocation WHERE target = '${target}'`, z.object({ id: z.string() }));
    check(rows.length === 1, `one invocation of ${target} expected, found ${rows.length}`);
    return rows[0]!.id;
  }

  private async statusOf(invocationId: string): Promise<string | undefined> {
    const rows = await adminQuery(this.stack.adminUrl, `SELECT status FROM sys_invocation WHERE id = '${invocationId}'`, z.object({ status: z.string() }));
    return rows[0]?.status;
  }

  private async picture(image: string): Promise<void> {
    if (!this.imagesDir) return;
    mkdirSync(this.imagesDir, { recursive: true });
    await this.page.screenshot({ path: path.join(this.imagesDir, image), type: "png" });
  }
}

/** Waits until the page shows `locator`; the error says what was missing. */
async function shows(locator: Locator, what: string): Promise<void> {
  try {
    await locator.waitFor({ state: "visible" });
  } catch (error) {
    throw new Error(`the page should show ${what}, and did not within ${UI_TIMEOUT_MS} ms: ${(error as Error).message.split("\n")[0]}`);
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
