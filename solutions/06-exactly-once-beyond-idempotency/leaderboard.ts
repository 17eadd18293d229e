// Exercise 6, solved: the LeaderBoard counts each shot once, by its business id.
// The check ("counted already?") and the count are in one exclusive handler, and
// the set of counted shots lives in the same state as the scores, so they cannot
// disagree.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";
import { RecordOutcome, type Scores } from "../../exercises/support/range_contract.js";

type BoardState = { scores: Scores };

const empty = (): Scores => ({ players: {}, log: [] });

export const leaderBoard = restate.object({
  name: "LeaderBoard",
  handlers: {
    record: restate.handlers.object.exclusive(
      { input: restate.serde.schema(RecordOutcome) },
      async (ctx: ObjectContext<BoardState>, result: RecordOutcome): Promise<Scores> => {
        const scores = (await ctx.get("scores")) ?? empty();
        if (scores.log.some((counted) => counted.shotId === result.shotId)) return scores; // this shot is counted already
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
