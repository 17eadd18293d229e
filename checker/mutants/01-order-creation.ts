// Exercise 1's wrong solutions and correct alternatives.
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const FILE = "order_service.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const CHARGE_KEY = 'providerKey(orderId, "charge"),';

export const catalogue: ExerciseCatalogue = {
  folder: "01-order-creation",
  mutants: [
    {
      id: "release-unknown-outcome-final",
      scenario:
        "every error of the release is made final (a TerminalError, so that Restate stops retrying): a release whose answer was lost ends the declined order with a 502 instead of its 402",
      patches: [
        {
          file: FILE,
          find: 'await ctx.run("release stock", () => inventory.release(reservation.id, providerKey(orderId, "release")));',
          replace:
            'await ctx.run("release stock", () => inventory.release(reservation.id, providerKey(orderId, "release")).catch((error: unknown) => { throw new TerminalError(`The stock could not be released: ${String(error)}`, { errorCode: 502 }); }));',
        },
      ],
      hint: /^a declined card, with the release's answer lost, answered 502/,
    },
    {
      id: "charge-outside-run",
      scenario: "the charge is called straight from the handler (still with its key): every retry or replay asks the gateway again, and a charge without a key would double",
      patches: [
        { file: FILE, find: 'const charge = await ctx.run("charge", async () => {', replace: "const charge = await (async () => {" },
        { file: FILE, find: "        });\n\n        const base =", replace: "        })();\n\n        const base =" },
      ],
      hint: /^the charge was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
      fast: true,
    },
    {
      id: "reservation-outside-run",
      scenario: "the reservation is made outside ctx.run: every replay reserves again (the key only hides it from the stock count)",
      patches: [
        { file: FILE, find: 'const reservation = await ctx.run("reserve stock", () =>', replace: "const reservation = await (() =>" },
        { file: FILE, find: ".catch(finalIfRejected),\n        );\n\n        // A decline", replace: ".catch(finalIfRejected)\n        )();\n\n        // A decline" },
      ],
      hint: /^the reservation was sent \d+ times where once was expected: a replay/,
    },
    {
      id: "release-outside-run-last-step",
      scenario: "a declined order's stock is released straight from the handler, its last step before the 402: every replay releases again",
      patches: [
        {
          file: FILE,
          find: 'await ctx.run("release stock", () => inventory.release(reservation.id, providerKey(orderId, "release")));',
          replace: 'await inventory.release(reservation.id, providerKey(orderId, "release"));',
        },
      ],
      hint: /^the release was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
    },
    {
      id: "created-at-from-clock",
      scenario: "the order's createdAt is new Date(), its last computation before it is stored: every replay stores another order than the first attempt did",
      patches: [{ file: FILE, find: "createdAt: await ctx.date.toJSON()", replace: "createdAt: new Date().toJSON()" }],
      hint: /took another path when Restate replayed it.*use ctx\.rand \/ ctx\.date/,
    },
    {
      id: "charge-key-random",
      scenario: "the charge's idempotency key is a fresh UUID per attempt: the retry after a lost answer charges the card a second time",
      patches: [addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'), { file: FILE, find: CHARGE_KEY, replace: "randomUUID()," }],
      hint: /^charged 2 times for one order: .*idempotency key derived from the order id/,
    },
    {
      id: "charge-key-from-clock",
      scenario: "the charge's key includes Date.now(): each attempt has another key, so the gateway cannot recognise the retry",
      patches: [{ file: FILE, find: CHARGE_KEY, replace: "`order-${orderId}-charge-${Date.now()}`," }],
      hint: /^charged 2 times for one order: .*idempotency key derived from the order id/,
    },
    {
      id: "orders-in-module-map",
      scenario: "orders are remembered in a module-level Map: after a deploy or a crash the duplicate is charged again",
      patches: [
        { file: FILE, find: "type OrderState = { order: Order };", replace: "type OrderState = { order: Order };\nconst orders = new Map<string, Order>();" },
        { file: FILE, find: 'const stored = await ctx.get("order");', replace: "const stored = orders.get(orderId);" },
        { file: FILE, find: 'ctx.set("order", declined);', replace: "orders.set(orderId, declined);" },
        { file: FILE, find: 'ctx.set("order", order);', replace: "orders.set(orderId, order);" },
      ],
      // The forced replays show it on the first request already: a replay finds the order in the Map and answers early.
      hint: /remembered in the endpoint's memory|was sent 2 times where once was expected: answer a duplicate from the order stored in the object's state/,
    },
    {
      id: "decline-thrown-as-retryable",
      scenario: "a declined card is rethrown as an ordinary error: Restate retries the charge (about an hour, then pauses) instead of answering 402",
      patches: [{ file: FILE, find: "if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retry with the same key", replace: "throw error;" }],
      hint: /Restate keeps retrying OrderService|TerminalError/,
    },
    {
      id: "different-items-accepted",
      scenario: "a reused order id with other items is answered with the old order: the customer believes the new order was placed",
      patches: [{ file: FILE, find: "refuseDifferentItems(stored, request);", replace: "" }],
      hint: /the same order id with another sku was accepted/,
    },
    {
      id: "stock-kept-on-decline",
      scenario: "a declined order keeps its reservation: the stock is never released",
      patches: [{ file: FILE, find: 'await ctx.run("release stock", () => inventory.release(reservation.id, providerKey(orderId, "release")));', replace: "" }],
      hint: /still holds its reservation/,
    },
    {
      id: "shared-create-then-save",
      scenario:
        "create is a shared handler that checks for the order and saves it through an exclusive one: copies arriving together all pass the check and all ask the providers again (their keys hide it in the ledger)",
      patches: [
        { file: FILE, find: "    create: restate.handlers.object.exclusive(", replace: "    create: restate.handlers.object.shared(" },
        {
          file: FILE,
          find: "      async (ctx: ObjectContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {",
          replace: "      async (ctx: ObjectSharedContext<OrderState>, request: CreateOrderRequest): Promise<Order> => {",
        },
        { file: FILE, find: 'ctx.set("order", declined);', replace: 'await ctx.objectClient<any>({ name: "OrderService" }, orderId).save(declined);' },
        { file: FILE, find: '        ctx.set("order", order);\n        return order;', replace: '        await ctx.objectClient<any>({ name: "OrderService" }, orderId).save(order);\n        return order;' },
        {
          file: FILE,
          find: "    get: restate.handlers.object.shared(",
          replace: "    save: restate.handlers.object.exclusive(async (ctx: ObjectContext<OrderState>, order: Order): Promise<void> => {\n      ctx.set(\"order\", order);\n    }),\n\n    get: restate.handlers.object.shared(",
        },
      ],
      hint: /for \d+ copies of one (request arriving together|create)|sent \d+ times where once was expected/,
    },
    {
      id: "charge-key-per-process",
      scenario: "the charge key carries a salt drawn when the module loads: stable across retries in one process, a second charge after a restart",
      patches: [
        { file: FILE, find: "const inventory = new InventoryClient(providerUrls().inventory);", replace: "const inventory = new InventoryClient(providerUrls().inventory);\nconst salt = Math.random().toString(36).slice(2, 8);" },
        { file: FILE, find: CHARGE_KEY, replace: "`${providerKey(orderId, \"charge\")}-${salt}`," },
      ],
      hint: /^the order's charge was made 2 times when your endpoint was restarted/,
    },
    {
      id: "reserve-key-dated",
      scenario: "the reservation key carries today's date: a retry after midnight reserves the stock again",
      patches: [
        {
          file: FILE,
          find: 'providerKey(orderId, "reserve"))',
          replace: '`${providerKey(orderId, "reserve")}-${new Date().toDateString()}`)',
        },
      ],
      hint: /^the order's reservation was made 2 times when the retry ran on a date a day apart/,
    },
  ],
  alternatives: [
    {
      id: "provider-keys-in-helper-file",
      description: "the provider keys built in a helper file of their own, spelled `order/<id>/<step>`",
      patches: [
        { file: "provider_keys.ts", create: "/** One key per order and step; '/' cannot occur in an order id. */\nexport const providerKey = (orderId: string, step: string) => `order/${orderId}/${step}`;\n" },
        addImport(FILE, FIRST_IMPORT, 'import { providerKey } from "./provider_keys.js";'),
        { file: FILE, find: 'const providerKey = (orderId: string, step: "reserve" | "charge" | "release") => `order-${orderId}-${step}`;', replace: "" },
      ],
    },
    {
      id: "keys-from-ctx-rand",
      description: "provider keys drawn with ctx.rand.uuidv4() before each step: seeded by the invocation, so every retry and replay draws the same keys",
      patches: [
        { file: FILE, find: "        const reservation = await ctx.run(", replace: "        const keys = { reserve: ctx.rand.uuidv4(), charge: ctx.rand.uuidv4(), release: ctx.rand.uuidv4() };\n        const reservation = await ctx.run(" },
        { file: FILE, find: 'providerKey(orderId, "reserve")', replace: "keys.reserve" },
        { file: FILE, find: CHARGE_KEY, replace: "keys.charge," },
        { file: FILE, find: 'providerKey(orderId, "release")', replace: "keys.release" },
      ],
      fast: true,
    },
    {
      id: "order-under-another-state-key",
      description: "the order kept under another state key, with the request next to it",
      patches: [
        { file: FILE, find: "type OrderState = { order: Order };", replace: "type OrderState = { placed: Order; request: CreateOrderRequest };" },
        { file: FILE, find: 'ctx.get("order")', replace: 'ctx.get("placed")', all: true },
        { file: FILE, find: 'ctx.set("order", declined);', replace: 'ctx.set("placed", declined);\n          ctx.set("request", request);' },
        { file: FILE, find: 'ctx.set("order", order);', replace: 'ctx.set("placed", order);\n        ctx.set("request", request);' },
      ],
    },
    {
      id: "other-key-scheme",
      description: "provider keys spelled step-first (`charge/<order id>`): any scheme works that is stable per order and step",
      patches: [{ file: FILE, find: "`order-${orderId}-${step}`", replace: "`${step}/${orderId}`" }],
    },
    {
      id: "refusals-worded-in-a-helper-folder",
      description: "every refusal's words come from a helper in a folder of its own (messages/), worded otherwise: the checks judge the status codes, not the words",
      patches: [
        {
          file: "messages/refusals.ts",
          create:
            "// What a refused order tells the caller, in one place.\n" +
            "export const declinedMessage = (orderId: string, reason: string | null) =>\n" +
            "  `We could not take the payment for ${orderId} (${reason ?? \"no reason given\"}); nothing is held for it any more.`;\n" +
            "export const otherItemsMessage = (orderId: string, differences: string[]) =>\n" +
            "  `${orderId} is already an order for something else (${differences.join(\"; \")}): pick another id.`;\n" +
            "export const unavailableMessage = (reason: string) => `Not available: ${reason}`;\n",
        },
        addImport(FILE, FIRST_IMPORT, 'import { declinedMessage, otherItemsMessage, unavailableMessage } from "./messages/refusals.js";'),
        {
          file: FILE,
          find: "throw new TerminalError(`Order '${order.orderId}' was declined: ${order.failure} The stock was released.`, { errorCode: 402 });",
          replace: "throw new TerminalError(declinedMessage(order.orderId, order.failure), { errorCode: 402 });",
        },
        {
          file: FILE,
          find: "    `Order '${stored.orderId}' already exists with different items: ${differences.join(\", \")}. Use a new order id for a different order.`,",
          replace: "    otherItemsMessage(stored.orderId, differences),",
        },
        { file: FILE, find: "throw new TerminalError(error.message, { errorCode: 409 });", replace: "throw new TerminalError(unavailableMessage(error.message), { errorCode: 409 });" },
      ],
    },
  ],
};
