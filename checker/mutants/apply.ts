// Copies a reference solution into a scratch folder and applies a mutant's or
// an alternative's patches, failing loudly when an anchor is gone or ambiguous.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../orchestration/paths.js";
import type { Patch } from "./catalogue.js";

/**
 * A scratch root the checker can use as an implementation root: variants live in
 * `<root>/<variant>/<folder>`, and `<root>` links to the repository's exercises/,
 * code/ and node_modules, so a solution's `../../exercises/support/...` imports resolve.
 */
export function prepareScratchRoot(root: string): void {
  mkdirSync(root, { recursive: true });
  for (const shared of ["exercises", "code", "node_modules", "package.json"]) {
    const link = path.join(root, shared);
    if (!existsSync(link)) symlinkSync(path.join(REPO_ROOT, shared), link);
  }
}

export class AnchorMissing extends Error {}

/** Copies solutions/<folder> to `<root>/<variant>/<folder>` with the patches applied; returns `<root>/<variant>`. */
export function materialize(root: string, variant: string, folder: string, patches: Patch[]): string {
  const implementationRoot = path.join(root, variant);
  const dir = path.join(implementationRoot, folder);
  cpSync(path.join(REPO_ROOT, "solutions", folder), dir, { recursive: true });
  for (const patch of patches) {
    const file = path.join(dir, patch.file);
    if ("create" in patch) {
      mkdirSync(path.dirname(file), { recursive: true }); // a helper in a folder of its own
      writeFileSync(file, patch.create);
      continue;
    }
    const source = readFileSync(file, "utf8");
    const count = source.split(patch.find).length - 1;
    if (patch.all ? count === 0 : count !== 1) {
      throw new AnchorMissing(`${variant}: ${folder}/${patch.file} has ${count === 0 ? "no" : count} copies of ${JSON.stringify(patch.find.slice(0, 80))}; update the catalogue to the solution`);
    }
    writeFileSync(file, patch.all ? source.replaceAll(patch.find, () => patch.replace) : source.replace(patch.find, () => patch.replace));
  }
  return implementationRoot;
}
