// `npm run test:exercises` (.ci/run runs it; kept out of `npm test` for its time).
// The exercise checker, run as a learner runs it: against solutions/ every
// check passes; against the untouched starters in exercises/ exactly the checks
// that the exercise is about fail, each with a one-line hint and a link into the
// concept chapter. One restate-server (plus gateway and providers) serves every
// run; each run starts and registers its own endpoint.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXERCISES, findExercise } from "../checker/exercises.js";
import { CHAPTERS_DIR, SECTIONS, type Section, sectionLink } from "../checker/lib/check.js";
import { formatResult, painter, summaryLine } from "../checker/lib/report.js";
import { type ExerciseReport, runExercise, runExercises } from "../checker/lib/run.js";
import { outputBlocks, readMarkdown } from "./support/markdown.js";
import { type CheckerStack, startCheckerStack } from "../checker/lib/stack.js";
import { REPO_ROOT } from "../orchestration/paths.js";
import { NO_FAULTS } from "../code/mock_provider.js";
import { ProviderRejection, ProviderUnavailable } from "../code/provider_client.js";
import { MockInventoryClient, MockMailerClient, MockTopUpClient } from "../exercises/support/mock_clients.js";
import { createProviders, listenProviders, providerUrlsFor } from "../exercises/support/providers.js";

/**
 * Replayed once more after its last step, a starter whose side effects are outside ctx.run makes them again with new
 * keys, so no replay matches its journal; the checker traces the mismatch to the side effect seen again at the door.
 */
const MADE_AGAIN = /^POST \/(inventory\/)?v1\/\w+ for \S+ was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/;
const either = (...patterns: RegExp[]) => new RegExp(patterns.map((pattern) => pattern.source).join("|"));

/** What the untouched starter gets wrong, by check id; and, for some, words the hint must contain. */
const STARTER: Record<string, { fails: string[]; hints: Record<string, RegExp> }> = {
  "01-order-creation": {
    fails: [
      "places-order",
      "duplicate-create",
      "concurrent-duplicates",
      "lost-gateway-answer",
      "lost-inventory-answer",
      "crash-mid-order",
      "different-items",
      "declined-card",
      "answer-lost:reservation",
      "answer-lost:charge",
      "answer-lost:release",
      "endpoint-restarted:reservation",
      "endpoint-restarted:charge",
      "endpoint-restarted:release",
      "clock-jumped:reservation",
      "clock-jumped:charge",
      "clock-jumped:release",
      "concurrent-copies:reservation",
      "concurrent-copies:charge",
      "concurrent-copies:release",
    ],
    hints: {
      "places-order": MADE_AGAIN,
      "duplicate-create": MADE_AGAIN,
      "concurrent-duplicates": MADE_AGAIN,
      "lost-gateway-answer": MADE_AGAIN,
      "lost-inventory-answer": MADE_AGAIN,
      "crash-mid-order": MADE_AGAIN,
      "different-items": MADE_AGAIN,
      // Which shows first depends on whether a retry of the thrown decline logged a mismatch before the watchdog saw it.
      "declined-card": either(MADE_AGAIN, /^Restate keeps retrying OrderService\/.*Your card was declined.*TerminalError/),
    },
  },
  "02-refunds": {
    // The charge is done for you in the starter: its lost answer is handled already.
    fails: ["partial-refund", "duplicate-refund", "lost-refund-answer", "never-exceeds-charge", "refund-id-reuse", "declined-payment", "unknown-payment", "answer-lost:refund",
      "colliding-ids",
      "endpoint-restarted:refund",
      "clock-jumped:refund",
      "concurrent-copies:refund",
    ],
    hints: {
      "partial-refund": MADE_AGAIN,
      "duplicate-refund": MADE_AGAIN,
      // The refund, outside ctx.run, is sent again until the gateway refuses one.
      "lost-refund-answer": either(MADE_AGAIN, /^Restate keeps retrying Payments\/.*greater than the unrefunded amount/),
      "refund-id-reuse": either(MADE_AGAIN, /made as a second refund|Restate keeps retrying Payments\/.*greater than the unrefunded amount/),
      "unknown-payment": /Restate keeps retrying .*Cannot read properties of null/,
    },
  },
  "03-email-dedup": {
    fails: ["concurrent-duplicates", "duplicate-after-restart", "lost-mailer-answer", "same-content-other-order", "answer-lost:email",
      "endpoint-restarted:email",
      "clock-jumped:email",
      "concurrent-copies:email",
    ],
    hints: {
      "concurrent-duplicates": /^the user got [2-5] times the same email for one intent/,
      "duplicate-after-restart": /endpoint's memory, which a restart/,
      "same-content-other-order": /deduplicate by intent \(user \+ template \+ order\), not by content/,
      "answer-lost:email": /^the email was made 2 times after its answer was lost/,
    },
  },
  "04-custom-idempotency": {
    fails: [
      "missing-key",
      "memory-remembers-failure",
      "memory-concurrent-409",
      "memory-payload-mismatch",
      "memory-ttl-expiry",
      "memory-lost-answer",
      "restate-remembers-failure",
      "restate-concurrent-409",
      "restate-payload-mismatch",
      "restate-ttl-expiry",
      "postgres-remembers-failure",
      "postgres-concurrent-409",
      "postgres-payload-mismatch",
      "postgres-ttl-expiry",
      "memory-lost-answer-restarted",
      "memory-lost-answer-next-day",
    ],
    hints: {
      "memory-concurrent-409": /^both requests with the same key ran \(2 charges\)/,
      "restate-payload-mismatch": /keep a fingerprint of the request/,
      "memory-ttl-expiry": /past its TTL of 1500 ms/,
      "memory-lost-answer": /^charged 2 times for one key: the retry charged again/,
      "postgres-remembers-failure": /^the gateway was asked 2 times for one key: a non-retryable failure \(4xx\) is an answer too/,
      "postgres-concurrent-409": /^both requests with the same key ran \(2 charges\): claim the key \(in progress\) before running the handler, in one atomic step/,
      "postgres-payload-mismatch": /keep a fingerprint of the request/,
      "postgres-ttl-expiry": /past its TTL of 1500 ms: give each stored answer an expiry/,
    },
  },
  "05-batch-topup": {
    fails: [
      "all-succeed",
      "duplicate-batch",
      "lost-topup-answer",
      "some-fail-refunded",
      "none-succeed-refunded",
      "declined-card",
      "deadline-passed",
      "deadline-on-retry",
      "lost-charge-deadline-on-retry",
      "lost-topup-deadline-on-retry",
      "answer-lost:charge",
      "answer-lost:top-up",
      "answer-lost:refund",
      "colliding-batches",
      "answer-lost:charge-refund",
      "endpoint-restarted:charge",
      "endpoint-restarted:top-up",
      "endpoint-restarted:refund",
      "endpoint-restarted:charge-refund",
      "clock-jumped:charge",
      "clock-jumped:top-up",
      "clock-jumped:refund",
      "clock-jumped:charge-refund",
      "concurrent-copies:charge",
      "concurrent-copies:top-up",
      "concurrent-copies:refund",
      "concurrent-copies:charge-refund",
    ],
    hints: {
      "all-succeed": MADE_AGAIN,
      "some-fail-refunded": MADE_AGAIN,
      "deadline-on-retry": MADE_AGAIN,
    },
  },
  "06-exactly-once-beyond-idempotency": {
    fails: ["duplicate-after-move", "reordered-fire", "late-move", "leaderboard-dedup", "message-storm", "deterministic-code",
      "shot-before-its-move",
    ],
    hints: {
      "duplicate-after-move": /^the same shot got Hit, then Missed/,
      "leaderboard-dedup": /gave ann 2 hits/,
      "deterministic-code": /took another path when Restate replayed it.*shooting_range\.ts:\d+ uses Math\.random.*ctx\.rand/,
    },
  },
  "07-workflow-keys": {
    fails: [
      "same-invoice-same-run",
      "task-keys",
      "same-export-once",
      "export-field-order",
      "same-invoice-after-retention",
      "answer-lost:invoice-charge",
      "answer-lost:invoice-email",
      "answer-lost:export-email",
      "endpoint-restarted:invoice-charge",
      "endpoint-restarted:invoice-email",
      "endpoint-restarted:export-email",
      "clock-jumped:invoice-charge",
      "clock-jumped:invoice-email",
      "clock-jumped:export-email",
      "concurrent-copies:invoice-charge",
      "concurrent-copies:invoice-email",
      "concurrent-copies:export-email",
    ],
    hints: {
      "same-invoice-after-retention": /set workflowRetention explicitly/,
      "answer-lost:invoice-email": /^the invoice email was made 2 times after its answer was lost/,
      "same-invoice-same-run": /^the same invoice got two runs/,
      "task-keys": /^one run charged 2 times/,
      "export-field-order": /canonical form/,
    },
  },
  "08-ledger-database": {
    fails: ["same-payment-again", "same-payment-at-once", "crash-after-commit",
      "redelivered-next-day",
    ],
    hints: {
      "same-payment-again": /^the same payment delivered twice was booked 2 times/,
      "crash-after-commit": /^after a crash between the commit and Restate's journal entry, the retry booked the payment 2 times/,
    },
  },
};

const SOLUTIONS = path.join(REPO_ROOT, "solutions");
const STARTERS = path.join(REPO_ROOT, "exercises");

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The checker as a learner types it (`npm run check -- ...`), or straight through tsx where only argument handling is tested. */
function checkCommand(args: string[], options: { viaNpm?: boolean; env?: Record<string, string> } = {}): Promise<CliRun> {
  const command = options.viaNpm ? "npm" : process.execPath;
  const prefix = options.viaNpm ? ["run", "--silent", "check", "--"] : ["--import", "tsx", "checker/check.ts"];
  return promisify(execFile)(command, [...prefix, ...args], {
    cwd: REPO_ROOT,
    // As if typed at the repository's root, wherever vitest itself was started.
    env: { ...process.env, NO_COLOR: "1", INIT_CWD: REPO_ROOT, ...options.env },
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
}

const emptyDir = mkdtempSync(path.join(tmpdir(), "idempotency-empty-"));
/** Started with the runs below, on a stack of their own: they take a while, mostly waiting. */
let cli: { starter: Promise<CliRun>; verbose: Promise<CliRun>; usageErrors: Promise<CliRun[]> };

let stack: CheckerStack;
/** Every exercise against solutions/ and against the starters, run one after the other on one stack, each run's endpoint started during the run before. */
const reports = new Map<string, Promise<ExerciseReport>>();

beforeAll(async () => {
  cli = {
    starter: checkCommand(["1"], { viaNpm: true }),
    verbose: checkCommand(["2", "--dir", "exercises", "--verbose"]),
    usageErrors: Promise.all([
      checkCommand(["9"]),
      checkCommand(["all", "--dir", emptyDir]),
      checkCommand(["2"], { env: { EXERCISES_DIR: emptyDir } }),
      checkCommand(["3", "--dir", "exercises/03-email-dedup"]),
    ]),
  };
  stack = await startCheckerStack();
  const runs = EXERCISES.flatMap((exercise) => [
    { exercise, implementationRoot: SOLUTIONS },
    { exercise, implementationRoot: STARTERS },
  ]);
  runExercises(stack, runs).forEach((report, index) => reports.set(`${runs[index]!.exercise.folder} ${runs[index]!.implementationRoot}`, report));
});

afterAll(async () => {
  await Promise.allSettled([cli?.starter, cli?.verbose, cli?.usageErrors]);
  await stack?.stop();
  rmSync(emptyDir, { recursive: true, force: true });
});

function explain(report: ExerciseReport): string {
  const failures = report.results.filter((result) => result.kind !== "passed");
  return [
    report.setupProblem ?? "",
    ...failures.map((result) => `${result.id} [${result.kind}]: ${result.hint}\n${result.detail ?? ""}`),
    "--- endpoint log ---",
    report.endpointLog,
  ].join("\n");
}

describe.each(EXERCISES.map((exercise) => [exercise.folder, exercise] as const))("exercise %s", (folder, exercise) => {
  it("passes every check on solutions/", async () => {
    const report = await reports.get(`${folder} ${SOLUTIONS}`)!;
    const failed = report.results.filter((result) => result.kind !== "passed").map((result) => result.id);
    expect(failed, explain(report)).toEqual([]);
    expect(report.results).toHaveLength(exercise.checks.length);
    // The exercise's README ends with what the checker prints when everything passes: the same checks, in order.
    const readme = path.join(STARTERS, exercise.folder, "README.md");
    const command = `npm run check -- ${exercise.number} --solutions`;
    const [shown] = outputBlocks(readMarkdown(readme)).filter((block) => block.command === command);
    expect(shown, `${path.relative(REPO_ROOT, readme)} shows the output of ${command}`).toBeDefined();
    const lines = shown!.value.trim().split("\n");
    expect(lines[0]).toBe(`Checking exercise ${exercise.number}, ${exercise.title}, in solutions/${exercise.folder}`);
    const plain = painter(false);
    expect(lines.filter((line) => /^\s+[✓✗] /.test(line))).toEqual(report.results.map((result) => formatResult(result, plain)));
    expect(lines.at(-1)).toBe(summaryLine(report.results, plain));
  }, 120_000);

  it("fails on the untouched starter, exactly where the exercise's behaviour is missing, with a hint and a chapter link each", async () => {
    const expected = STARTER[folder];
    if (!expected) throw new Error(`no expectations for the starter of ${folder}`);
    const report = await reports.get(`${folder} ${STARTERS}`)!;
    expect(report.setupProblem).toBeUndefined();
    const failed = report.results.filter((result) => result.kind !== "passed");
    expect(failed.map((result) => result.id).sort(), explain(report)).toEqual([...expected.fails].sort());
    for (const result of failed) {
      expect(result.kind, `${result.id}: ${result.hint}\n${result.detail}`).toBe("failed"); // diagnosed, not a crash of the check
      expect(result.hint, result.id).toMatch(/\w/);
      expect(result.hint, `${result.id}: a hint is one line, not a stack trace`).not.toMatch(/\n|\s+at \S+ \(/);
      expect(Object.keys(SECTIONS), result.id).toContain(result.section);
    }
    for (const [id, words] of Object.entries(expected.hints)) {
      expect(failed.find((result) => result.id === id)?.hint, id).toMatch(words);
    }
  }, 120_000);
});

describe("what the hints point at", () => {
  it("links only sections that are headings of the chapter each is listed with", () => {
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, "")
        .trim()
        .replace(/\s/g, "-");
    const headingsOf = (file: string) =>
      readFileSync(path.join(REPO_ROOT, CHAPTERS_DIR, file), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("## "))
        .map((line) => slug(line.slice(3)));
    const missing = Object.entries(SECTIONS).filter(([section, file]) => !headingsOf(file).includes(section));
    expect(missing).toEqual([]);
    const used = new Set(EXERCISES.flatMap((exercise) => exercise.checks.map((check) => check.section)));
    for (const section of used) expect(Object.keys(SECTIONS)).toContain(section);
  });
});

describe("the mock providers (in process)", () => {
  let server: Server;
  let inventory: MockInventoryClient;
  let mailer: MockMailerClient;
  let topups: MockTopUpClient;

  beforeAll(async () => {
    server = await listenProviders(createProviders().app, 0);
    const urls = providerUrlsFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    [inventory, mailer, topups] = [new MockInventoryClient(urls.inventory), new MockMailerClient(urls.mailer), new MockTopUpClient(urls.topups)];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("replays the first answer for a repeated key, refuses the key with other parameters, and records one entry", async () => {
    const email = { to: "ann@example.com", subject: "Hi", body: "Hello", reference: "order-1" };
    const first = await mailer.send(email, "key-1");
    const repeat = await mailer.send(email, "key-1");
    expect(repeat).toEqual(first);
    const reused = await mailer.send({ ...email, body: "Other" }, "key-1").catch((error: unknown) => error);
    expect(reused).toBeInstanceOf(ProviderRejection);
    expect((reused as ProviderRejection).code).toBe("idempotency_key_reused");
    expect(await mailer.listEmails({ to: "ann@example.com" })).toHaveLength(1);
    await mailer.send(email);
    expect(await mailer.listEmails({ to: "ann@example.com" })).toHaveLength(2); // no key, no deduplication
  });

  it("answers 409 while the first request with a key is running, and the client treats it as retryable", async () => {
    await mailer.setFaults({ latencyMs: 300 });
    const email = { to: "bob@example.com", subject: "Hi", body: "Hello" };
    const [first, second] = await Promise.allSettled([mailer.send(email, "key-2"), mailer.send(email, "key-2")]);
    await mailer.setFaults({ latencyMs: 0 });
    expect(first.status).toBe("fulfilled");
    expect(second.status === "rejected" && second.reason instanceof ProviderUnavailable && /409/.test(second.reason.message)).toBe(true);
    expect(await mailer.listEmails({ to: "bob@example.com" })).toHaveLength(1);
  });

  it("with dropNext does the work and cuts the connection; with failNext does nothing; a retry with the key completes it once", async () => {
    await inventory.setFaults({ dropNext: 1 });
    const reservation = { sku: "MUG-RED", quantity: 3, reference: "order-drop" };
    await expect(inventory.reserve(reservation, "key-3")).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(await inventory.listReservations({ reference: "order-drop" })).toHaveLength(1); // done, answer lost
    const retried = await inventory.reserve(reservation, "key-3");
    expect(await inventory.listReservations({ reference: "order-drop" })).toEqual([retried]);
    expect(await inventory.requestsWithKey("key-3")).toBe(2);

    await inventory.setFaults({ failNext: 1 });
    await expect(inventory.reserve({ ...reservation, reference: "order-fail" }, "key-4")).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(await inventory.listReservations({ reference: "order-fail" })).toHaveLength(0);
    expect(await inventory.getFaults()).toEqual(NO_FAULTS);
  });

  it("keeps stock: refuses more than is left, and a release puts the units back", async () => {
    const big = await inventory.reserve({ sku: "LAMP", quantity: 1_000, reference: "order-big" });
    const refused = await inventory.reserve({ sku: "LAMP", quantity: 1, reference: "order-more" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderRejection);
    expect((refused as ProviderRejection).code).toBe("insufficient_stock");
    expect((await inventory.release(big.id)).status).toBe("released");
    expect(await inventory.stock("LAMP")).toBe(1_000);
  });

  it("refuses top-ups to numbers ending in 0000 (recorded as failed) and tops up the others", async () => {
    const refused = await topups.topUp({ phoneNumber: "+447700990000", amount: 500, currency: "GBP", reference: "batch-1" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderRejection);
    expect((refused as ProviderRejection).status).toBe(422);
    const done = await topups.topUp({ phoneNumber: "+14155550123", amount: 500, currency: "USD", reference: "batch-1" });
    expect(done.status).toBe("succeeded");
    expect((await topups.listTopUps({ reference: "batch-1" })).map((t) => t.status).sort()).toEqual(["failed", "succeeded"]);
    await topups.reset();
    expect(await topups.listTopUps({ reference: "batch-1" })).toEqual([]);
  });
});

describe("setup problems", () => {
  it("reports an endpoint that does not start as one problem, with every check not run", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "idempotency-learner-"));
    try {
      mkdirSync(path.join(root, "01-order-creation"));
      writeFileSync(path.join(root, "01-order-creation", "endpoint.ts"), 'throw new Error("my endpoint is broken");\n');
      const report = await runExercise(stack, findExercise("1")!, root);
      expect(report.setupProblem).toMatch(/^your endpoint did not start: .*my endpoint is broken/);
      expect(report.results.map((result) => result.kind)).toEqual(findExercise("1")!.checks.map(() => "not-run"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finds an exercise by number, padded number, folder or name", () => {
    for (const name of ["3", "03", "03-email-dedup", "email-dedup"]) expect(findExercise(name)?.number, name).toBe(3);
    expect(findExercise("9")).toBeUndefined();
  });
});

describe("the command line", () => {
  it("shows progress, ✓ and ✗ per check, a hint and a chapter link per failure, a summary, and exits 1 on the starter of exercise 1", async () => {
    const { code, stdout } = await cli.starter;
    expect(code, stdout).toBe(1);
    expect(stdout).toContain("Checking exercise 1, Idempotent order creation, in exercises/01-order-creation");
    expect(stdout).toMatch(/· starting restate-server, the mock payment gateway and the mock providers\.\.\./);
    expect(stdout).toMatch(/· ready in \d+\.\d s/);
    expect(stdout).toMatch(new RegExp(`  ✗ places an order: one reservation, one charge, the order confirmed\\n      ${MADE_AGAIN.source.slice(1)}`));
    expect(stdout).toMatch(
      new RegExp(`  ✗ the gateway charges but its answer is lost: the retry charges nothing more\\n      ${MADE_AGAIN.source.slice(1)}.*\\n      see modules/07-idempotency/02-keys\\.md#restates-three-tools\\n`),
    );
    const links = stdout.match(/see (\S+)/g) ?? [];
    expect(links).toHaveLength(STARTER["01-order-creation"]!.fails.length);
    const linkable = new Set(Object.keys(SECTIONS).map((section) => `see ${sectionLink(section as Section)}`));
    for (const link of links) expect(linkable, link).toContain(link);
    expect(stdout).not.toMatch(/\s+at \S+ \(/); // no stack traces without --verbose
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(`0 passed, ${STARTER["01-order-creation"]!.fails.length} failed`);
  }, 120_000);

  it("with --verbose, adds what each failing check saw (Restate's error with its stack) and the endpoint's log", async () => {
    const { code, stdout } = await cli.verbose;
    expect(code, stdout).toBe(1);
    expect(stdout).toContain("Checking exercise 2, Refund processing, in exercises/02-refunds");
    expect(stdout).toMatch(/  ✗ refunding a payment that does not exist answers 404 \(\d+\.\d s\)\n      Restate keeps retrying Payments\/.*\n      see .*\n      \| last failure recorded by Restate:\n      \| \[500 Internal\] Cannot read properties of null/);
    expect(stdout).toContain("--- the last lines of your endpoint's log ---");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("4 passed, 12 failed");
  }, 120_000);

  it("refuses an unknown exercise, and a folder without exercises, with a message and exit code 2, before starting anything", async () => {
    const [unknown, wrongDir, viaEnv, exerciseItself] = await cli.usageErrors;
    expect(unknown!.code).toBe(2);
    expect(unknown!.stderr).toContain('There is no exercise "9".');
    expect(unknown!.stderr).toContain("Usage: npm run check -- <exercise>");
    expect(wrongDir!.code).toBe(2);
    expect(wrongDir!.stderr).toContain("holds none of the exercise folders");
    expect(viaEnv!.code).toBe(2);
    expect(viaEnv!.stderr).toContain(emptyDir);
    expect(exerciseItself!.code).toBe(2);
    expect(exerciseItself!.stderr).toContain("is an exercise folder itself; --dir takes the folder that holds it");
  }, 60_000);
});
