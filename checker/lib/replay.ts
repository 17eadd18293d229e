// Non-determinism, seen by behaviour. The checker's endpoints run with
// REPLAY_EVERY_STEP=1 (exercises/support/serve.ts): request-response mode, in
// which restate-server sends every invocation again with its journal after
// each step, so every handler replays from the top again and again. When a
// replay takes another path than the journal recorded (another call, another
// parameter, another state value), the SDK refuses it with error 570 and logs
// what differed. Whatever API caused it (Math.random, Date.now, node:crypto,
// performance.now, process.hrtime, a helper), this finds it in the endpoint's
// log and turns it into one hint.
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { FINAL_STEP } from "../../exercises/support/replay_before_answering.js";
import type { Section } from "./check.js";

export interface JournalMismatch {
  /** "ShootingRange/range-1/fireAt", as the SDK logs it. */
  invocation: string;
  /** "call [3]: parameter '{...}' != '{...}'" */
  difference: string;
  /** "shooting_range.ts:57", the learner's line the mismatch was raised at, if the stack names one. */
  where?: string;
}

/** Where the log ends now, to read only what a check adds. */
export function logEnd(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function readFrom(file: string, offset: number): string {
  if (!existsSync(file)) return "";
  const size = statSync(file).size;
  if (size <= offset) return "";
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/** The journal mismatches (SDK error 570) logged since `offset`, first one first. */
export function journalMismatchesSince(file: string, offset: number, implementationDir: string): JournalMismatch[] {
  const text = readFrom(file, offset);
  const found: JournalMismatch[] = [];
  const marker = /\[([^\]\n]+)\]\[inv_\w+\] WARN: Error when processing a Restate context operation\.\n\s*RestateError: \(570\)/g;
  for (const match of text.matchAll(marker)) {
    const block = text.slice(match.index, match.index + 6_000).split(/\n\[restate\]\[/)[0]!;
    const differences = block.match(/- Difference:\n([\s\S]*?)\n(?:Related command: (.*))?/);
    const command = block.match(/- The mismatch happened while executing '([^']+)' \(index '(\d+)'\)/);
    const detail = differences?.[1]?.trim().replace(/\s+/g, " ") ?? "";
    const difference = [command ? `${command[1]} [${command[2]}]` : "", detail].filter(Boolean).join(": ");
    found.push({ invocation: match[1]!, difference: difference.slice(0, 240), where: learnerLine(block, implementationDir) });
  }
  return found;
}

function learnerLine(block: string, implementationDir: string): string | undefined {
  const dir = path.resolve(implementationDir) + path.sep;
  for (const line of block.split("\n")) {
    const frame = line.match(/\(?((?:\/|file:\/\/)[^():\s]+\.ts):(\d+):\d+\)?\s*$/);
    if (!frame) continue;
    const file = frame[1]!.replace(/^file:\/\//, "");
    if (file.startsWith(dir)) return `${path.relative(dir, file)}:${frame[2]}`;
  }
  return undefined;
}

/** The one hint for a handler that did not replay the way it ran. */
export function mismatchHint(mismatch: JournalMismatch, sourceHint?: string): string {
  const [service, , handler] = mismatch.invocation.split("/");
  const target = handler ? `${service}/${handler}` : mismatch.invocation;
  const step = answeredEarly(mismatch);
  if (step !== undefined) {
    return (
      `${target} answered at another point when Restate replayed it than on its first attempt (step '${step}'): it decided from something the first attempt changed outside the journal, ` +
      `such as a value remembered in the endpoint's memory (a module-level Map, Set or variable) or a provider's answer read outside ctx.run; ` +
      `keep what it must remember in the object's state (ctx.get / ctx.set), which a replay reads back as it was`
    );
  }
  return (
    `${target} took another path when Restate replayed it${mismatch.where ? ` (at ${mismatch.where})` : ""}: ${mismatch.difference}. ` +
    `Something it computes differs between attempts${sourceHint ? ` (${sourceHint})` : " (a random number, the clock, node:crypto, performance.now, process.hrtime, a helper that uses them)"}: ` +
    `use ctx.rand / ctx.date, or compute it inside ctx.run, so a replay reads the journaled value`
  );
}

export const mismatchSection = (mismatch: JournalMismatch): Section =>
  answeredEarly(mismatch) !== undefined ? "anti-patterns" : "non-determinism-random-numbers-uuids-clocks";

/**
 * The learner's step facing the checker's final step (replay_before_answering.ts) in a mismatch: one attempt
 * answered where the other went on. The same inputs cannot do that; a value kept outside the journal can.
 */
function answeredEarly(mismatch: JournalMismatch): string | undefined {
  const names = mismatch.difference.match(/name: (.*?) != (.*)$/);
  if (!names || ![names[1], names[2]].includes(FINAL_STEP)) return undefined;
  return names[1] === FINAL_STEP ? names[2] : names[1];
}

/** APIs that draw a new value on every attempt; only ever an extra hint next to a mismatch seen by behaviour. */
const NON_DETERMINISTIC = /\b(Math\.random|Date\.now|new Date\(\s*\)|randomUUID|randomInt|randomBytes|getRandomValues|performance\.now|process\.hrtime)\b/;

/** "shooting_range.ts:57 uses randomInt": the first such API in the implementation's .ts files (endpoint.ts aside), if any. */
export function nonDeterministicSource(implementationDir: string): string | undefined {
  const files = existsSync(implementationDir) ? readdirSync(implementationDir).filter((file) => file.endsWith(".ts") && file !== "endpoint.ts") : [];
  for (const file of files.sort()) {
    const lines = withoutComments(readFileSync(path.join(implementationDir, file), "utf8")).split("\n");
    for (const [index, line] of lines.entries()) {
      const found = /^\s*import\b/.test(line) ? null : line.match(NON_DETERMINISTIC);
      if (found) return `${file}:${index + 1} uses ${found[1]}`;
    }
  }
  return undefined;
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " ")).replace(/\/\/.*$/gm, "");
}
