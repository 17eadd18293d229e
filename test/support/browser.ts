// Debian's Chromium, driven by playwright-core: how the playground test and the
// screenshot flow (docs/screenshots/) find and start a headless browser.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/**
 * CI must run the browser tests (.ci/run installs Chromium); on a learner's
 * machine without Chromium the rest of `npm test` should still be usable.
 */
export const SKIP_WITHOUT_BROWSER = !existsSync(CHROMIUM) && !process.env.CI;
export const MISSING_BROWSER = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
/** Nothing but the pages we open: no sync, no update checks, no QUIC probes. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** A headless Chromium with a throw-away profile. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${MISSING_BROWSER}; .ci/run installs it when it is missing`);
  const userDataDir = mkdtempSync(path.join(tmpdir(), "course-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
    return {
      context,
      async close() {
        try {
          await context.close();
        } finally {
          rmSync(userDataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
