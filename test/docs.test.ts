// The docs are tested, not trusted: every curl line in README.md and modules/
// runs, in reading order, against one started stack (as a learner would run
// them against one `npm start`), and its output is compared with what the doc
// shows. Links and file paths must resolve.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../orchestration/paths.js";
import { portInUse } from "../orchestration/ports.js";
import { DEFAULT_PORTS } from "../code/types.js";
import GithubSlugger from "github-slugger";
import { type CodeBlock, type CurlStep, type MarkdownDoc, mismatch, readMarkdown, shellSteps } from "./support/markdown.js";
import { typecheckSnippets } from "./support/snippets.js";
import { type HandrolledProcess, DEFAULT_HANDROLLED_PORT, startHandrolled } from "../orchestration/handrolled.js";
import { freePort } from "../orchestration/ports.js";
import { type TestStack, startTestStack } from "./support/stack.js";
import { type TestCluster, startTestCluster } from "./support/cluster.js";

/** Shell commands the docs show that other tests run; anything else in a ```sh block must be a curl. */
const RUN_ELSEWHERE: [RegExp, string][] = [
  [/^npm install && npm start\b/, "test/launcher.test.ts runs npm start"],
  [/^npm start$/, "test/launcher.test.ts"],
  [/^npm test$/, "this suite"],
  [/^npx tsx code\/client\.ts\b/, "test/payment_service.test.ts runs the client"],
  [/^npm run start:handrolled$/, "test/handrolled/start.test.ts runs it"],
  [/^npm run start:cluster( -- --node [1-3])?$/, "test/cluster/start_cluster.test.ts runs it, --node included"],
  [/^kill -9 <pid of n[1-3]>$/, "test/cluster/start_cluster.test.ts kills a node by the PID the banner prints"],
  [/^npm run test:cluster$/, ".ci/run runs it after npm test"],
  [/^npx vitest run test\/handrolled\/reliability\.test\.ts -t naive$/, "npm test runs test/handrolled/reliability.test.ts"],
  [/^npm run test:chaos$/, "test/reliability/*, run by npm test with smaller counts (CHAOS=1 only raises them)"],
  [/^npm run check -- (all|[1-8])( --dir \S+| --solutions| --verbose)*$/, "test/exercises.test.ts runs the checker's CLI and every exercise's checks"],
  [/^npm run check:solutions$/, "test/exercises.test.ts runs every exercise's checks against solutions/"],
];

function markdownFiles(): string[] {
  const files = [path.join(REPO_ROOT, "README.md")];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    const entries = readdirSync(dir).sort((a, b) => (a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b)));
    for (const entry of entries) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith(".md")) files.push(full);
    }
  };
  walk(path.join(REPO_ROOT, "modules"));
  return files;
}

const docs: MarkdownDoc[] = markdownFiles().map(readMarkdown);
const rel = (file: string) => path.relative(REPO_ROOT, file);

describe("links and paths", () => {
  it.each(docs.map((doc) => [rel(doc.file), doc] as const))("%s: every relative link resolves, anchors included", (_name, doc) => {
    const broken = doc.links
      .filter((link) => !/^(https?:|mailto:)/.test(link.url))
      .flatMap((link) => {
        const [target = "", anchor] = link.url.split("#");
        const file = target === "" ? doc.file : path.resolve(path.dirname(doc.file), decodeURIComponent(target));
        if (!existsSync(file)) return [`${rel(doc.file)}:${link.line}: ${link.url} (no such file)`];
        if (anchor && file.endsWith(".md") && !headingSlugs(file).has(anchor)) {
          return [`${rel(doc.file)}:${link.line}: ${link.url} (no heading with that anchor)`];
        }
        return [];
      });
    expect(broken).toEqual([]);
  });

  it.each(docs.map((doc) => [rel(doc.file), doc] as const))("%s: every repository path it mentions exists", (_name, doc) => {
    const repoPath = /^(code|test|solutions|exercises|modules|bench|\.ci)\/[\w./-]*$/;
    const missing = doc.inlineCode
      .filter((span) => repoPath.test(span.value))
      .filter((span) => !existsSync(path.join(REPO_ROOT, span.value)))
      .map((span) => `${rel(doc.file)}:${span.line}: ${span.value}`);
    expect(missing).toEqual([]);
  });

  it("has no shell command that nothing runs", () => {
    const unrun = docs.flatMap((doc) =>
      shellSteps(doc)
        .otherCommands.filter((c) => !RUN_ELSEWHERE.some(([pattern]) => pattern.test(c.command)))
        .map((c) => `${rel(doc.file)}:${c.line}: ${c.command}`),
    );
    expect(unrun).toEqual([]);
  });
});

describe("TypeScript blocks", () => {
  const blocks = docs.flatMap((doc) => doc.blocks.filter((b) => b.lang === "ts" || b.lang === "typescript"));
  const marker = (block: CodeBlock) => block.meta.trim();
  const excerpts = blocks.filter((b) => marker(b).startsWith("excerpt="));
  const skipped = blocks.filter((b) => marker(b).startsWith("skip="));
  const compiled = blocks.filter((b) => marker(b) === "" || marker(b) === "anti-pattern");

  it("uses only known markers (none, anti-pattern, excerpt=<file>, skip=\"<reason>\")", () => {
    const unknown = blocks.filter((b) => !excerpts.includes(b) && !skipped.includes(b) && !compiled.includes(b));
    expect(unknown.map((b) => `${rel(b.file)}:${b.line}: ts ${b.meta}`)).toEqual([]);
    for (const block of skipped) console.log(`skipped ${rel(block.file)}:${block.line}: ${marker(block).slice(5)}`);
  });

  it("type-checks every complete block (anti-patterns too: they are wrong at run time, not for the compiler)", () => {
    const errors = typecheckSnippets(compiled).flatMap((result) => result.errors);
    expect(errors).toEqual([]);
    console.log(`docs: ${compiled.length} TypeScript blocks type-checked, ${excerpts.length} excerpts matched, ${skipped.length} skipped`);
  }, 120_000);

  it.each(excerpts.map((b) => [`${rel(b.file)}:${b.line}`, b] as const))("%s: the excerpt is verbatim in its file", (_where, block) => {
    const file = marker(block).slice("excerpt=".length);
    const source = path.join(REPO_ROOT, file);
    expect(existsSync(source), `${file} does not exist`).toBe(true);
    expect(containsVerbatim(readFileSync(source, "utf8"), block.value), `the excerpt is no longer in ${file}: update the chapter`).toBe(true);
  });
});

describe("curl lines, in reading order, against one stack", () => {
  let stack: TestStack;
  let handrolled: HandrolledProcess | undefined;
  let portMap: [string, string][] = [];
  const steps: CurlStep[] = docs.flatMap((doc) => shellSteps(doc).curls).filter((step) => !step.cluster);

  beforeAll(async () => {
    // The lines are run as written, on the default ports, when those are free here.
    const busy = await Promise.all(Object.values(DEFAULT_PORTS).map(portInUse));
    if (!busy.some(Boolean)) {
      stack = await startTestStack({ ports: { ...DEFAULT_PORTS } });
    } else {
      stack = await startTestStack();
      portMap = (Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[]).map((part) => [
        `localhost:${DEFAULT_PORTS[part]}`,
        `localhost:${stack.ports[part]}`,
      ]);
      console.warn(`default ports busy; the curl lines run with ports rewritten: ${portMap.map((p) => p.join(" -> ")).join(", ")}`);
    }
    // Chapter 5's lines call the hand-rolled service (`npm run start:handrolled`) beside the same gateway.
    const handrolledPort = (await portInUse(DEFAULT_HANDROLLED_PORT)) ? await freePort() : DEFAULT_HANDROLLED_PORT;
    if (handrolledPort !== DEFAULT_HANDROLLED_PORT) portMap.push([`localhost:${DEFAULT_HANDROLLED_PORT}`, `localhost:${handrolledPort}`]);
    handrolled = await startHandrolled({ port: handrolledPort, gatewayUrl: stack.gatewayUrl, output: { kind: "file", path: path.join(stack.dir, "handrolled.log") } });
  });

  afterAll(async () => {
    await handrolled?.stop();
    await stack?.dispose();
    console.log(`docs: ${steps.length} curl lines executed from ${docs.length} markdown files`);
  });

  const shownBefore = new Map<string, unknown>();
  it.each(steps.map((step) => [`${rel(step.file)}:${step.line}`, step] as const))("%s", (_where, step) => checkCurl(step, portMap, shownBefore));
});

describe("curl lines of ```sh cluster blocks, in reading order, against one 3-node cluster", () => {
  let cluster: TestCluster;
  let portMap: [string, string][] = [];
  const steps: CurlStep[] = docs.flatMap((doc) => shellSteps(doc).curls).filter((step) => step.cluster);

  beforeAll(async () => {
    cluster = await startTestCluster();
    // `npm run start:cluster`'s ports: node N on 8080/9070 + N - 1, the gateway and endpoint as with npm start.
    portMap = cluster.nodes.flatMap((node, index): [string, string][] => [
      [`localhost:${DEFAULT_PORTS.ingress + index}`, `localhost:${node.ports.ingress}`],
      [`localhost:${DEFAULT_PORTS.admin + index}`, `localhost:${node.ports.admin}`],
    ]);
    portMap.push([`localhost:${DEFAULT_PORTS.gateway}`, `localhost:${new URL(cluster.gatewayUrl).port}`]);
  }, 60_000);

  afterAll(async () => {
    await cluster?.dispose();
    console.log(`docs: ${steps.length} curl lines executed against the cluster`);
  });

  const shownBefore = new Map<string, unknown>();
  it.each(steps.map((step) => [`${rel(step.file)}:${step.line}`, step] as const))("%s", (_where, step) => checkCurl(step, portMap, shownBefore));
});

/**
 * Runs a doc's curl line with its ports rewritten and holds it to what the doc
 * shows; a line shown again ("run it once more") is held to what the doc showed
 * for it the first time.
 */
async function checkCurl(step: CurlStep, portMap: [string, string][], shownBefore: Map<string, unknown>): Promise<void> {
  const command = portMap.reduce((line, [from, to]) => line.replaceAll(from, to), step.command);
  const { stdout } = await promisify(execFile)("sh", ["-c", command], { timeout: 60_000 });
  let output: unknown;
  try {
    output = JSON.parse(stdout);
  } catch {
    throw new Error(`${step.command}\nprinted something that is not JSON:\n${stdout.slice(0, 500)}`);
  }
  const expected = step.expected ?? shownBefore.get(step.command);
  if (step.expected !== undefined) shownBefore.set(step.command, step.expected);
  if (expected !== undefined) {
    const problem = mismatch(expected, output);
    expect(problem, `${step.command}\nprinted ${stdout.slice(0, 800)}`).toBeNull();
  } else {
    const error = output as { code?: unknown; message?: unknown };
    const isError = typeof error?.code === "number" && error.code >= 400 && typeof error.message === "string";
    expect(isError, `${step.command}\nanswered an error the doc does not show: ${stdout.slice(0, 500)}`).toBe(false);
  }
}

function headingSlugs(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const slugs = new Set<string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) slugs.add(slugger.slug(heading[1]!.replace(/`/g, "")));
  }
  return slugs;
}

/** Whether `excerpt`'s lines appear consecutively in `source`, ignoring a common indentation. */
function containsVerbatim(source: string, excerpt: string): boolean {
  const dedent = (lines: string[]) => {
    const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
    return lines.map((l) => l.slice(indent)).join("\n");
  };
  const wanted = dedent(excerpt.split("\n"));
  const lines = source.split("\n");
  const length = excerpt.split("\n").length;
  for (let start = 0; start + length <= lines.length; start++) {
    if (dedent(lines.slice(start, start + length)) === wanted) return true;
  }
  return false;
}

