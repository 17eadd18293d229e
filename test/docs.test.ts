// The docs are tested, not trusted: every curl line in README.md and modules/
// runs, in reading order, against one started stack (as a learner would run
// them against one `npm start`), and its output is compared with what the doc
// shows. Links and file paths must resolve.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../orchestration/paths.js";
import { portInUse } from "../orchestration/ports.js";
import { DEFAULT_PORT, DEFAULT_PORTS } from "../code/config.js";
import GithubSlugger from "github-slugger";
import { type CodeBlock, type CurlStep, type MarkdownDoc, mismatch, normaliseOutput, outputBlocks, readMarkdown, shellSteps } from "./support/markdown.js";
import { typecheckSnippets } from "./support/snippets.js";
import { countedFiles, lineCountTable } from "../bench/line_counts.js";
import { type HandrolledProcess, startHandrolled } from "../orchestration/handrolled.js";
import { freePort } from "../orchestration/ports.js";
import { type ThrowawayStack, startThrowawayStack } from "../orchestration/throwaway.js";
import { type TestCluster, startTestCluster } from "./support/cluster_under_test.js";
import { BENCH_README, loadReference, readmeSection, referenceFigure, renderReferenceRun } from "../bench/reference.js";

/** Shell commands the docs show that other tests run; anything else in a ```sh block must be a curl. */
const RUN_ELSEWHERE: [RegExp, string][] = [
  [/^npm install && npm start\b/, "test/launcher.test.ts runs npm start"],
  [/^npm start$/, "test/launcher.test.ts"],
  [/^npm test$/, "this suite"],
  [/^npx tsx code\/client\.ts\b/, "test/payment_service.test.ts runs the client"],
  [/^npx tsx code\/careful_client\.ts \d+$/, "test/operations/careful_client.test.ts runs the client's command line, and the failNext: 8 case"],
  [/^npm run start:handrolled$/, "test/handrolled/start.test.ts runs it"],
  [/^npm run start:cluster( -- --node [1-3])?$/, "test/cluster/start_cluster.test.ts runs it, --node included"],
  [/^kill -9 <pid of n[1-3]>$/, "test/cluster/start_cluster.test.ts kills a node by the PID the banner prints"],
  [/^npm run test:cluster$/, ".ci/run runs it after npm test"],
  [/^npx vitest run test\/handrolled\/reliability\.test\.ts -t naive$/, "npm run test:reliability runs test/handrolled/reliability.test.ts"],
  [/^npm run test:reliability$/, ".ci/run runs it after npm test"],
  [/^npm run test:chaos$/, "test/reliability/*, run by npm run test:reliability with smaller counts (CHAOS=1 only raises them)"],
  [/^npm run check -- (all|[1-8])( --dir \S+| --solutions| --verbose)*$/, "test/exercises.test.ts runs the checker's CLI and every exercise's checks"],
  [/^npx vitest run test\/own_database\/consumers\.test\.ts$/, "npm test runs test/own_database/consumers.test.ts"],
  [/^npx tsx bench\/line_counts\.ts$/, "chapter 8's line-count test below compares the chapter's table with what it prints"],
  [/^npm run check:solutions$/, "test/exercises.test.ts runs every exercise's checks against solutions/"],
  [/^npm run screenshots$/, "test/screenshots.test.ts runs the same steps (docs/screenshots/flow.ts), writing no pictures"],
];

/**
 * Where a command's output shown in a ```text output="<command>" block is compared with a fresh run of the command
 * (after normaliseOutput). A block whose command is not here fails "every output block is checked".
 */
const OUTPUT_CHECKED: [RegExp, string][] = [
  [/^npm start$/, "test/launcher.test.ts compares the ready banner of a fresh npm start"],
  [/^npm run check -- [1-7]$/, "this suite runs the checker on the untouched starter (UPDATE_DOCS=1 rewrites the block)"],
  [/^npx vitest run test\/handrolled\/reliability\.test\.ts -t naive$/, "test/handrolled/reliability.test.ts compares the lost payment it prints"],
  [/^npx restate /, "test/operations/drill.test.ts runs the drill's commands in order and compares each output (npm run test:operations)"],
  [/^npx tsx code\/careful_client\.ts\b/, "test/operations/careful_client.test.ts runs it and holds each printed line to the block's form"],
  [/^npm run bench$/, "bench/README.md's reference run: this suite compares it with bench/results/reference.json, which a real run wrote"],
  [/^npm run check -- [1-8] --solutions$/, "test/exercises.test.ts holds the block's check lines and summary to its run of the checks on solutions/"],
  [/^npm run check -- 8 \(the check lines\)$/, "test/exercises.test.ts runs exercise 8's starter and expects exactly these checks to pass and fail"],
  [/^npm run test:crash$/, "test/crash_matrix/ prints this table from its run and asserts every row's expected and seen counts"],
];

/**
 * Checks whose hint on an untouched starter depends on timing, so that two runs may show either of two hints
 * (test/exercises.test.ts accepts both): exercise 1's declined card (in its own check and in the release's) is retried by Restate as an ordinary error, and
 * whether a replay's repeated charge or the retry watchdog is seen first depends on the machine's load.
 */
const TIMING_DEPENDENT_CHECKS = [
  "a declined card fails the order with 402, releases the stock, and a duplicate asks the gateway nothing more",
  // The fault matrix's checks of the release run a declined order too.
  "answer lost: the release of a declined order's stock (compensation) is made, its answer never arrives; the retry makes nothing more",
  "endpoint restarted: the release of a declined order's stock (compensation) is made, the endpoint is killed before it hears the answer; the new process's retry makes nothing more",
  "clock jumped: the release of a declined order's stock (compensation) is made, the endpoint restarts with its clock a day apart; the retry makes nothing more",
  "concurrent copies: 5 copies of the request that makes the release of a declined order's stock (compensation) arrive at once; it is sent once",
];

/**
 * A checker output with the hint lines of TIMING_DEPENDENT_CHECKS replaced by one placeholder line, and the side
 * effect a replay repeated named generically: when a starter makes two side effects outside ctx.run, which one is
 * seen repeated first depends on timing too ("POST /v1/charges for order-..." or "POST /inventory/v1/reservations ...").
 */
function withoutTimingDependentHints(output: string): string {
  let skipping = false;
  return output
    .replace(/\b(POST|PUT|DELETE) \/\S+ for (\S+) was sent/g, "<a side effect> for $2 was sent")
    .split("\n")
    .flatMap((line) => {
      const check = /^\s*[✓✗] (.*)$/.exec(line);
      if (check) {
        skipping = line.trim().startsWith("✗") && TIMING_DEPENDENT_CHECKS.includes(check[1]!);
        return skipping ? [line, "      <a hint that depends on timing>"] : [line];
      }
      if (line.trim() === "") skipping = false;
      return skipping ? [] : [line];
    })
    .join("\n");
}

/** The course's markdown under `dirs`, README.md first in each folder. */
function markdownFiles(...dirs: string[]): string[] {
  const files = [path.join(REPO_ROOT, "README.md")];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    const entries = readdirSync(dir).sort((a, b) => (a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b)));
    for (const entry of entries) {
      const full = path.join(dir, entry);
      if (entry === "node_modules") continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith(".md")) files.push(full);
    }
  };
  for (const dir of dirs) walk(path.join(REPO_ROOT, dir));
  return files;
}

/** What the curl, link and snippet tests read: the README, the chapters and the operating guide. */
const docs: MarkdownDoc[] = markdownFiles("modules", "docs").map(readMarkdown);
/** Every markdown file meant for learners: their output blocks are checked too. */
const allDocs: MarkdownDoc[] = markdownFiles("modules", "docs", "exercises", "solutions", "bench", "handrolled").map(readMarkdown);
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

  it.each(allDocs.map((doc) => [rel(doc.file), doc] as const))("%s: every image it shows exists", (_name, doc) => {
    const missing = doc.images
      .filter((image) => !/^https?:/.test(image.url))
      .filter((image) => {
        const file = path.resolve(path.dirname(doc.file), decodeURIComponent(image.url));
        return !existsSync(file);
      })
      .map((image) => `${rel(doc.file)}:${image.line}: ${image.url} (no such file)`);
    expect(missing).toEqual([]);
  });

  it.each(docs.map((doc) => [rel(doc.file), doc] as const))("%s: every repository path it mentions exists", (_name, doc) => {
    const repoPath = /^(code|test|solutions|exercises|modules|bench|\.ci)\/[\w./-]*$/;
    const missing = doc.inlineCode
      .filter((span) => repoPath.test(span.value))
      .filter((span) => !existsSync(path.join(REPO_ROOT, span.value)))
      .map((span) => `${rel(doc.file)}:${span.line}: ${span.value}`);
    expect(missing).toEqual([]);
  });

  it("mentions no internal leftovers: DESIGN.md, the lead, the seeds, a file's owner", () => {
    const internal = /DESIGN\.md|\bthe lead\b|\bthe seeds\b|\bowner of\b|'s owner\b/i;
    const found = allDocs.flatMap((doc) =>
      readFileSync(doc.file, "utf8")
        .split("\n")
        .flatMap((line, index) => (internal.test(line) ? [`${rel(doc.file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
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

describe("numbers from the reference run (bench/results/reference.json)", () => {
  const reference = loadReference();
  const TAG = /<!-- ref: ([^>]*?) -->/g;

  it("bench/README.md shows the reference run's tables as generated from the JSON", () => {
    const section = readmeSection(readFileSync(BENCH_README, "utf8"));
    expect(section, "bench/README.md has lost its reference-run markers").toBeDefined();
    expect(section, "run `npx tsx bench/reference.ts --write` after changing reference.json").toBe(renderReferenceRun(reference));
  });

  it.each(allDocs.map((doc) => [rel(doc.file), doc] as const))("%s: every tagged number is the reference run's", (_name, doc) => {
    const text = readFileSync(doc.file, "utf8");
    const wrong = [...text.matchAll(TAG)].flatMap((match) => {
      const before = text.slice(Math.max(0, match.index - 40), match.index);
      const quoted = /(\d[\d,]*(?:\.\d+)?)[^\d]*$/.exec(before)?.[1];
      const line = text.slice(0, match.index).split("\n").length;
      let figure: string;
      try {
        figure = referenceFigure(reference, match[1]!);
      } catch (error) {
        return [`${rel(doc.file)}:${line}: ${(error as Error).message}`];
      }
      return quoted === figure ? [] : [`${rel(doc.file)}:${line}: '${match[1]}' is ${figure} in the reference run, the text says ${quoted ?? "no number"}`];
    });
    expect(wrong).toEqual([]);
  });

  it.each(docs.map((doc) => [rel(doc.file), doc] as const))("%s: quotes no throughput without its tag", (_name, doc) => {
    const text = readFileSync(doc.file, "utf8");
    // A tagged figure, and the tags themselves (they name units too), are taken out first; what is left must be untagged prose.
    const untagged = text.split("\n").flatMap((line, index) =>
      [...line.replace(/\d[\d,]*(?:\.\d+)?[^\d<]{0,12}<!-- ref:[^>]*-->/g, "").replace(/<!--.*?-->/g, "").matchAll(/\d[\d,.]*\s*(?:req\/s|creates\/s|creates per second)/g)].map(
        (match) => `${rel(doc.file)}:${index + 1}: "${match[0]}" (tag it with <!-- ref: ... --> or link to bench/README.md)`,
      ),
    );
    expect(untagged).toEqual([]);
  });
});

describe("output blocks", () => {
  const textBlocks = allDocs.flatMap((doc) => doc.blocks.filter((block) => block.lang === "text" || block.lang === ""));
  const outputs = allDocs.flatMap(outputBlocks);

  it("every text block says what it is: the output of a command, or a file layout", () => {
    const unlabelled = textBlocks
      .filter((block) => !outputs.some((o) => o.file === block.file && o.line === block.line) && !(block.lang === "text" && block.meta.trim() === "layout"))
      .map((block) => `${rel(block.file)}:${block.line}: \`\`\`${block.lang} ${block.meta} (say text output="<command>" or text layout)`);
    expect(unlabelled).toEqual([]);
  });

  it("every output block is compared with a fresh run of its command", () => {
    const unchecked = outputs.filter((o) => !OUTPUT_CHECKED.some(([pattern]) => pattern.test(o.command))).map((o) => `${rel(o.file)}:${o.line}: ${o.command}`);
    expect(unchecked).toEqual([]);
  });

  it.each(allDocs.flatMap((doc) => doc.blocks.filter((b) => b.lang === "text" && b.meta.trim() === "layout")).map((b) => [`${rel(b.file)}:${b.line}`, b] as const))(
    "%s: every path in the layout exists",
    (_where, block) => {
      let folder = "";
      const missing = block.value.split("\n").flatMap((line) => {
        const entry = /^(\s*)(\S+)/.exec(line);
        if (!entry || line.trim() === "") return [];
        const name = entry[1] === "" ? entry[2]! : `${folder}${entry[2]}`;
        if (entry[1] === "") folder = name.endsWith("/") ? name : "";
        return existsSync(path.join(REPO_ROOT, name)) ? [] : [name];
      });
      expect(missing).toEqual([]);
    },
  );

  const checkerRuns = outputs.filter((o) => /^npm run check -- [1-7]$/.test(o.command));
  it.each(checkerRuns.map((o) => [`${rel(o.file)}:${o.line}`, o] as const))(
    "%s: the checker prints what the doc shows (UPDATE_DOCS=1 rewrites it from this run)",
    async (_where, block) => {
      const exercise = block.command.split(" ").at(-1)!;
      // The checker exits 1 when a check fails, as the untouched starters do: its output is what counts.
      const runChecker = () =>
        new Promise<string>((resolve) => {
          execFile("npx", ["tsx", "checker/check.ts", exercise], { cwd: REPO_ROOT, timeout: 140_000 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
        });
      const printed = await runChecker();
      if (process.env.UPDATE_DOCS === "1") {
        const source = readFileSync(block.file, "utf8");
        const fence = `\`\`\`text output="${block.command}"\n`;
        const at = source.split("\n").slice(0, block.line - 1).join("\n").length + 1;
        const end = source.indexOf("\n```", at + fence.length - 1);
        expect(source.slice(at, at + fence.length)).toBe(fence);
        writeFileSync(block.file, `${source.slice(0, at + fence.length)}${printed.trim()}${source.slice(end)}`);
        console.log(`rewrote ${rel(block.file)}:${block.line} from a fresh run of ${block.command}`);
        return;
      }
      const compared = (text: string) => withoutTimingDependentHints(normaliseOutput(text));
      expect(compared(block.value), `${block.command} printed (normalised; UPDATE_DOCS=1 rewrites the block):\n${normaliseOutput(printed)}`).toBe(compared(printed));
    },
    300_000,
  );
});

describe("chapter 8's line counts", () => {
  it("are what bench/line_counts.ts prints, and every file of both services is counted", () => {
    const chapter = readFileSync(path.join(REPO_ROOT, "modules/07-idempotency/08-restate-or-your-database.md"), "utf8");
    expect(chapter, "run `npx tsx bench/line_counts.ts` and paste its table into chapter 8").toContain(lineCountTable());
    const services = ["handrolled", "code"].flatMap((dir) => readdirSync(path.join(REPO_ROOT, dir)).filter((f) => f.endsWith(".ts")).map((f) => `${dir}/${f}`));
    // Clients, the provider, Restate's admin query and the operations drill's endpoint: neither side's service.
    // Chapter 9's consumers and outbox are other services beside the payment one.
    const notServices = new Set([
      "code/client.ts",
      "code/careful_client.ts",
      "code/mock_gateway.ts",
      "code/mock_provider.ts",
      "code/mock_admin_client.ts",
      "code/admin_query.ts",
      "code/drill_endpoint.ts",
      "code/at_least_once_producer.ts",
      "code/hit_counter.ts",
      "code/hit_counter_endpoint.ts",
      "code/shot_log.ts",
      "handrolled/inbox_consumer.ts",
      "handrolled/outbox.ts",
    ]);
    expect(services.filter((file) => !notServices.has(file) && !countedFiles().includes(file))).toEqual([]);
  });
});

describe("curl lines, in reading order, against one stack", () => {
  let stack: ThrowawayStack;
  let handrolled: HandrolledProcess | undefined;
  let portMap: [string, string][] = [];
  const steps: CurlStep[] = docs.flatMap((doc) => shellSteps(doc).curls).filter((step) => !step.cluster);

  beforeAll(async () => {
    // The lines are run as written, on the default ports, when those are free here.
    const busy = await Promise.all(Object.values(DEFAULT_PORTS).map(portInUse));
    if (!busy.some(Boolean)) {
      stack = await startThrowawayStack({ ports: { ...DEFAULT_PORTS } });
    } else {
      stack = await startThrowawayStack();
      portMap = (Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[]).map((part) => [
        `localhost:${DEFAULT_PORTS[part]}`,
        `localhost:${stack.ports[part]}`,
      ]);
      console.warn(`default ports busy; the curl lines run with ports rewritten: ${portMap.map((p) => p.join(" -> ")).join(", ")}`);
    }
    // Chapter 8's lines call the hand-rolled service (`npm run start:handrolled`) beside the same gateway.
    const handrolledPort = (await portInUse(DEFAULT_PORT.handrolled)) ? await freePort() : DEFAULT_PORT.handrolled;
    if (handrolledPort !== DEFAULT_PORT.handrolled) portMap.push([`localhost:${DEFAULT_PORT.handrolled}`, `localhost:${handrolledPort}`]);
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

