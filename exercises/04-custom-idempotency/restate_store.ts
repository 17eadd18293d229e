// Exercise 4: the same store, kept in Restate. One virtual object per
// idempotency key holds that key's record, so it survives restarts of the app
// and is shared by every instance of it. Read README.md first.
//
// The app reaches the object through Restate's ingress with the typed client;
// endpoint.ts serves the object itself.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import type { IdempotencyStore } from "./store.js";
import type { StoredResponse } from "./types.js";

export const idempotencyKeys = restate.object({
  name: "IdempotencyKeys",
  handlers: {
    // TODO(exercise): a shared `get` and a separate `set` cannot stop two requests from both
    // finding nothing. One exclusive handler can decide and claim in one step.
    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<{ response: StoredResponse }>): Promise<StoredResponse | null> => {
      return (await ctx.get("response")) ?? null;
    }),
    set: restate.handlers.object.exclusive(async (ctx: ObjectContext<{ response: StoredResponse }>, response: StoredResponse): Promise<void> => {
      ctx.set("response", response);
    }),
  },
});

export class RestateStore implements IdempotencyStore {
  private readonly ingress: clients.Ingress;

  constructor(ingressUrl: string) {
    this.ingress = clients.connect({ url: ingressUrl });
  }

  private keyObject(key: string) {
    return this.ingress.objectClient<typeof idempotencyKeys>({ name: "IdempotencyKeys" }, key);
  }

  async get(key: string): Promise<StoredResponse | undefined> {
    return (await this.keyObject(key).get()) ?? undefined;
  }

  async set(key: string, response: StoredResponse): Promise<void> {
    await this.keyObject(key).set(response);
  }
}
