// How results read in a terminal: ✓ or ✗ and the behaviour; for a failure, the
// one-line hint and the chapter section that teaches it.
import { sectionLink } from "./check.js";
import type { CheckResult } from "./run.js";

export interface Painter {
  green(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function painter(color: boolean): Painter {
  const wrap = (open: number, close: number) => (text: string) => (color ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { green: wrap(32, 39), red: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

export function formatResult(result: CheckResult, paint: Painter, verbose = false): string {
  const took = verbose ? paint.dim(` (${(result.durationMs / 1000).toFixed(1)} s)`) : "";
  if (result.kind === "passed") return `  ${paint.green("✓")} ${result.name}${took}`;
  const lines = [`  ${paint.red("✗")} ${result.name}${took}`, `      ${result.hint ?? "failed"}`];
  if (result.evidence) lines.push(paint.dim(result.evidence.replace(/^/gm, "      > ")));
  lines.push(paint.dim(`      see ${sectionLink(result.section)}`));
  if (verbose && result.detail) lines.push(paint.dim(result.detail.replace(/^/gm, "      | ")));
  return lines.join("\n");
}

export function summaryLine(results: CheckResult[], paint: Painter): string {
  const passed = results.filter((result) => result.kind === "passed").length;
  const failed = results.length - passed;
  const text = `${passed} passed, ${failed} failed`;
  return failed === 0 ? paint.green(text) : paint.red(text);
}
