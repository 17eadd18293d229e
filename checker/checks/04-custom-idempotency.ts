// Exercise 4: a service-side idempotency store as express middleware, over an
// in-memory store, a Restate-backed one and a PostgreSQL (PGlite) one. The checks
// talk to the learner's express app directly (no Restate in front of it) and
// count the gateway's charges.
import { APP_ENV, type ChargeApiRequest, REPLAYED_HEADER } from "../../exercises/support/charge_api_contract.js";
import { type Check, type CheckContext, type RestartableProcess, type Section, expect, fail, plural, sleep, times } from "../lib/check.js";
import type { AppSpec, ExerciseDefinition } from "../lib/exercise.js";
import { runWithLostAnswer } from "../lib/faults.js";

/** Short, so the expiry check waits little; long enough for a charge to finish well inside it. */
const TTL_MS = 1_500;

/** One app per store (its IDEMPOTENCY_STORE), each run through the same store checks. */
const APPS = { memory: "app (in-memory store)", restate: "app (Restate store)", postgres: "app (PostgreSQL store)" } as const;
type StoreKind = keyof typeof APPS;
const LABELS: Record<StoreKind, string> = { memory: "in-memory", restate: "Restate", postgres: "PostgreSQL" };

/**
 * The durable stores also keep their keys across a restart of the app, checked on an app of their own: a restart
 * can take longer than the short TTL on a busy machine.
 */
const DURABLE_STORES = {
  restate: { app: "app (Restate store, default TTL)", keepIn: "the IdempotencyKeys object", section: "restates-three-tools" },
  postgres: { app: "app (PostgreSQL store, default TTL)", keepIn: "the idempotency_keys table", section: "the-side-effect-and-the-state-commit-together" },
} as const satisfies Partial<Record<StoreKind, { app: string; keepIn: string; section: Section }>>;
type DurableStoreKind = keyof typeof DURABLE_STORES;

interface HttpAnswer {
  status: number;
  body: any;
  text: string;
  replayed: boolean;
}

async function post(app: RestartableProcess, key: string | undefined, body: ChargeApiRequest): Promise<HttpAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers["idempotency-key"] = key;
  const response = await fetch(`${app.url}/charges`, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text, replayed: response.headers.get(REPLAYED_HEADER) === "true" };
}

function order(ctx: CheckContext, amount = 1_500): ChargeApiRequest {
  return { amount, currency: "USD", source: "tok_visa", reference: ctx.id("order") };
}

const chargesFor = (ctx: CheckContext, request: ChargeApiRequest) => ctx.gateway.listCharges({ reference: request.reference });

/** Counted at the gateway's door: the gateway's own idempotency key would hide a second charge from its ledger. */
function expectGatewayAskedOnce(ctx: CheckContext, request: ChargeApiRequest, repeat: string): void {
  const asked = ctx.requests.gateway.sideEffects("/v1/charges", request.reference).length;
  expect(
    asked === 1,
    `${repeat} asked the gateway again (${times(asked)} in all; the gateway's idempotency key hid a second charge): keep the answer under the key for its whole retention and answer a repeat from it (a claim that takes a key whose request is done, or a record deleted once the request succeeded, runs the request again)`,
  );
}

function expectCreated(answer: HttpAnswer, what: string): void {
  expect(answer.status === 201, `${what} answered ${answer.status} (${answer.text.slice(0, 140)}), expected 201 with the charge`);
}

function storeChecks(kind: StoreKind): Check[] {
  const app = (ctx: CheckContext) => ctx.apps[APPS[kind]]!;
  const label = `[${LABELS[kind]} store]`;
  return [
    {
      id: `${kind}-replay`,
      name: `${label} a repeat with the same key replays the first answer, marked ${REPLAYED_HEADER}, and charges once`,
      section: "what-idempotency-means",
      async run(ctx) {
        const request = order(ctx);
        const key = ctx.id("key");
        const first = await post(app(ctx), key, request);
        expectCreated(first, "the first request");
        const repeat = await post(app(ctx), key, request);
        const charges = await chargesFor(ctx, request);
        expect(charges.length === 1, `charged ${times(charges.length)} for one key: store the answer under the key and replay it for a repeat`);
        expectGatewayAskedOnce(ctx, request, "the repeat with the same key");
        expect(repeat.status === first.status && repeat.text === first.text, `the repeat answered ${repeat.status} ${repeat.text.slice(0, 100)}, not the first answer (${first.status} ${first.text.slice(0, 100)})`);
        expect(repeat.replayed, `the replayed answer lacks the header ${REPLAYED_HEADER}: true, which tells the client it is a replay`);
      },
    },
    {
      id: `${kind}-remembers-failure`,
      name: `${label} a declined card (402) is remembered: the repeat replays it without asking the gateway again`,
      section: "remembering-failures",
      async run(ctx) {
        const request = { ...order(ctx), source: "tok_chargeDeclined" };
        const key = ctx.id("key");
        const first = await post(app(ctx), key, request);
        expect(first.status === 402, `a declined card answered ${first.status} (${first.text.slice(0, 120)}), expected 402`);
        const repeat = await post(app(ctx), key, request);
        // At the gateway's door: its idempotency key may answer a repeat from its own record, which its ledger hides.
        const asked = ctx.requests.gateway.sideEffects("/v1/charges", request.reference).length;
        expect(asked === 1, `the gateway was asked ${times(asked)} for one key: a non-retryable failure (4xx) is an answer too; store it and replay it`);
        expect(repeat.status === 402 && repeat.replayed, `the repeat answered ${repeat.status}${repeat.replayed ? "" : " without the replay header"}, expected the stored 402 replayed`);
      },
    },
    {
      id: `${kind}-concurrent-409`,
      name: `${label} a second request with the same key while the first runs gets 409 at once, and one charge happens`,
      section: "concurrent-duplicates",
      async run(ctx) {
        const request = order(ctx);
        const key = ctx.id("key");
        await ctx.gateway.setFaults({ latencyMs: 600 }); // the first request is still running when the second arrives
        const finished: string[] = [];
        const track = (name: string) => (answer: HttpAnswer) => {
          finished.push(name);
          return answer;
        };
        const [a, b] = await Promise.all([post(app(ctx), key, request).then(track("a")), post(app(ctx), key, request).then(track("b"))]);
        await ctx.gateway.setFaults({ latencyMs: 0 });
        const charges = await chargesFor(ctx, request);
        const statuses = [a.status, b.status].sort();
        // Counted at the gateway's door too: the gateway refuses a second copy of its key while the first is in flight.
        const asked = ctx.requests.gateway.sideEffects("/v1/charges", request.reference).length;
        if (charges.length > 1 || asked > 1) {
          fail(
            `both requests with the same key ran (${plural(charges.length, "charge")}${asked > charges.length ? `, the gateway asked ${times(asked)}` : ""}): claim the key (in progress) before running the handler, in one atomic step, and answer a second request 409`,
          );
        }
        expect(
          !(statuses[0] === 201 && statuses[1] === 201 && [a, b].some((answer) => answer.replayed)),
          "the second request with the same key waited for the first to finish and replayed its answer: duplicates that wait pile up (a connection and a worker each); while the key is in progress, answer 409 with Retry-After at once",
        );
        expect(
          statuses[0] === 201 && statuses[1] === 409,
          `two requests with the same key at once answered ${statuses.join(" and ")}, expected 201 for one and 409 (with a message) for the other`,
          { detail: { a: a.text, b: b.text } },
        );
        const conflicted = a.status === 409 ? "a" : "b";
        expect(finished[0] === conflicted, "the 409 came only after the first request finished: answer at once instead of waiting for it");
        expect(charges.length === 1, `the gateway has ${charges.length} charges, expected 1`);
      },
    },
    {
      id: `${kind}-payload-mismatch`,
      name: `${label} the same key with a different payload is refused with 422`,
      section: "key-reuse-with-a-different-payload",
      async run(ctx) {
        const request = order(ctx);
        const key = ctx.id("key");
        expectCreated(await post(app(ctx), key, request), "the first request");
        const other = await post(app(ctx), key, { ...request, amount: request.amount * 10 });
        const charges = await chargesFor(ctx, request);
        expect(
          other.status === 422,
          other.status === 201 && other.replayed
            ? "the same key with another amount got the first answer replayed: the client would believe it paid what it asked; keep a fingerprint of the request with the key and answer 422 when it differs"
            : `the same key with another amount answered ${other.status}, expected 422`,
        );
        expect(charges.length === 1, `the gateway has ${charges.length} charges for the order, expected 1`);
      },
    },
    {
      id: `${kind}-ttl-expiry`,
      name: `${label} a key is forgotten after its TTL (${APP_ENV.ttlMs}=${TTL_MS}): then it runs as a new request`,
      section: "retention-how-long-a-key-is-remembered",
      async run(ctx) {
        const request = order(ctx);
        const key = ctx.id("key");
        expectCreated(await post(app(ctx), key, request), "the first request");
        await sleep(TTL_MS + 250);
        const later = { ...request, amount: request.amount + 100 };
        const after = await post(app(ctx), key, later);
        expect(
          after.status === 201 && !after.replayed,
          after.status === 422 || after.replayed
            ? `the key was still remembered ${TTL_MS + 250} ms after the first request, past its TTL of ${TTL_MS} ms: give each stored answer an expiry (${APP_ENV.ttlMs}) and treat an expired key as new`
            : `after the TTL the key answered ${after.status} (${after.text.slice(0, 120)}), expected 201 for a new request`,
        );
        const charges = await chargesFor(ctx, request);
        expect(charges.some((charge) => charge.amount === later.amount), `after the TTL no charge of ${later.amount} was made`);
      },
    },
  ];
}

function survivesRestart(kind: DurableStoreKind): Check {
  const { app: appName, keepIn, section } = DURABLE_STORES[kind];
  return {
    id: `${kind}-survives-restart`,
    name: `[${LABELS[kind]} store] the stored answer survives a restart of the app`,
    section,
    timeoutMs: 60_000,
    async run(ctx) {
      const app = ctx.apps[appName]!;
      await app.start(); // started while the checks before this one ran
      const request = order(ctx);
      const key = ctx.id("key");
      const first = await post(app, key, request);
      expectCreated(first, "the first request");
      await app.restart();
      const repeat = await post(app, key, request);
      const charges = await chargesFor(ctx, request);
      // At the gateway's door: the gateway key derived from the request's key hides a second run from the ledger.
      const asked = ctx.requests.gateway.sideEffects("/v1/charges", request.reference).length;
      expect(
        asked === 1 && charges.length === 1,
        `after a restart of the app the same key asked the gateway again (${times(asked)} in all, ${plural(charges.length, "charge")} in its ledger): ` +
          `keep the records in ${keepIn}, not in the app's memory, under the request's key alone (nothing of the process in it)`,
      );
      expect(repeat.replayed && repeat.text === first.text, `after the restart the repeat answered ${repeat.status} ${repeat.text.slice(0, 100)}, not the stored answer`);
    },
  };
}

export const exercise: ExerciseDefinition = {
  number: 4,
  folder: "04-custom-idempotency",
  title: "Custom idempotency strategy",
  services: ["IdempotencyKeys"],
  apps: [
    ...(Object.keys(APPS) as StoreKind[]).map((kind): AppSpec => ({
      name: APPS[kind],
      entry: "app.ts",
      env: (_stack, app) => ({ [APP_ENV.store]: kind, [APP_ENV.ttlMs]: String(TTL_MS), [APP_ENV.pgDataDir]: app.dataDir }),
      pgliteDataDir: kind === "postgres",
    })),
    ...(Object.keys(DURABLE_STORES) as DurableStoreKind[]).map((kind): AppSpec => ({
      name: DURABLE_STORES[kind].app,
      entry: "app.ts",
      env: (_stack, app) => ({ [APP_ENV.store]: kind, [APP_ENV.pgDataDir]: app.dataDir }),
      pgliteDataDir: kind === "postgres",
      startLater: true, // used by the last checks only
    })),
  ],
  checks: [
    {
      id: "missing-key",
      name: "[in-memory store] a request without an Idempotency-Key is refused with 400",
      section: "choosing-idempotency-keys",
      async run(ctx) {
        const request = order(ctx);
        const answer = await post(ctx.apps[APPS.memory]!, undefined, request);
        expect(
          answer.status === 400,
          `a charge without an Idempotency-Key answered ${answer.status}: without a key a retry cannot be recognised; refuse it with 400 and say which header is missing`,
        );
        expect((await chargesFor(ctx, request)).length === 0, "a request without a key was charged");
      },
    },
    ...storeChecks("memory"),
    {
      id: "memory-field-order",
      name: "[in-memory store] the same payload with its fields in another order is the same request: replayed, not refused",
      section: "key-reuse-with-a-different-payload",
      async run(ctx) {
        const app = ctx.apps[APPS.memory]!;
        const request = order(ctx);
        const key = ctx.id("key");
        const first = await post(app, key, request);
        expectCreated(first, "the first request");
        const reordered = Object.fromEntries(Object.entries(request).reverse()) as ChargeApiRequest;
        const repeat = await post(app, key, reordered);
        expect(
          repeat.status !== 422,
          "the same payload with its fields in another order was refused with 422: JSON does not order an object's fields, so the fingerprint must not either; hash a canonical form (keys sorted)",
        );
        expect(repeat.status === first.status && repeat.replayed, `the same payload with its fields in another order answered ${repeat.status}${repeat.replayed ? "" : " without the replay header"}, expected the first answer replayed`);
        expectGatewayAskedOnce(ctx, request, "the same payload with its fields in another order");
      },
    },
    {
      id: "memory-lost-answer",
      name: "[in-memory store] the gateway's answer is lost: the 503 is not stored, and the retry completes the one charge",
      section: "the-side-effect-and-the-state-commit-together",
      async run(ctx) {
        const app = ctx.apps[APPS.memory]!;
        const request = order(ctx);
        const key = ctx.id("key");
        await ctx.gateway.setFaults({ dropNext: 1 });
        const first = await post(app, key, request);
        ctx.note(`first attempt: ${first.status} ${first.text}`);
        let answer = first;
        for (let attempt = 0; attempt < 3 && answer.status !== 201; attempt++) answer = await post(app, key, request);
        const charges = (await chargesFor(ctx, request)).filter((charge) => charge.status === "succeeded");
        if (answer.status !== 201) {
          fail(
            answer.status === first.status && answer.replayed
              ? `the ${first.status} of the lost answer was stored and replayed: a retryable failure (5xx) must release the key so that a retry runs again`
              : `retrying after the lost answer kept answering ${answer.status} (${answer.text.slice(0, 120)})`,
          );
        }
        expect(
          charges.length === 1,
          `charged ${times(charges.length)} for one key: the retry charged again; derive the gateway's idempotency key from the request's key (and payload), not a new random one`,
        );
        expect(answer.body?.id === charges[0]!.id, `the answer names charge ${answer.body?.id}, but the gateway's one charge is ${charges[0]!.id}: the result and the side effect disagree`);
      },
    },
    ...[
      { restart: "the app restarted", clockShiftMs: 0, cause: "the process (process.pid, a salt drawn at start)" },
      { restart: "the app restarted a day later", clockShiftMs: 24 * 60 * 60 * 1000, cause: "the clock (a date or a time)" },
    ].map(
      ({ restart, clockShiftMs, cause }): Check => ({
        id: `memory-lost-answer-${clockShiftMs === 0 ? "restarted" : "next-day"}`,
        name: `[in-memory store] the gateway charges, its answer is lost and ${restart} before the client's retry: one charge`,
        section: "choosing-idempotency-keys",
        async run(ctx) {
          const app = ctx.apps[APPS.memory]!;
          const request = order(ctx);
          const key = ctx.id("key");
          // The app is SIGKILLed once the gateway has charged, before the answer reaches it; the client's retry goes to a new process.
          let killed: Promise<void> | undefined;
          const kill = () => (killed = app.kill());
          const outcome = await runWithLostAnswer(
            ctx,
            "gateway",
            { matches: (sent) => sent.path.includes("/v1/charges") && sent.body.includes(request.reference), onLost: kill },
            async () => {
              ctx.note(`first attempt: ${(await post(app, key, request).catch((error: Error) => ({ status: 0, text: error.message }))).status}`);
            },
          );
          await killed; // its connection closes before the process is gone: start the next one only after
          // The next-day check is the last on the in-memory app: it is left on its shifted clock, which saves a start.
          await app.start({ clockShiftMs });
          expect(outcome.lost === 1, "the charge never reached the gateway, so its answer could not be lost: charge through the gateway client, as the starter does");
          let answer = await post(app, key, request);
          for (let attempt = 0; attempt < 3 && answer.status !== 201; attempt++) answer = await post(app, key, request);
          const charges = (await chargesFor(ctx, request)).filter((charge) => charge.status === "succeeded");
          expect(
            charges.length === 1,
            `charged ${times(charges.length)} for one key when ${restart} between the lost answer and the retry: the gateway key changed with ${cause}; ` +
              "derive it from the request's key and payload only, so the gateway recognises the retry",
          );
          expect(answer.status === 201, `the client's retry answered ${answer.status} (${answer.text.slice(0, 120)}), expected 201 with the one charge`);
        },
      }),
    ),
    ...storeChecks("restate"),
    survivesRestart("restate"),
    ...storeChecks("postgres"),
    survivesRestart("postgres"),
  ],
};
