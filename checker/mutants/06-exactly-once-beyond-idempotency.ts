// Exercise 6's wrong solutions and correct alternatives.
import { type ExerciseCatalogue, type Patch, addImport } from "./catalogue.js";

const RANGE = "shooting_range.ts";
const BOARD = "leaderboard.ts";
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
      patches: [{ file: BOARD, find: "if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores;", replace: "" }],
      hint: /count each once|count each shotId once/,
    },
    {
      id: "board-checks-in-shared-counts-in-exclusive",
      scenario: "the LeaderBoard asks \"counted already?\" in a shared handler and counts in an exclusive one: two deliveries of one outcome arriving together are both counted",
      patches: [
        {
          file: BOARD,
          find: `    record: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RecordOutcome) },
      async (ctx: ObjectContext<BoardState>, result: RecordOutcome): Promise<Scores> => {
        const scores = (await ctx.get("scores")) ?? empty();
        if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores; // this shot is counted already
`,
          replace: `    record: restate.handlers.object.shared(
      { input: restate.serde.schema(RecordOutcome) },
      async (ctx: ObjectSharedContext<BoardState>, result: RecordOutcome): Promise<Scores> => {
        const scores = (await ctx.get("scores")) ?? empty();
        if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores; // this shot is counted already
        return ctx.objectClient<typeof leaderBoard>({ name: "LeaderBoard" }, ctx.key).count(result);
      },
    ),

    count: restate.handlers.object.exclusive(
      async (ctx: ObjectContext<BoardState>, result: RecordOutcome): Promise<Scores> => {
        const scores = (await ctx.get("scores")) ?? empty();
`,
        },
      ],
      hint: /five times at once gave ann \d+ misses/,
    },
    {
      id: "range-outcomes-keyed-by-player-and-shot",
      scenario: "the range remembers outcomes under player + '-' + shotId: player 'a' firing shot 'b-c' is told the outcome of player 'a-b''s shot 'c', and is never counted",
      patches: [
        { file: RANGE, find: "const earlier = outcomes[shot.shotId];", replace: "const earlier = outcomes[`${shot.player}-${shot.shotId}`];" },
        { file: RANGE, find: 'ctx.set("outcomes", { ...outcomes, [shot.shotId]: result });', replace: 'ctx.set("outcomes", { ...outcomes, [`${shot.player}-${shot.shotId}`]: result });' },
      ],
      hint: /it was answered as a copy of the first/,
    },
    {
      id: "unseen-version-answered-missed",
      scenario: "a shot aimed at a version the range has not seen is answered Missed instead of refused: the player is told Missed, and the shot is a Hit once its move arrives",
      patches: [
        {
          file: RANGE,
          find: "          throw new TerminalError(`Shot '${shot.shotId}' aimed at target version ${shot.targetVersion}, which this range has not seen.`, { errorCode: 409 });",
          replace: '          return { shotId: shot.shotId, outcome: "Missed" }; // not on any target we know',
        },
      ],
      hint: /a version the range has not seen yet is no outcome/,
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
    {
      id: "shared-fire-forwards-to-exclusive-judge",
      description: "fireAt is a shared handler that forwards every copy to an exclusive judgeShot, which checks, judges, records and remembers: copies wait in line there",
      patches: [
        {
          file: RANGE,
          find: `    fireAt: restate.handlers.object.exclusive(
      { input: restate.serde.schema(FireAt) },`,
          replace: `    // Shared: a copy never waits behind a move; the judging itself is one exclusive step.
    fireAt: restate.handlers.object.shared(
      { input: restate.serde.schema(FireAt) },
      async (ctx: ObjectSharedContext<RangeState>, shot: FireAt): Promise<ShotResult> =>
        ctx.objectClient<typeof shootingRange>({ name: "ShootingRange" }, ctx.key).judgeShot(shot),
    ),

    judgeShot: restate.handlers.object.exclusive(
      { input: restate.serde.schema(FireAt) },`,
        },
      ],
      fast: true,
    },
    {
      id: "copies-reported-again",
      description: "a copy of a shot reports its stored outcome to the LeaderBoard again before answering (the board counts it once): more calls, never another outcome",
      patches: [
        {
          file: RANGE,
          find: "        if (earlier) return earlier; // a copy gets the first outcome, whatever happened since\n",
          replace: `        if (earlier) {
          // In case the first report was lost: the LeaderBoard counts a shotId once, so reporting it again is harmless.
          await ctx.objectClient<typeof leaderBoard>({ name: "LeaderBoard" }, ctx.key).record({ shotId: shot.shotId, player: shot.player, outcome: earlier.outcome });
          return earlier;
        }
`,
        },
      ],
    },
    {
      id: "judging-helper-in-a-folder",
      description: "the judging lives in rules/judging.ts (the coin is ctx.rand, passed in), and an unseen version is refused with other words",
      patches: [
        {
          file: "rules/judging.ts",
          create: `import { type FireAt, type ShotResult, judge } from "../../../exercises/support/range_contract.js";

/** A shot's one outcome. \`random\` must replay (Restate's ctx.rand), so a retried judgement lands the same way. */
export function judgeShot(shot: FireAt, targetX: number, random: () => number): ShotResult {
  return { shotId: shot.shotId, outcome: judge(shot.x, targetX, random) };
}
`,
        },
        addImport(RANGE, FIRST_IMPORT, 'import { judgeShot } from "./rules/judging.js";'),
        { file: RANGE, find: `const result: ShotResult = { shotId: shot.shotId, outcome: ${COIN} };`, replace: "const result: ShotResult = judgeShot(shot, targetX, () => ctx.rand.random());" },
        {
          file: RANGE,
          find: "`Shot '${shot.shotId}' aimed at target version ${shot.targetVersion}, which this range has not seen.`",
          replace: "`Target v${shot.targetVersion} has not been set up here yet; try shot ${shot.shotId} again shortly.`",
        },
      ],
    },
  ],
};
