// Exercise 4, solved: the store kept in Restate, one virtual object per key.
//
// `claim` is an exclusive handler: Restate runs one at a time per key, so the
// look-and-take is atomic without locks or transactions. The clock is
// ctx.date (journaled), the token ctx.rand (seeded per invocation): a retried
// claim decides the same. A delayed message to itself (`expire`) is the reaper
// that deletes the record when its retention ends.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext } from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import type { IdempotencyStore } from "./store.js";
import { type Claim, type ClaimOptions, type KeyRecord, type StoredResponse, decide } from "./types.js";

type KeyState = { record: KeyRecord };

export const idempotencyKeys = restate.object({
  name: "IdempotencyKeys",
  handlers: {
    claim: restate.handlers.object.exclusive(
      async (ctx: ObjectContext<KeyState>, request: { fingerprint: string } & ClaimOptions): Promise<Claim> => {
        const now = await ctx.date.now();
        const { claim, record } = decide((await ctx.get("record")) ?? undefined, request.fingerprint, now, () => ctx.rand.uuidv4(), request);
        if (record) ctx.set("record", record);
        return claim;
      },
    ),

    complete: restate.handlers.object.exclusive(
      async (ctx: ObjectContext<KeyState>, request: { token: string; response: StoredResponse; ttlMs: number }): Promise<void> => {
        const record = await ctx.get("record");
        if (record?.state !== "in-progress" || record.token !== request.token) return;
        ctx.set("record", { state: "done", fingerprint: record.fingerprint, response: request.response, expiresAt: (await ctx.date.now()) + request.ttlMs });
        ctx.objectSendClient<typeof idempotencyKeys>({ name: "IdempotencyKeys" }, ctx.key).expire(restate.rpc.sendOpts({ delay: request.ttlMs }));
      },
    ),

    release: restate.handlers.object.exclusive(async (ctx: ObjectContext<KeyState>, request: { token: string }): Promise<void> => {
      const record = await ctx.get("record");
      if (record?.state === "in-progress" && record.token === request.token) ctx.clear("record");
    }),

    /** The reaper: runs when the retention ends; a newer record (the key was claimed again) is left alone. */
    expire: restate.handlers.object.exclusive(async (ctx: ObjectContext<KeyState>): Promise<void> => {
      const record = await ctx.get("record");
      if (record?.state === "done" && record.expiresAt <= (await ctx.date.now())) ctx.clear("record");
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

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<Claim> {
    return await this.keyObject(key).claim({ fingerprint, ...options });
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<void> {
    await this.keyObject(key).complete({ token, response, ttlMs });
  }

  async release(key: string, token: string): Promise<void> {
    await this.keyObject(key).release({ token });
  }
}
