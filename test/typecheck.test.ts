// `npm test` type-checks with `tsc --noEmit`, which checks only the files its
// tsconfig.json takes in: a folder left out of "include" is never checked, and
// nothing says so. Here every TypeScript file of the repository (committed, or
// new and not ignored) must be in the program.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../orchestration/paths.js";

const run = promisify(execFile);
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

describe("the type check", () => {
  it("takes in every .ts file of the repository", async () => {
    const [tracked, listed] = await Promise.all([
      run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], { cwd: REPO_ROOT }),
      run(process.execPath, [TSC, "--listFilesOnly", "-p", "tsconfig.json"], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }),
    ]);
    const inProgram = new Set(listed.stdout.split("\n").filter(Boolean).map((file) => path.relative(REPO_ROOT, path.resolve(REPO_ROOT, file))));
    const files = tracked.stdout.split("\n").filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((file) => !inProgram.has(file)), "files that tsc --noEmit never checks: add their folder to tsconfig.json's include").toEqual([]);
  }, 120_000); // tsc reads every file: 2 s on a quiet machine, 30 s at load 20
});
