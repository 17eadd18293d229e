// Restate's answer to "a state change and a message must both happen": the
// shot is recorded in the object's state and the hit is sent to the player's
// HitCounter from the same handler. The state change and the send are entries
// of one journal, committed together: a crash before the commit runs the
// handler again from the top, a crash after it replays both, and the send is
// delivered once. No outbox table, no relay. (The hand-rolled answer:
// handrolled/outbox.ts.)
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext } from "@restatedev/restate-sdk";
import { type Hit, hitCounter } from "./hit_counter.js";

/** Keyed by the shot id: a shot recorded twice is recognised by its key. */
export const shotLog = restate.object({
  name: "ShotLog",
  handlers: {
    record: async (ctx: ObjectContext<{ player: string }>, hit: Hit): Promise<void> => {
      if (await ctx.get("player")) return;
      ctx.set("player", hit.player);
      ctx.objectSendClient(hitCounter, hit.player).record({ ...hit, shotId: ctx.key });
    },
  },
});
