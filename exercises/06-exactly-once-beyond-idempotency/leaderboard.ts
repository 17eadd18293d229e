// Exercise 6: the LeaderBoard, one per range, counts hits and misses per player.
// Read README.md first.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";
import { RecordOutcome, type Scores } from "../support/range_contract.js";

type BoardState = { scores: Scores };

const empty = (): Scores => ({ players: {}, log: [] });

export const leaderBoard = restate.object({
  name: "LeaderBoard",
  handlers: {
    record: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RecordOutcome) },
      async (ctx: ObjectContext<BoardState>, result: RecordOutcome): Promise<Scores> => {
        // TODO(exercise): this counts deliveries, not shots: the same shot delivered twice counts twice.
        const scores = (await ctx.get("scores")) ?? empty();
        const player = scores.players[result.player] ?? { hits: 0, misses: 0 };
        if (result.outcome === "Hit") player.hits += 1;
        else player.misses += 1;
        scores.players[result.player] = player;
        scores.log.push(result);
        ctx.set("scores", scores);
        return scores;
      },
    ),

    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<BoardState>): Promise<Scores> => {
      return (await ctx.get("scores")) ?? empty();
    }),
  },
});
