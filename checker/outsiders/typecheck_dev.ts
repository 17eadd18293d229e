// DEV ONLY (not committed): materialize every outsider case and tsc them all at once.
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { materialize, prepareScratchRoot } from "../mutants/apply.js";
import { OUTSIDERS } from "./index.js";
const root = mkdtempSync("/tmp/outsiders-dev/tc-");
prepareScratchRoot(root);
import { symlinkSync } from "node:fs";
symlinkSync(path.resolve("handrolled"), path.join(root, "handrolled"));
const only = process.argv[2];
for (const c of OUTSIDERS) {
  if (only && !c.folder.startsWith(only)) continue;
  for (const o of c.cases) materialize(root, `o-${c.folder.slice(0, 2)}-${o.id}`, c.folder, o.patches);
}
writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ extends: path.resolve("tsconfig.json"), include: ["o-*/**/*.ts"], compilerOptions: { types: ["node"], typeRoots: [path.resolve("node_modules/@types")] } }));
try {
  execFileSync("npx", ["tsc", "--noEmit", "-p", path.join(root, "tsconfig.json")], { stdio: "inherit" });
  console.log("tsc ok");
} catch { console.log("tsc FAILED"); }
rmSync(root, { recursive: true, force: true });
