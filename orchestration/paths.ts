// Where things are: the repository, and the entry files of the processes the stacks start.
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The reference service's endpoint, the file a learner runs with `npx tsx`. */
export const PAYMENT_ENDPOINT = path.join(REPO_ROOT, "code", "endpoint.ts");
export const GATEWAY_ENTRY = path.join(REPO_ROOT, "code", "mock_gateway.ts");

/** Node arguments that run a TypeScript entry file directly. */
export function tsxArgs(): string[] {
  return ["--import", pathToFileURL(require.resolve("tsx")).href];
}
