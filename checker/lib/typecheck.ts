// Type errors first: the learner's folders are type-checked (tsc, with the
// repository's settings) before their checks run. tsx runs code without
// checking its types, so without this a solution with a type error could pass;
// and tsc names a syntax error or an import that does not resolve by file and
// line, where tsx says "Transform failed".
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { spawnManaged } from "../../orchestration/processes.js";
import { scratchDir } from "./scratch.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
/** On a busy 2-core machine tsc takes about 10 s for every exercise; past this the check goes on without it. */
const TYPECHECK_DEADLINE_MS = 120_000;

export interface TypeProblem {
  /** The file, as given to `display`. */
  file: string;
  line: number;
  column: number;
  /** "TS2322: Type 'string' is not assignable to type 'number'." */
  message: string;
}

export interface TypecheckResult {
  /** The errors in each folder (errors in files outside the folders are not the learner's, and are left out). */
  errors: Map<string, TypeProblem[]>;
  /** Set when tsc could not run or did not finish: the checks go on without a verdict on types. */
  skipped?: string;
}

/** Type-checks the .ts files of `folders` in one tsc run. */
export async function typecheck(folders: string[]): Promise<TypecheckResult> {
  if (folders.length === 0) return { errors: new Map() };
  const scratch = scratchDir("idempotency-typecheck-");
  const config = path.join(scratch.path, "tsconfig.json");
  const output = path.join(scratch.path, "tsc.log");
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(REPO_ROOT, "tsconfig.json"),
      compilerOptions: { noEmit: true, typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")] },
      include: folders.map((folder) => path.join(folder, "**", "*.ts")),
    }),
  );
  const tsc = spawnManaged("tsc", process.execPath, [TSC, "-p", config, "--pretty", "false"], { output: { kind: "file", path: output } });
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), TYPECHECK_DEADLINE_MS)));
    const ended = await Promise.race([tsc.exited, deadline]);
    const errors = new Map<string, TypeProblem[]>(folders.map((folder) => [folder, []]));
    if (ended === "deadline") return { errors, skipped: `tsc did not finish within ${TYPECHECK_DEADLINE_MS / 1000} s` };
    await new Promise((resolve) => setTimeout(resolve, 50)); // the log's last lines are written after the exit
    const text = readFileSync(output, "utf8");
    for (const error of parse(text)) {
      const folder = folders.find((candidate) => !path.relative(candidate, error.file).startsWith(".."));
      errors.get(folder ?? "")?.push(error);
    }
    if (ended.code !== 0 && [...errors.values()].every((list) => list.length === 0) && !/error TS/.test(text)) {
      return { errors, skipped: `tsc failed: ${text.trim().split("\n")[0] ?? `exit code ${ended.code}`}` };
    }
    return { errors };
  } finally {
    clearTimeout(timer);
    await tsc.kill();
    scratch.remove();
  }
}

/** tsc's `file(line,col): error TSnnnn: message` lines (a message's continuation lines are left out). */
function parse(text: string): TypeProblem[] {
  return [...text.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/gm)].map((match) => ({
    file: path.resolve(REPO_ROOT, match[1]!),
    line: Number(match[2]),
    column: Number(match[3]),
    message: match[4]!,
  }));
}
