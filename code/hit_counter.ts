// Chapter 3's LeaderBoard as a message consumer on Restate: hits arrive at least
// once, each in a message with an id. The producer sends each message to the
// player's object with the message id as the invocation's idempotency key, so a
// redelivery of the same message attaches to the first invocation instead of
// running again (a Kafka subscription does the same with the partition offset).
// A republish of the same hit under a new message id is a new invocation: only
// the business id (the shot) recognises it, kept in the object's state, which
// commits together with the count.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";

export interface Hit {
  /** The business identity of the event: one shot is one hit, however often it is published. */
  shotId: string;
  player: string;
}

interface HitState {
  hits: number;
  /** Shot ids already counted. (A real one would keep a bounded window of them.) */
  shots: string[];
  /** What trusting message ids alone counts: every invocation that got through Restate's key. */
  deliveriesCounted: number;
}

export const hitCounter = restate.object({
  name: "HitCounter",
  handlers: {
    /** Counts a hit once per shot: the state update and the shot's record commit together, with the journal. */
    record: async (ctx: ObjectContext<HitState>, hit: Hit): Promise<number> => {
      const shots = (await ctx.get("shots")) ?? [];
      const hits = (await ctx.get("hits")) ?? 0;
      ctx.set("deliveriesCounted", ((await ctx.get("deliveriesCounted")) ?? 0) + 1);
      if (shots.includes(hit.shotId)) return hits;
      ctx.set("shots", [...shots, hit.shotId]);
      ctx.set("hits", hits + 1);
      return hits + 1;
    },
    count: restate.handlers.object.shared(async (ctx: ObjectSharedContext<HitState>) => ({
      hits: (await ctx.get("hits")) ?? 0,
      deliveriesCounted: (await ctx.get("deliveriesCounted")) ?? 0,
    })),
  },
});
