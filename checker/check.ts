// The exercise checker: runs an exercise's named checks against your code, on a
// real restate-server with the mock gateway and providers, and says which
// behaviour is missing and where the chapter teaches it.
//
//   npm run check -- 3                 exercise 3, in exercises/
//   npm run check -- all --dir my-work every exercise, in your copy
//   npm run check:solutions            every exercise, in solutions/
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../orchestration/paths.js";
import { EXERCISES, findExercise } from "./exercises.js";
import type { ExerciseDefinition } from "./lib/exercise.js";
import { type Painter, formatResult, painter, summaryLine } from "./lib/report.js";
import { type ExerciseReport, displayPath, runExercises } from "./lib/run.js";
import { type CheckerStack, startCheckerStack } from "./lib/stack.js";
import { type TypecheckResult, typecheck } from "./lib/typecheck.js";

const USAGE = `Usage: npm run check -- <exercise> [--dir <folder>] [--verbose]

  <exercise>      1-${EXERCISES.length}, a folder name such as ${EXERCISES[0]!.folder}, or "all"
  --dir <folder>  the folder that holds your NN-name exercise folders
                  (default: $EXERCISES_DIR, else exercises/)
  --solutions     check the reference solutions (same as --dir solutions)
  --verbose       for each failure, what the check saw and your endpoint's log
  --help          this text

Exercises:
${EXERCISES.map((exercise) => `  ${String(exercise.number).padStart(2)}  ${exercise.folder.padEnd(38)} ${exercise.title}`).join("\n")}`;

class UsageError extends Error {}

interface Options {
  exercises: ExerciseDefinition[];
  root: string;
  verbose: boolean;
}

function parseOptions(argv: string[]): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        solutions: { type: "boolean", default: false },
        verbose: { type: "boolean", short: "v", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "Which exercise? Give its number, or \"all\"." : `One exercise at a time (or "all"), not: ${positionals.join(" ")}`);
  }
  const [wanted] = positionals as [string];
  let exercises: ExerciseDefinition[];
  if (wanted.toLowerCase() === "all") {
    exercises = EXERCISES;
  } else {
    const exercise = findExercise(wanted);
    if (!exercise) throw new UsageError(`There is no exercise "${wanted}".`);
    exercises = [exercise];
  }
  if (values.solutions && values.dir) throw new UsageError("Give --dir or --solutions, not both.");

  // npm runs scripts from the package root; a relative --dir means relative to where you typed the command.
  const invokedFrom = process.env.INIT_CWD ?? process.cwd();
  const given = values.solutions ? path.join(REPO_ROOT, "solutions") : values.dir ?? process.env.EXERCISES_DIR;
  const root = given ? path.resolve(invokedFrom, given) : path.join(REPO_ROOT, "exercises");
  checkRoot(root, exercises);
  return { exercises, root, verbose: values.verbose };
}

function checkRoot(root: string, exercises: ExerciseDefinition[]): void {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${root} is not a folder.`);
  const inside = EXERCISES.find((exercise) => path.basename(root) === exercise.folder);
  if (inside) {
    throw new UsageError(`${root} is an exercise folder itself; --dir takes the folder that holds it: --dir ${path.dirname(root)}`);
  }
  const folders = new Set(readdirSync(root));
  if (!exercises.some((exercise) => folders.has(exercise.folder))) {
    const wanted = exercises.map((exercise) => exercise.folder).join(", ");
    throw new UsageError(`${root} holds none of the exercise folders (${wanted}). Copy them from exercises/, keeping their names.`);
  }
}

async function main(): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }

  const paint = painter(process.stdout.isTTY === true && !process.env.NO_COLOR);
  const { exercises, root, verbose } = options;
  const where = displayPath(root);
  console.log(
    exercises.length === 1
      ? `Checking exercise ${exercises[0]!.number}, ${exercises[0]!.title}, in ${displayPath(path.join(root, exercises[0]!.folder))}`
      : `Checking ${exercises.length} exercises in ${where}`,
  );

  const startedAt = performance.now();
  // Type errors first: tsc runs while the stack starts, and an exercise that does not type-check is not run.
  const folders = exercises.map((exercise) => path.join(root, exercise.folder));
  const typing = typecheck(folders.filter((folder) => existsSync(folder)));
  let stack: CheckerStack;
  try {
    stack = await startCheckerStack({
      progress: (line) => console.log(paint.dim(`· ${line}...`)),
      interrupted: () => console.log("\nInterrupted: stopping restate-server, the gateway, the providers and your endpoint..."),
    });
  } catch (error) {
    console.error(`\nThe stack could not start: ${(error as Error).message}`);
    return 2;
  }
  console.log(paint.dim(`· ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`));

  const reports: ExerciseReport[] = [];
  const types = await typing;
  if (types.skipped) console.log(paint.dim(`· types not checked: ${types.skipped}`));
  for (const [index, exercise] of exercises.entries()) {
    const report = typeErrorReport(exercise, folders[index]!, types);
    if (!report) continue;
    if (exercises.length > 1) console.log(`\n${paint.bold(`Exercise ${exercise.number}: ${exercise.title}`)} (${displayPath(report.dir)})`);
    printSetupProblem(report, paint, verbose);
    reports.push(report);
  }
  const typed = exercises.filter((exercise) => !reports.some((report) => report.exercise === exercise));

  try {
    const runs = runExercises(
      stack,
      typed.map((exercise) => ({ exercise, implementationRoot: root })),
      {
        onEvent: (event) => {
          if (event.type === "exercise" && exercises.length > 1) {
            console.log(`\n${paint.bold(`Exercise ${event.exercise.number}: ${event.exercise.title}`)} (${displayPath(event.dir)})`);
          } else if (event.type === "progress") console.log(paint.dim(`· ${event.line}...`));
          else if (event.type === "check" && event.result.kind !== "not-run") console.log(formatResult(event.result, paint, verbose));
          else if (event.type === "done") {
            const notRun = event.report.results.filter((result) => result.kind === "not-run");
            if (event.report.setupProblem) printSetupProblem(event.report, paint, verbose);
            else if (notRun.length > 0) console.log(paint.dim(`  ${notRun.length} more checks not run: ${notRun[0]!.hint?.replace(/^not run: /, "")}`));
            if (!event.report.setupProblem && verbose && event.report.results.some((result) => result.kind !== "passed")) printLog(event.report, paint);
          }
        },
      },
    );
    for (const run of runs) reports.push(await run);
  } finally {
    await stack.stop();
  }

  const results = reports.flatMap((report) => report.results);
  if (reports.length > 1) {
    console.log("");
    for (const report of reports) {
      const passed = report.results.filter((result) => result.kind === "passed").length;
      const mark = passed === report.results.length ? paint.green("✓") : paint.red("✗");
      console.log(`${mark} exercise ${report.exercise.number} ${report.exercise.folder}: ${passed}/${report.results.length}`);
    }
  }
  console.log(`\n${summaryLine(results, paint)}`);
  return results.every((result) => result.kind === "passed") ? 0 : 1;
}

/** The lines of a setup problem's log shown without --verbose (the app's own words for why it did not start). */
const SETUP_LOG_LINES = 12;

function printSetupProblem(report: ExerciseReport, paint: Painter, verbose: boolean): void {
  console.log(`  ${paint.red("✗")} ${report.setupProblem}`);
  printLog(report, paint, verbose ? undefined : SETUP_LOG_LINES);
  console.log(paint.dim(`    ${report.results.length} checks not run`));
}

function printLog(report: ExerciseReport, paint: Painter, lines?: number): void {
  if (!report.endpointLog.trim() || report.endpointLog === "(no log)") return;
  console.log(paint.dim(`  --- the last lines of ${report.logOf ?? "your endpoint's log"} ---`));
  console.log(report.endpointLog.split("\n").slice(lines === undefined ? 0 : -lines).join("\n").replace(/^/gm, "  "));
}

const TYPE_ERRORS_SHOWN = 10;

/** An exercise whose folder does not type-check: reported as such, its checks not run. */
function typeErrorReport(exercise: ExerciseDefinition, dir: string, types: TypecheckResult): ExerciseReport | undefined {
  const errors = types.errors.get(dir) ?? [];
  if (errors.length === 0) return undefined;
  const where = (error: (typeof errors)[number]) => `${displayPath(error.file)}:${error.line}:${error.column}`;
  const first = errors[0]!;
  const problem = `your code does not type-check (${errors.length === 1 ? "1 error" : `${errors.length} errors`}): ${where(first)} ${first.message}`;
  return {
    exercise,
    dir,
    setupProblem: problem,
    results: exercise.checks.map((check) => ({ id: check.id, name: check.name, kind: "not-run", hint: problem, section: check.section, durationMs: 0 })),
    endpointLog: errors.slice(0, TYPE_ERRORS_SHOWN).map((error) => `${where(error)} ${error.message}`).join("\n") + (errors.length > TYPE_ERRORS_SHOWN ? `\n... and ${errors.length - TYPE_ERRORS_SHOWN} more` : ""),
    logOf: "tsc's errors",
  };
}


process.exit(await main());
