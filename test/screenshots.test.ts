// The screenshots' flow (docs/screenshots/flow.ts), run as `npm run screenshots`
// runs it, without writing the pictures: every step makes its scenario happen on
// a real stack and checks, in the real UI, what its picture shows. A picture in
// docs/images/ cannot silently show something that no longer happens.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { STEPS, ScreenshotFlow } from "../docs/screenshots/flow.js";
import { MISSING_BROWSER, SKIP_WITHOUT_BROWSER } from "./support/browser.js";

if (SKIP_WITHOUT_BROWSER) console.warn(`Skipping the screenshot flow: ${MISSING_BROWSER}.`);
const describeWithBrowser = SKIP_WITHOUT_BROWSER ? describe.skip : describe;
/** A step waits up to a minute for the UI on a busy machine; a quiet one takes seconds. */
const STEP_TIMEOUT_MS = 120_000;

let flow: ScreenshotFlow | undefined;

beforeAll(async () => {
  if (SKIP_WITHOUT_BROWSER) return;
  flow = await ScreenshotFlow.start();
}, STEP_TIMEOUT_MS);

afterAll(async () => {
  await flow?.stop();
}, STEP_TIMEOUT_MS);

describeWithBrowser("the screenshots' flow, as `npm run screenshots` runs it", () => {
  it.each(STEPS.map((step) => [`${step.image}: ${step.title}`, step] as const))(
    "%s",
    async (_title, step) => {
      onTestFailed(() => console.error(`--- service log ---\n${flow!.stack.logTail("service")}\n--- restate log ---\n${flow!.stack.logTail("restate", 10)}`));
      await step.run(flow!);
    },
    STEP_TIMEOUT_MS,
  );

  it("loaded nothing from outside this machine, and no page threw", () => {
    // Restate's UI and the playground, their scripts, fonts and API calls: enough to know the pages really loaded.
    expect(flow!.requests.length).toBeGreaterThan(50);
    expect(flow!.requests.some((url) => url.includes("/ui/assets/"))).toBe(true);
    expect(flow!.requestsOffMachine()).toEqual([]);
    expect(flow!.pageErrors).toEqual([]);
  });
});
