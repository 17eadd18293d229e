// `npm run screenshots`: runs the screenshot flow (flow.ts) against a throw-away
// stack and writes its pictures to docs/images/, after checking that every page
// loaded nothing from outside this machine.
import { statSync } from "node:fs";
import * as path from "node:path";
import { IMAGES_DIR, STEPS, ScreenshotFlow } from "./flow.js";

const flow = await ScreenshotFlow.start({ imagesDir: IMAGES_DIR });
let failed = false;
try {
  for (const step of STEPS) {
    const started = Date.now();
    await step.run(flow);
    const { size } = statSync(path.join(IMAGES_DIR, step.image));
    console.log(`${path.relative(process.cwd(), path.join(IMAGES_DIR, step.image))}  ${Math.round(size / 1024)} KB  (${Date.now() - started} ms): ${step.title}`);
  }
  const offMachine = flow.requestsOffMachine();
  if (offMachine.length > 0) throw new Error(`the pages loaded ${offMachine.length} URLs from outside this machine:\n${offMachine.join("\n")}`);
  if (flow.pageErrors.length > 0) throw new Error(`the pages threw:\n${flow.pageErrors.join("\n")}`);
  console.log(`${flow.requests.length} requests, all to loopback (or data:/blob:).`);
} catch (error) {
  failed = true;
  console.error(`Screenshots failed: ${(error as Error).message}`);
  console.error(`--- service log ---\n${flow.stack.logTail("service")}\n--- restate log ---\n${flow.stack.logTail("restate")}`);
} finally {
  await flow.stop();
}
process.exitCode = failed ? 1 : 0;
