// Exercise 6, solved: one outcome per shot, whatever is duplicated or reordered. See README.md for why.
//
// Three things make a shot's outcome unique and deterministic:
//  - versioned state: every MoveTarget carries its version and the range keeps
//    each version's position, so a shot is judged against the target the player
//    aimed at (shot.targetVersion), not whatever arrived last;
//  - a processed set: the first outcome of a shotId is stored and returned to
//    every later copy, which is therefore never judged (or recorded) again;
//  - ctx.rand for the graze's coin flip: seeded by the invocation, so a retry
//    of the same FireAt flips the same coin.
import * as restate from "@restatedev/restate-sdk";
import { type ObjectContext, type ObjectSharedContext, TerminalError } from "@restatedev/restate-sdk";
import type { leaderBoard } from "./leaderboard.js";
import { FireAt, INITIAL_TARGET, MoveTarget, type ShotResult, type Target, judge } from "../../exercises/support/range_contract.js";

type RangeState = {
  /** Position of the target per version ("0" is the start). */
  positions: Record<string, number>;
  /** The newest version seen (versions may arrive out of order). */
  latest: number;
  /** The outcome of every shot judged so far. */
  outcomes: Record<string, ShotResult>;
};

export const shootingRange = restate.object({
  name: "ShootingRange",
  handlers: {
    moveTarget: restate.handlers.object.exclusive(
      { input: restate.serde.schema(MoveTarget) },
      async (ctx: ObjectContext<RangeState>, move: MoveTarget): Promise<Target> => {
        const positions = await positionsOf(ctx);
        const known = positions[move.version];
        if (known !== undefined && known !== move.x) {
          throw new TerminalError(`Target version ${move.version} is at x=${known}; a move cannot change it to x=${move.x}.`, { errorCode: 409 });
        }
        positions[move.version] = move.x; // a duplicate writes the same value again
        ctx.set("positions", positions);
        const latest = Math.max((await ctx.get("latest")) ?? 0, move.version); // a late, older move does not move the target back
        ctx.set("latest", latest);
        return { version: latest, x: positions[latest]! };
      },
    ),

    fireAt: restate.handlers.object.exclusive(
      { input: restate.serde.schema(FireAt) },
      async (ctx: ObjectContext<RangeState>, shot: FireAt): Promise<ShotResult> => {
        const outcomes = (await ctx.get("outcomes")) ?? {};
        const earlier = outcomes[shot.shotId];
        if (earlier) return earlier; // a copy gets the first outcome, whatever happened since

        const targetX = (await positionsOf(ctx))[shot.targetVersion];
        if (targetX === undefined) {
          throw new TerminalError(`Shot '${shot.shotId}' aimed at target version ${shot.targetVersion}, which this range has not seen.`, { errorCode: 409 });
        }
        const result: ShotResult = { shotId: shot.shotId, outcome: judge(shot.x, targetX, () => ctx.rand.random()) };
        await ctx.objectClient<typeof leaderBoard>({ name: "LeaderBoard" }, ctx.key).record({ shotId: shot.shotId, player: shot.player, outcome: result.outcome });
        ctx.set("outcomes", { ...outcomes, [shot.shotId]: result });
        return result;
      },
    ),

    target: restate.handlers.object.shared(async (ctx: ObjectSharedContext<RangeState>): Promise<Target> => {
      const latest = (await ctx.get("latest")) ?? INITIAL_TARGET.version;
      const positions = (await ctx.get("positions")) ?? {};
      return { version: latest, x: positions[latest] ?? INITIAL_TARGET.x };
    }),
  },
});

async function positionsOf(ctx: ObjectContext<RangeState>): Promise<Record<string, number>> {
  return (await ctx.get("positions")) ?? { [INITIAL_TARGET.version]: INITIAL_TARGET.x };
}
