// Exercise 1's outsider cases: wrong solutions written from the exercise's
// README and issue 27's classes of mistake, without reading the checks.
import type { OutsiderCatalogue } from "../mutants/catalogue.js";

const FILE = "order_service.ts";
const KEY = "const providerKey = (orderId: string, step: \"reserve\" | \"charge\" | \"release\") => `order-${orderId}-${step}`;";

/** The shared `create` that only looks, and the exclusive `place` that does the work without looking again. */
const splitCreate = () => [
  {
    file: FILE,
    find: `    create: restate.handlers.object.exclusive(
      { input: restate.serde.schema(CreateOrderRequest) },
      async (ctx: ObjectContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {
        const orderId = ctx.key;
        const stored = await ctx.get("order");
        if (stored) {
          refuseDifferentItems(stored, request);
          return answer(stored);
        }
`,
    replace: `    // Looking is shared, so a duplicate of a finished order never queues behind another order's work.
    create: restate.handlers.object.shared(
      { input: restate.serde.schema(CreateOrderRequest) },
      async (ctx: ObjectSharedContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {
        const stored = await ctx.get("order");
        if (stored) {
          refuseDifferentItems(stored, request);
          return answer(stored);
        }
        return ctx.objectClient<typeof orderService>({ name: "OrderService" }, ctx.key).place(request);
      },
    ),

    // create has checked that the order is new.
    place: restate.handlers.object.exclusive(
      { input: restate.serde.schema(CreateOrderRequest) },
      async (ctx: ObjectContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {
        const orderId = ctx.key;
`,
  },
];

export const outsiders: OutsiderCatalogue = {
  folder: "01-order-creation",
  cases: [
    {
      id: "provider-key-salted-with-pid",
      class: "key stable only within one process",
      scenario: "the endpoint restarts while the charge is in flight: the retry's key has the new pid, and the card is charged twice",
      fast: true,
      patches: [
        {
          file: FILE,
          find: KEY,
          // "so two instances of the service never share a key"
          replace: 'const providerKey = (orderId: string, step: "reserve" | "charge" | "release") => `order-${orderId}-${step}-${process.pid}`;',
        },
      ],
    },
    {
      id: "provider-key-with-date",
      class: "key stable only today",
      scenario: "a charge whose answer was lost at 23:59 is retried at 00:00 under a new key: a second charge and a second reservation",
      patches: [
        {
          file: FILE,
          find: KEY,
          replace:
            'const providerKey = (orderId: string, step: "reserve" | "charge" | "release") => `order-${orderId}-${step}-${new Date().toISOString().slice(0, 10)}`;',
        },
      ],
    },
    {
      id: "shared-create-invocation-keys",
      class: "race in shared handlers",
      scenario: "ten copies sent at once all pass the shared check, each place() charges under its own invocation id: up to ten charges",
      patches: [
        ...splitCreate(),
        {
          file: FILE,
          find: "providerKey(orderId, \"reserve\"))",
          // The invocation id is the same on every retry of this invocation.
          replace: "`${providerKey(orderId, \"reserve\")}-${ctx.request().id}`)",
        },
        { file: FILE, find: "providerKey(orderId, \"charge\"),", replace: "`${providerKey(orderId, \"charge\")}-${ctx.request().id}`," },
      ],
    },
    {
      id: "shared-create-provider-absorbs",
      class: "concurrency judged by the ledger",
      scenario: "ten copies at once pass the shared check and each place() reserves and charges again: one charge in the ledger only because the provider's key replays it, ten requests sent",
      patches: splitCreate(),
    },
    {
      id: "lost-charge-answer-taken-for-decline",
      class: "error swallowed",
      scenario: "the gateway charged and its answer was lost: the order is answered 402 and its stock released while the customer paid",
      patches: [
        {
          file: FILE,
          find: "            if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retry with the same key\n",
          replace: "            // Any failure of the charge means the order cannot go through.\n",
        },
        {
          file: FILE,
          find: "const failedCharge = error.chargeId ?? null;\n            return { declined: true as const, chargeId: failedCharge, reason: error.message };",
          replace:
            "const failedCharge = error instanceof ProviderRejection ? (error.chargeId ?? null) : null;\n            return { declined: true as const, chargeId: failedCharge, reason: (error as Error).message };",
        },
      ],
    },
    {
      id: "charge-key-from-card-and-amount",
      class: "colliding ids",
      scenario: "two orders paid with the same card for the same amount share one charge key: the second order is refused by the gateway (or handed the first's charge)",
      patches: [
        {
          file: FILE,
          find: "              providerKey(orderId, \"charge\"),",
          // "the key says what is charged"
          replace: "              `charge-${request.source}-${request.amount}-${request.currency}`,",
        },
      ],
    },
    {
      id: "duplicates-left-to-provider-keys",
      class: "rule left to the provider",
      scenario: "no look at state: every duplicate reserves and charges again and the providers' keys answer with the first; a declined duplicate asks the gateway again, and once the providers forget their keys an order is charged twice",
      patches: [
        {
          file: FILE,
          find: `        const stored = await ctx.get("order");
        if (stored) {
          refuseDifferentItems(stored, request);
          return answer(stored);
        }
`,
          replace: "        // The provider keys below are derived from the order id: a duplicate gets the same reservation and charge back.\n",
        },
      ],
    },
  ],
};
