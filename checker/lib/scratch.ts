// Temporary directories of the checker's own (a type check's config, a learner
// call's answer, the mutants' copies), removed when done, and also when a signal
// ends the checker first (stack.ts stops it with process.exit, past any finally).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface ScratchDir {
  readonly path: string;
  remove(): void;
}

export function scratchDir(prefix: string): ScratchDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const remove = () => {
    process.off("exit", remove);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", remove);
  return { path: dir, remove };
}
