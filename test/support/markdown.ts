// Reading the course's markdown the way the docs test needs it: fenced blocks
// with their positions, links, and the "expected output" convention.
//
// Conventions the chapters follow (see modules/07-idempotency/README.md, "How the chapters are tested"):
// - every line of a ```sh block that starts with `curl ` is run, in order, against a started stack;
//   in a ```sh cluster block, against a started 3-node cluster instead (`npm run start:cluster`'s ports);
// - a ```json block right after a ```sh block is the expected output of that block's last curl:
//   "..." matches any value, "ch_..." any string with that prefix and suffix, and an
//   object key "..." means "more fields, not shown";
// - a ```sh drill block is the operations drill: test/operations/drill.test.ts runs it, with its
//   CLI commands, against a stack of its own (npm run test:operations); the docs test skips it;
// - a ```ts block is type-checked; its info string may say `ts anti-pattern` (it must fail to
//   compile), or `ts excerpt=path/to/file.ts` (it must appear verbatim in that file);
// - a ```text block says what it is: `text output="<command>"` is what that command printed, and
//   a test compares it with a fresh run of the command after `normaliseOutput` (ids, durations and
//   counts that differ from run to run); `text layout` is a file tree whose paths must exist.
import { readFileSync } from "node:fs";
import { fromMarkdown } from "mdast-util-from-markdown";

export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  meta: string;
  value: string;
}

export interface Link {
  file: string;
  line: number;
  url: string;
}

export interface MarkdownDoc {
  file: string;
  blocks: CodeBlock[];
  links: Link[];
  /** Images, `![alt](url)`: their files must exist too. */
  images: Link[];
  /** Inline code spans, e.g. `code/gateway.ts`. */
  inlineCode: { line: number; value: string }[];
}

export function readMarkdown(file: string): MarkdownDoc {
  const tree = fromMarkdown(readFileSync(file, "utf8"));
  const doc: MarkdownDoc = { file, blocks: [], links: [], images: [], inlineCode: [] };
  const visit = (node: any) => {
    const line = node.position?.start.line ?? 0;
    if (node.type === "code") doc.blocks.push({ file, line, lang: node.lang ?? "", meta: node.meta ?? "", value: node.value });
    if (node.type === "link") doc.links.push({ file, line, url: node.url });
    if (node.type === "image") doc.images.push({ file, line, url: node.url });
    if (node.type === "inlineCode") doc.inlineCode.push({ line, value: node.value });
    for (const child of node.children ?? []) visit(child);
  };
  visit(tree);
  return doc;
}

export interface CurlStep {
  file: string;
  line: number;
  command: string;
  /** The expected output shown right after the block, for the block's last curl. */
  expected?: unknown;
  /** From a ```sh cluster block: meant for `npm run start:cluster`. */
  cluster: boolean;
}

/** The executable shell lines of a document, each curl with its expected output if the doc shows one. */
export function shellSteps(doc: MarkdownDoc): { curls: CurlStep[]; otherCommands: { line: number; command: string }[] } {
  const curls: CurlStep[] = [];
  const otherCommands: { line: number; command: string }[] = [];
  doc.blocks.forEach((block, index) => {
    if (block.lang !== "sh" || block.meta.trim() === "drill") return;
    const lines = block.value.split("\n");
    const blockCurls: CurlStep[] = [];
    lines.forEach((raw, offset) => {
      const command = raw.trim();
      if (command === "" || command.startsWith("#")) return;
      if (command.startsWith("curl ")) blockCurls.push({ file: doc.file, line: block.line + 1 + offset, command, cluster: block.meta.trim() === "cluster" });
      else otherCommands.push({ line: block.line + 1 + offset, command: command.replace(/\s+#.*$/, "") });
    });
    const next = doc.blocks[index + 1];
    if (next?.lang === "json" && blockCurls.length > 0) {
      try {
        blockCurls[blockCurls.length - 1]!.expected = JSON.parse(next.value);
      } catch (error) {
        throw new Error(`${doc.file}:${next.line}: the expected output is not JSON: ${(error as Error).message}`);
      }
    }
    curls.push(...blockCurls);
  });
  return { curls, otherCommands };
}

/**
 * Whether `actual` looks like what the doc shows. Returns the first mismatch
 * as a path and reason, or null.
 */
export function mismatch(expected: unknown, actual: unknown, at = "$"): string | null {
  if (typeof expected === "string" && expected.includes("...")) {
    if (expected === "...") return null;
    const pattern = new RegExp(`^${expected.split("...").map(escapeRegExp).join(".*")}$`, "s");
    return typeof actual === "string" && pattern.test(actual) ? null : `${at}: expected something like ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const inner = mismatch(expected[i], actual[i], `${at}[${i}]`);
      if (inner) return inner;
    }
    return null;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    const open = "..." in expected;
    for (const [key, value] of Object.entries(expected)) {
      if (key === "...") continue;
      if (!(key in actual)) return `${at}.${key}: missing`;
      const inner = mismatch(value, (actual as Record<string, unknown>)[key], `${at}.${key}`);
      if (inner) return inner;
    }
    if (!open) {
      const extra = Object.keys(actual).filter((key) => !(key in expected));
      if (extra.length > 0) return `${at}: fields not shown in the doc: ${extra.join(", ")} (show them, or add "...": "...")`;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A ```text output="<command>" block: what `command` printed, as the doc shows it. */
export interface OutputBlock extends CodeBlock {
  command: string;
}

/** The blocks of a document that show a command's output. */
export function outputBlocks(doc: MarkdownDoc): OutputBlock[] {
  return doc.blocks.flatMap((block) => {
    const command = /^output="([^"]+)"$/.exec(block.meta.trim())?.[1];
    return block.lang === "text" && command ? [{ ...block, command }] : [];
  });
}

/**
 * What may differ between two runs of the same command, replaced by a placeholder on both sides before they are
 * compared: durations ("ready in 1.4 s" -> "ready in <n> s"), the checker's ids (`order-uw777j0`: a random run tag
 * of six characters and a counter -> `order-<run>0`), random hex ids after a `-` or `_` (`ch_d5ca39fb26a7...`,
 * `inflight-42f92004` -> `ch_<hex>`, `inflight-<hex>`), and how many times a side effect outside ctx.run was sent
 * again ("sent 4 times" -> "sent <n> times": the number of replays depends on timing). ANSI colours are removed.
 */
export function normaliseOutput(text: string): string {
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "").replace(/[ \t]+$/gm, "").trim();
  // The run tag is the six characters that several ids share, each with its own counter after it.
  const counters = new Map<string, Set<string>>();
  for (const [, tag, counter] of plain.matchAll(/\b[a-z]+-([a-z0-9]{6})([a-z0-9]{1,2})\b/g)) {
    counters.set(tag!, (counters.get(tag!) ?? new Set()).add(counter!));
  }
  const [runTag] = [...counters.entries()].filter(([, seen]) => seen.size >= 2).sort((a, b) => b[1].size - a[1].size)[0] ?? [];
  return (runTag ? plain.replaceAll(runTag, "<run>") : plain)
    .replace(/(?<=[-_])(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/g, "<hex>")
    .replace(/\b\d+(\.\d+)? (ms|s)\b/g, "<n> $2")
    .replace(/\bsent \d+ times\b/g, "sent <n> times");
}
