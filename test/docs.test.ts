// The docs are tested, not trusted: every curl line in README.md and modules/
// runs, in reading order, against one started stack (as a learner would run
// them against one `npm start`), and its output is compared with what the doc
// shows. Links and file paths must resolve.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../code/launcher.js";
import { DEFAULT_PORTS } from "../code/types.js";
import { type CurlStep, type MarkdownDoc, mismatch, readMarkdown, shellSteps } from "./support/markdown.js";
import { type TestStack, startTestStack } from "./support/stack.js";

/** Shell commands the docs show that other tests run; anything else in a ```sh block must be a curl. */
const RUN_ELSEWHERE: [RegExp, string][] = [
  [/^npm install && npm start\b/, "test/launcher.test.ts runs npm start"],
  [/^npm start$/, "test/launcher.test.ts"],
  [/^npm test$/, "this suite"],
  [/^npx tsx code\/client\.ts\b/, "test/payment_service.test.ts runs the client"],
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
  it.each(docs.map((doc) => [rel(doc.file), doc] as const))("%s: every relative link resolves", (_name, doc) => {
    const broken = doc.links
      .filter((link) => !/^(https?:|mailto:|#)/.test(link.url))
      .filter((link) => !existsSync(path.resolve(path.dirname(doc.file), decodeURIComponent(link.url.split("#")[0]!))))
      .map((link) => `${rel(doc.file)}:${link.line}: ${link.url}`);
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

describe("curl lines, in reading order, against one stack", () => {
  let stack: TestStack;
  let portMap: [string, string][] = [];
  const steps: CurlStep[] = docs.flatMap((doc) => shellSteps(doc).curls);

  beforeAll(async () => {
    // The lines are run as written, on the default ports, when those are free here.
    const free = await Promise.all(Object.values(DEFAULT_PORTS).map(portIsFree));
    if (free.every(Boolean)) {
      stack = await startTestStack({ ports: { ...DEFAULT_PORTS } });
    } else {
      stack = await startTestStack();
      portMap = (Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[]).map((part) => [
        `localhost:${DEFAULT_PORTS[part]}`,
        `localhost:${stack.ports[part]}`,
      ]);
      console.warn(`default ports busy; the curl lines run with ports rewritten: ${portMap.map((p) => p.join(" -> ")).join(", ")}`);
    }
  });

  afterAll(async () => {
    await stack?.dispose();
    console.log(`docs: ${steps.length} curl lines executed from ${docs.length} markdown files`);
  });

  it.each(steps.map((step) => [`${rel(step.file)}:${step.line}`, step] as const))("%s", async (_where, step) => {
    const command = portMap.reduce((line, [from, to]) => line.replaceAll(from, to), step.command);
    const { stdout } = await promisify(execFile)("sh", ["-c", command], { timeout: 60_000 });
    let output: unknown;
    try {
      output = JSON.parse(stdout);
    } catch {
      throw new Error(`${step.command}\nprinted something that is not JSON:\n${stdout.slice(0, 500)}`);
    }
    if (step.expected !== undefined) {
      const problem = mismatch(step.expected, output);
      expect(problem, `${step.command}\nprinted ${stdout.slice(0, 800)}`).toBeNull();
    } else {
      const error = output as { code?: unknown; message?: unknown };
      const isError = typeof error?.code === "number" && error.code >= 400 && typeof error.message === "string";
      expect(isError, `${step.command}\nanswered an error the doc does not show: ${stdout.slice(0, 500)}`).toBe(false);
    }
  });
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
