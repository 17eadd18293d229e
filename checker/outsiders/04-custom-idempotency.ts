// Exercise 4's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const GATEWAY_KEY = "`charge-api-${key}-${fingerprint.slice(0, 16)}`";

export const outsiders: OutsiderCatalogue = {
  folder: "04-custom-idempotency",
  cases: [
    {
      id: "gateway-key-salted-with-pid",
      class: "key stable only within one process",
      scenario: "the gateway charged, its answer was lost (503, key released) and the app restarted: the client's retry charges again under the new pid",
      fast: true,
      patches: [{ file: "app.ts", find: GATEWAY_KEY, replace: "`charge-api-${key}-${fingerprint.slice(0, 16)}-${process.pid}`" }],
    },
    {
      id: "gateway-key-per-day",
      class: "key stable only today",
      scenario: "a 503 at 23:59 (the gateway charged, its answer lost) and the client's retry at 00:01: a new gateway key, a second charge",
      patches: [{ file: "app.ts", find: GATEWAY_KEY, replace: "`charge-api-${key}-${fingerprint.slice(0, 16)}-${new Date().toISOString().slice(0, 10)}`" }],
    },
    {
      id: "restate-store-get-then-put",
      class: "race in shared handlers",
      scenario: "two requests with one key at once both read 'free' from the shared get and both put their claim: both run, neither gets a 409",
      patches: [
        {
          file: "restate_store.ts",
          find: "import type { ObjectContext } from \"@restatedev/restate-sdk\";",
          replace: "import type { ObjectContext, ObjectSharedContext } from \"@restatedev/restate-sdk\";\nimport { randomUUID } from \"node:crypto\";",
        },
        {
          file: "restate_store.ts",
          find: "    complete: restate.handlers.object.exclusive(",
          replace: `    /** The key's record: shared, so reading it never waits for a writer. */
    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<KeyState>): Promise<KeyRecord | null> => ctx.get("record")),

    put: restate.handlers.object.exclusive(async (ctx: ObjectContext<KeyState>, record: KeyRecord): Promise<void> => {
      ctx.set("record", record);
    }),

    complete: restate.handlers.object.exclusive(`,
        },
        {
          file: "restate_store.ts",
          find: "    return await this.keyObject(key).claim({ fingerprint, ...options });",
          replace: `    const { claim, record } = decide((await this.keyObject(key).get()) ?? undefined, fingerprint, Date.now(), randomUUID, options);
    if (record) await this.keyObject(key).put(record);
    return claim;`,
        },
      ],
    },
    {
      id: "gateway-key-without-payload",
      class: "colliding ids",
      scenario: "a key reused after its TTL for another charge (a new request, says the contract) hits the gateway's key of the first: refused, or handed the old charge",
      patches: [{ file: "app.ts", find: GATEWAY_KEY, replace: "`charge-api-${key}`" }],
    },
    {
      id: "unknown-outcome-stored-as-decline",
      class: "error swallowed",
      scenario: "the gateway charged and its answer was lost: the app answers (and remembers) 402, every retry replays 'declined', the customer paid",
      patches: [
        {
          file: "app.ts",
          find: "      res.status(503).json({ error: { code: \"provider_unavailable\", message: `The payment provider did not answer; retry with the same Idempotency-Key. (${(error as Error).message})` } });",
          replace: "      res.status(402).json({ error: { code: \"charge_failed\", message: `The charge did not go through: ${(error as Error).message}` } });",
        },
      ],
    },
    {
      id: "in-progress-runs-again",
      class: "concurrency judged by the ledger",
      scenario: "a second request while the first runs is let through to the handler (the gateway's key 'makes it safe'): two charge requests for one key, one charge in the ledger",
      patches: [
        {
          file: "middleware.ts",
          find: `      case "in-progress":
        res.set("Retry-After", "1");
        res.status(409).json(error("idempotency_key_in_use", \`A request with Idempotency-Key '\${key}' is still being processed; retry in a moment.\`));
        return;`,
          replace: `      case "in-progress":
        // The gateway's key is derived from ours: running it again cannot charge twice.
        res.locals.idempotency = { key, fingerprint } satisfies IdempotencyLocals;
        next();
        return;`,
        },
      ],
    },
  ],
};
