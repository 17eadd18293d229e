// Exercise 6 (advanced): exactly-once beyond idempotency. Read README.md first.
//
// ShootingRange, one object per range: the operator sends MoveTarget, players
// send FireAt, and each shot's outcome goes to the range's LeaderBoard. Messages
// may arrive twice, and out of order. Every handler here looks harmless on its
// own; together they can tell one shot both "Hit" and "Missed".
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";
import type { leaderBoard } from "./leaderboard.js";
import { FireAt, INITIAL_TARGET, MoveTarget, type ShotResult, type Target, judge } from "../support/range_contract.js";

type RangeState = { target: Target };

export const shootingRange = restate.object({
  name: "ShootingRange",
  handlers: {
    moveTarget: restate.handlers.object.exclusive(
      { input: restate.serde.schema(MoveTarget) },
      async (ctx: ObjectContext<RangeState>, move: MoveTarget): Promise<Target> => {
        // TODO(exercise): the last message to arrive wins, even an old one that arrived late.
        const target = { version: move.version, x: move.x };
        ctx.set("target", target);
        return target;
      },
    ),

    fireAt: restate.handlers.object.exclusive(
      { input: restate.serde.schema(FireAt) },
      async (ctx: ObjectContext<RangeState>, shot: FireAt): Promise<ShotResult> => {
        // TODO(exercise): a second copy of a shot is judged again, against whatever the target is
        // now, and not against the target the player aimed at (shot.targetVersion).
        const target = (await ctx.get("target")) ?? INITIAL_TARGET;
        // TODO(exercise): Math.random gives another answer when Restate retries this handler.
        const outcome = judge(shot.x, target.x, Math.random);
        await ctx.objectClient<typeof leaderBoard>({ name: "LeaderBoard" }, ctx.key).record({ shotId: shot.shotId, player: shot.player, outcome });
        return { shotId: shot.shotId, outcome };
      },
    ),

    target: restate.handlers.object.shared(async (ctx: ObjectSharedContext<RangeState>): Promise<Target> => {
      return (await ctx.get("target")) ?? INITIAL_TARGET;
    }),
  },
});
