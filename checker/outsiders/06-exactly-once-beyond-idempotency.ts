// Exercise 6's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const RANGE = "shooting_range.ts";
const BOARD = "leaderboard.ts";

export const outsiders: OutsiderCatalogue = {
  folder: "06-exactly-once-beyond-idempotency",
  cases: [
    {
      id: "range-outcomes-in-process-memory",
      class: "key stable only within one process",
      scenario: "after the endpoint restarts, a copy of a graze is judged again with a new coin: the player is told Missed for a shot the board counted as a Hit",
      fast: true,
      patches: [
        {
          file: RANGE,
          find: `        const outcomes = (await ctx.get("outcomes")) ?? {};
        const earlier = outcomes[shot.shotId];
        if (earlier) return earlier; // a copy gets the first outcome, whatever happened since
`,
          replace: `        // Outcomes are small and read on every shot: kept at hand, per range.
        const earlier = judged.get(\`\${ctx.key}/\${shot.shotId}\`);
        if (earlier) return earlier; // a copy gets the first outcome, whatever happened since
`,
        },
        {
          file: RANGE,
          find: "        ctx.set(\"outcomes\", { ...outcomes, [shot.shotId]: result });",
          replace: "        judged.set(`${ctx.key}/${shot.shotId}`, result);",
        },
        { file: RANGE, find: "export const shootingRange = restate.object({", replace: "const judged = new Map<string, ShotResult>();\n\nexport const shootingRange = restate.object({" },
      ],
    },
    {
      id: "board-counted-set-in-process-memory",
      class: "key stable only within one process",
      scenario: "a record retried after the endpoint restarted finds an empty set of counted shots: the shot is counted twice",
      patches: [
        {
          file: BOARD,
          find: "        if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores; // this shot is counted already",
          replace: "        const seen = `${ctx.key}/${result.shotId}`;\n        if (counted.has(seen)) return scores; // this shot is counted already\n        counted.add(seen);",
        },
        { file: BOARD, find: "const empty = (): Scores => ({ players: {}, log: [] });", replace: "const empty = (): Scores => ({ players: {}, log: [] });\n\n/** The shots counted, by range. */\nconst counted = new Set<string>();" },
      ],
    },
    {
      id: "unseen-version-judged-against-latest",
      class: "error swallowed",
      scenario: "a shot aimed at version 2 arrives before move 2: it is judged against the target it never saw, and that outcome sticks for every copy",
      patches: [
        {
          file: RANGE,
          find: `        const targetX = (await positionsOf(ctx))[shot.targetVersion];
        if (targetX === undefined) {
          throw new TerminalError(\`Shot '\${shot.shotId}' aimed at target version \${shot.targetVersion}, which this range has not seen.\`, { errorCode: 409 });
        }`,
          replace: `        const positions = await positionsOf(ctx);
        // A version we have not seen yet: the best we know is the current target.
        const targetX = positions[shot.targetVersion] ?? positions[(await ctx.get("latest")) ?? 0] ?? 0;`,
        },
      ],
    },
    {
      id: "board-dedup-by-player-and-shot",
      class: "colliding ids",
      scenario: "player 'a-b' firing shot 'c' and player 'a' firing shot 'b-c' share one dedup key: the second shot is never counted",
      patches: [
        {
          file: BOARD,
          find: "        if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores; // this shot is counted already",
          replace:
            "        const id = `${result.player}-${result.shotId}`;\n        if (scores.log.some((counted) => `${counted.player}-${counted.shotId}` === id)) return scores; // this shot is counted already",
        },
      ],
    },
    {
      id: "shared-fire-exclusive-save",
      class: "race in shared handlers",
      scenario: "copies of one graze arrive at once, each judged in the shared handler with its own coin: the copies answer Hit and Missed, and the board counts one of them",
      patches: [
        {
          file: RANGE,
          find: `    fireAt: restate.handlers.object.exclusive(
      { input: restate.serde.schema(FireAt) },
      async (ctx: ObjectContext<RangeState>, shot: FireAt): Promise<ShotResult> => {`,
          replace: `    /** Stores a shot's first outcome; a later one is ignored. */
    saveOutcome: restate.handlers.object.exclusive(async (ctx: ObjectContext<RangeState>, result: ShotResult): Promise<ShotResult> => {
      const outcomes = (await ctx.get("outcomes")) ?? {};
      const first = outcomes[result.shotId] ?? result;
      ctx.set("outcomes", { ...outcomes, [result.shotId]: first });
      return first;
    }),

    // Judging only reads state: shared, so shots do not queue behind each other.
    fireAt: restate.handlers.object.shared(
      { input: restate.serde.schema(FireAt) },
      async (ctx: ObjectSharedContext<RangeState>, shot: FireAt): Promise<ShotResult> => {`,
        },
        {
          file: RANGE,
          find: "        const targetX = (await positionsOf(ctx))[shot.targetVersion];",
          replace: "        const targetX = ((await ctx.get(\"positions\")) ?? { [INITIAL_TARGET.version]: INITIAL_TARGET.x })[shot.targetVersion];",
        },
        {
          file: RANGE,
          find: "        ctx.set(\"outcomes\", { ...outcomes, [shot.shotId]: result });\n        return result;",
          replace: "        return ctx.objectClient<typeof shootingRange>({ name: \"ShootingRange\" }, ctx.key).saveOutcome(result);",
        },
      ],
    },
  ],
};
