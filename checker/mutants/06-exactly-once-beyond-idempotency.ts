// Exercise 6's wrong solutions and correct alternatives.
import { type ExerciseCatalogue, type Patch, addImport } from "./catalogue.js";

const RANGE = "shooting_range.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const COIN = "judge(shot.x, targetX, () => ctx.rand.random())";
const coin = (expression: string): Patch => ({ file: RANGE, find: COIN, replace: `judge(shot.x, targetX, () => ${expression})` });
const NON_DETERMINISM = /took another path when Restate replayed it/;

export const catalogue: ExerciseCatalogue = {
  folder: "06-exactly-once-beyond-idempotency",
  mutants: [
    {
      id: "coin-from-node-crypto",
      scenario: "the graze's coin comes from node:crypto's randomInt: a retried FireAt can turn a Hit into a Miss after the LeaderBoard counted it",
      patches: [addImport(RANGE, FIRST_IMPORT, 'import { randomInt } from "node:crypto";'), coin("randomInt(1000) / 1000")],
      hint: NON_DETERMINISM,
      fast: true,
    },
    {
      id: "coin-from-math-random",
      scenario: "Math.random decides the graze: a replay decides again, differently half of the time",
      patches: [coin("Math.random()")],
      hint: NON_DETERMINISM,
    },
    {
      id: "coin-from-performance-now",
      scenario: "the sub-millisecond clock decides the graze: no two attempts read the same value",
      patches: [coin("(performance.now() * 1000) % 1")],
      hint: NON_DETERMINISM,
    },
    {
      id: "coin-from-hrtime",
      scenario: "process.hrtime decides the graze: a retry reads another time",
      patches: [coin("Number(process.hrtime.bigint() % 1000n) / 1000")],
      hint: NON_DETERMINISM,
    },
    {
      id: "coin-from-get-random-values",
      scenario: "Web Crypto's getRandomValues decides the graze: a retry draws again",
      patches: [coin("crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32")],
      hint: NON_DETERMINISM,
    },
    {
      id: "coin-from-imported-helper",
      scenario: "a helper in another file flips the coin with randomBytes: the randomness hides behind an import",
      patches: [
        { file: "coin.ts", create: 'import { randomBytes } from "node:crypto";\n\n/** A fair coin. */\nexport const flip = (): number => randomBytes(1)[0]! / 256;\n' },
        addImport(RANGE, FIRST_IMPORT, 'import { flip } from "./coin.js";'),
        coin("flip()"),
      ],
      hint: NON_DETERMINISM,
    },
    {
      id: "no-processed-set",
      scenario: "a copy of a FireAt is judged again: after the target moved, the same shot is both a Hit and a Miss",
      patches: [{ file: RANGE, find: "if (earlier) return earlier;", replace: "void earlier;" }],
      hint: /the same shot got Hit, then Missed|both Hit and Missed|copies of shot .* were told|on the LeaderBoard/,
    },
    {
      id: "judged-against-latest",
      scenario: "a shot that arrives after a later MoveTarget is judged against where the target is now, not where the player aimed",
      patches: [{ file: RANGE, find: "(await positionsOf(ctx))[shot.targetVersion]", replace: '(await positionsOf(ctx))[(await ctx.get("latest")) ?? 0]' }],
      hint: /judge the shot against shot\.targetVersion|judge it against the version it aimed at/,
    },
    {
      id: "late-move-overwrites",
      scenario: "an old MoveTarget delivered late moves the target back",
      patches: [{ file: RANGE, find: 'Math.max((await ctx.get("latest")) ?? 0, move.version)', replace: "move.version" }],
      hint: /must not overwrite it; compare versions|expected the newest/,
    },
    {
      id: "leaderboard-counts-deliveries",
      scenario: "the LeaderBoard counts every delivery of an outcome: a redelivered record gives a player two hits for one shot",
      patches: [{ file: "leaderboard.ts", find: "if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores;", replace: "" }],
      hint: /count each once|count each shotId once/,
    },
  ],
  alternatives: [
    {
      id: "coin-journaled-with-ctx-run",
      description: "Math.random inside ctx.run: the coin is journaled, so every replay reads the first flip",
      patches: [
        { file: RANGE, find: `const result: ShotResult = { shotId: shot.shotId, outcome: ${COIN} };`, replace: `const coin = await ctx.run("coin", () => Math.random());\n        const result: ShotResult = { shotId: shot.shotId, outcome: judge(shot.x, targetX, () => coin) };` },
      ],
      fast: true,
    },
    {
      id: "coin-from-shot-hash",
      description: "the coin is a hash of the shot id (node:crypto's createHash): deterministic without Restate's help",
      patches: [
        addImport(RANGE, FIRST_IMPORT, 'import { createHash } from "node:crypto";'),
        coin('createHash("sha256").update(shot.shotId).digest()[0]! / 256'),
      ],
    },
    {
      id: "one-state-entry-per-shot",
      description: "each shot's outcome in its own state entry (`shot:<id>`) instead of one map of all outcomes",
      patches: [
        { file: RANGE, find: 'const outcomes = (await ctx.get("outcomes")) ?? {};\n        const earlier = outcomes[shot.shotId];', replace: 'const earlier = (await ctx.get(`shot:${shot.shotId}` as "outcomes")) as ShotResult | null;' },
        { file: RANGE, find: 'ctx.set("outcomes", { ...outcomes, [shot.shotId]: result });', replace: 'ctx.set(`shot:${shot.shotId}` as "outcomes", result as never);' },
      ],
    },
  ],
};
