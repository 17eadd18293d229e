// The operations drill of modules/07-idempotency/10-clients-and-operators.md,
// run as written: every line of its ```sh drill blocks, in order, against a
// stack of its own, each output held to the block shown after it. Run by
// `npm run test:operations` (a restate CLI per command; kept out of `npm test`).
//
// Lines the test acts on itself:
//   npx tsx code/drill_endpoint.ts    starts the drill endpoint (the learner's third terminal)
//   # Ctrl-C the drill endpoint       stops it by its PID
// DRILL_TRANSCRIPT=<file> writes what every command printed (ports as the chapter shows them), to update the chapter.
import { exec } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PORT, DEFAULT_PORTS } from "../../code/config.js";
import { type EndpointProcess, startEndpoint } from "../../orchestration/parts.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { freePort } from "../../orchestration/ports.js";
import { type CodeBlock, mismatch, readMarkdown } from "../support/markdown.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";

const CHAPTER = path.join(REPO_ROOT, "modules/07-idempotency/10-clients-and-operators.md");
const DRILL_ENDPOINT = path.join(REPO_ROOT, "code/drill_endpoint.ts");
const DRILL_PORT = DEFAULT_PORT.drill;
const START_DRILL = "npx tsx code/drill_endpoint.ts";
const STOP_DRILL = "# Ctrl-C the drill endpoint";
/** Commands that only look: run again until they print what the chapter shows (the state they show arrives asynchronously). */
const READ_ONLY = [/^npx restate invocations (list|describe)\b/, /^npx restate services config view\b/, /^curl -s (?!.* -d )/];

interface DrillStep {
  line: number;
  command: string;
  expected?: CodeBlock;
}

function drillSteps(): DrillStep[] {
  const { blocks } = readMarkdown(CHAPTER);
  const steps: DrillStep[] = [];
  blocks.forEach((block, index) => {
    if (block.lang !== "sh" || block.meta.trim() !== "drill") return;
    const blockSteps: DrillStep[] = block.value
      .split("\n")
      .map((raw, offset) => ({ line: block.line + 1 + offset, command: raw.trim() }))
      .filter((step) => step.command !== "" && (!step.command.startsWith("#") || step.command === STOP_DRILL));
    const next = blocks[index + 1];
    if (next && (next.lang === "text" || next.lang === "json") && blockSteps.length > 0) blockSteps[blockSteps.length - 1]!.expected = next;
    steps.push(...blockSteps);
  });
  return steps;
}

const steps = drillSteps();
let stack: ThrowawayStack;
let drill: EndpointProcess | undefined;
let portMap: [number, number][] = [];
let cliEnv: NodeJS.ProcessEnv;
/** The chapter's invocation ids (from its run) to this run's, learned from outputs in the same order. */
const ids = new Map<string, string>();
const transcript = process.env.DRILL_TRANSCRIPT;

beforeAll(async () => {
  stack = await startThrowawayStack();
  const drillPort = await freePort();
  portMap = [
    [DEFAULT_PORTS.ingress, stack.ports.ingress],
    [DEFAULT_PORTS.admin, stack.ports.admin],
    [DEFAULT_PORTS.service, stack.ports.service],
    [DEFAULT_PORTS.gateway, stack.ports.gateway],
    [DRILL_PORT, drillPort],
  ];
  const cliHome = path.join(stack.dir, "restate-cli");
  mkdirSync(cliHome);
  cliEnv = { ...process.env, RESTATE_ADMIN_URL: stack.adminUrl, RESTATE_INGRESS_URL: stack.ingressUrl, RESTATE_CLI_CONFIG_HOME: cliHome, NO_COLOR: "1" };
  if (transcript) writeFileSync(transcript, "");
}, 90_000);

afterAll(async () => {
  await drill?.stop(5_000);
  await stack?.dispose();
});

describe("the operations drill, as the chapter shows it", () => {
  it("has steps, starting the drill endpoint before anything else", () => {
    expect(steps.map((s) => s.command)).toContain(STOP_DRILL);
    expect(steps[0]?.command).toBe(START_DRILL);
  });

  it.each(steps.map((step) => [`${path.relative(REPO_ROOT, CHAPTER)}:${step.line}: ${step.command}`, step] as const))("%s", async (_name, step) => {
    if (step.command === START_DRILL) {
      const port = portMap.find(([from]) => from === DRILL_PORT)![1];
      drill = await startEndpoint({ port, gatewayUrl: stack.gatewayUrl, entry: DRILL_ENDPOINT, env: { DRILL_PORT: String(port) }, output: { kind: "file", path: path.join(stack.dir, "drill.log") } });
      return;
    }
    if (step.command === STOP_DRILL) {
      await drill!.stop(5_000);
      drill = undefined;
      return;
    }
    expect(step.command, "a drill line is a curl or a restate CLI command").toMatch(/^(curl -s |npx restate )/);
    const command = withIds(withPorts(step.command));
    const readOnly = READ_ONLY.some((pattern) => pattern.test(step.command));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const output = asShown(await run(command));
      const problem = step.expected ? compare(step.expected, output) : null;
      if (problem === null || !readOnly || Date.now() > deadline) {
        if (transcript) appendFileSync(transcript, `\n$ ${step.command}\n${output}\n`);
        expect(problem, `${step.command}\nprinted:\n${output}`).toBeNull();
        if (step.expected?.lang === "text") learnIds(step.expected.value, output);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  it("charged the drill's payment once and refunded it twice, whatever was paused and resumed", async () => {
    expect((await stack.gatewayClient.listCharges({ reference: "drill-1" })).map((c) => c.status)).toEqual(["succeeded"]);
    expect((await stack.gatewayClient.listRefunds({ reference: "drill-1" })).map((r) => r.amount)).toEqual([1_000, 1_000]);
  });
});

function run(command: string): Promise<string> {
  return new Promise((resolve) => {
    exec(command, { env: cliEnv, timeout: 60_000, cwd: REPO_ROOT }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

/** The chapter's ports to this stack's, in a command. */
function withPorts(command: string): string {
  return portMap.reduce((text, [from, to]) => text.replace(new RegExp(`(localhost|127\\.0\\.0\\.1):${from}\\b`, "g"), `$1:${to}`), command);
}

/** This stack's ports back to the chapter's, and the CLI's colours removed: the output as the chapter shows it. */
function asShown(output: string): string {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  return portMap.reduce((text, [from, to]) => text.replace(new RegExp(`(localhost|127\\.0\\.0\\.1):${to}\\b`, "g"), `$1:${from}`), plain).trimEnd();
}

function withIds(command: string): string {
  return command.replace(/inv_[A-Za-z0-9]+/g, (id) => {
    const mapped = ids.get(id);
    if (!mapped) throw new Error(`${id} in '${command}' is not an id any earlier output of the drill showed`);
    return mapped;
  });
}

function learnIds(shown: string, output: string): void {
  const theirs = shown.match(/inv_[A-Za-z0-9]+/g) ?? [];
  const ours = output.match(/inv_[A-Za-z0-9]+/g) ?? [];
  theirs.forEach((id, index) => ours[index] && ids.set(id, ours[index]));
}

/** Whether the output is what the chapter shows, up to what differs between runs (ids, times, keys). */
function compare(expected: CodeBlock, output: string): string | null {
  if (expected.lang === "json") {
    try {
      return mismatch(JSON.parse(expected.value), JSON.parse(output));
    } catch {
      return `expected JSON, got: ${output.slice(0, 300)}`;
    }
  }
  const want = normalise(expected.value);
  const got = normalise(output);
  if (want.length !== got.length) return `expected ${want.length} lines, got ${got.length}`;
  const at = want.findIndex((line, index) => line !== got[index]);
  if (at === -1) return null;
  // The CLI lists a deployment's handlers in no fixed order: the same lines in another order will do.
  const sorted = (lines: string[]) => [...lines].sort().join("\n");
  return sorted(want) === sorted(got) ? null : `line ${at + 1}: expected\n  ${want[at]}\ngot\n  ${got[at]}`;
}

function normalise(text: string): string[] {
  return text
    .replace(/inv_[A-Za-z0-9]+/g, "inv_*")
    .replace(/dp_[A-Za-z0-9]+/g, "dp_*")
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, "<ulid>")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d\d:\d\d/g, "<time>")
    .replace(/\([^()]* ago\)/g, "(ago)")
    .replace(/Query took [\d.]+\S+/g, "Query took <t>")
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .filter((line) => line !== "");
}
