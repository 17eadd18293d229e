// Exercise 1: OrderService reserves stock and charges once per order id, whatever is repeated or lost.
import type { Charge } from "../../code/types.js";
import type { Reservation } from "../../exercises/support/inventory_client.js";
import type { CreateOrderRequest, Order } from "../../exercises/support/order_contract.js";
import { type CheckContext, expect, expectAskedOnce, fail, plural, pollUntil, times } from "../lib/check.js";
import type { ExerciseDefinition } from "../lib/exercise.js";
import { type DeclaredEffect, faultMatrix } from "../lib/faults.js";
import type { Answer, InvokeOptions } from "../lib/restate.js";

const mug: CreateOrderRequest = { sku: "MUG-RED", quantity: 2, amount: 2_400, currency: "EUR", source: "tok_visa" };

/** An order, or Restate's error body `{code, message}`. */
type OrderAnswer = Order & { message?: string };

const create = (ctx: CheckContext, orderId: string, request: CreateOrderRequest, options?: InvokeOptions): Promise<Answer<OrderAnswer>> =>
  ctx.restate.invoke({ service: "OrderService", key: orderId, handler: "create" }, request, options);

async function ledger(ctx: CheckContext, orderId: string) {
  const [reservations, charges] = await Promise.all([
    ctx.inventory.listReservations({ reference: orderId }),
    ctx.gateway.listCharges({ reference: orderId }),
  ]);
  return { reservations, charges, succeeded: charges.filter((charge) => charge.status === "succeeded") };
}

function expectConfirmed(answer: Answer<OrderAnswer>, what: string): Order {
  expect(
    answer.status === 200,
    `${what} answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 120)}), expected 200 with the order`,
  );
  expect(answer.body?.status === "confirmed", `${what} answered an order with status ${JSON.stringify(answer.body?.status)}, expected "confirmed"`, {
    detail: answer.body,
  });
  return answer.body;
}

/** The one reservation and one charge an order must leave behind, with a hint naming the missing tool. */
function expectOneEach(
  book: { reservations: Reservation[]; succeeded: Charge[] },
  hints: { reservations: string; charges: string },
): void {
  if (book.succeeded.length !== 1) fail(`charged ${times(book.succeeded.length)} for one order: ${hints.charges}`, { detail: book.succeeded });
  if (book.reservations.length !== 1) {
    fail(`reserved stock ${times(book.reservations.length)} for one order: ${hints.reservations}`, { detail: book.reservations });
  }
}

const declinedCard: CreateOrderRequest = { ...mug, source: "tok_chargeDeclined" };

/** Every side effect of an order, each checked with its answer lost (the release after a decline too). */
const EFFECTS: DeclaredEffect[] = [
  {
    id: "reservation",
    what: "the order's reservation",
    door: "providers",
    path: "/v1/reservations",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "order",
    async scenario(ctx, orderId) {
      expectConfirmed(await create(ctx, orderId, mug), "create (with the reservation's answer lost)");
    },
    made: async (ctx, orderId) => (await ledger(ctx, orderId)).reservations.length,
  },
  {
    id: "charge",
    what: "the order's charge",
    door: "gateway",
    path: "/v1/charges",
    section: "at-least-once-delivery-exactly-once-processing",
    idPrefix: "order",
    async scenario(ctx, orderId) {
      const order = expectConfirmed(await create(ctx, orderId, mug), "create (with the charge's answer lost)");
      const book = await ledger(ctx, orderId);
      expect(order.chargeId === book.succeeded[0]?.id, `the order names charge ${order.chargeId}, but the gateway's charge is ${book.succeeded[0]?.id}`);
    },
    made: async (ctx, orderId) => (await ledger(ctx, orderId)).succeeded.length,
  },
  {
    id: "release",
    what: "the release of a declined order's stock (compensation)",
    door: "providers",
    path: "/release",
    // The release's body is empty and its path names the reservation, not the order: any release is this scenario's.
    matches: () => true,
    section: "remembering-failures",
    idPrefix: "order",
    async scenario(ctx, orderId) {
      const answer = await create(ctx, orderId, declinedCard);
      expect(
        answer.status === 402,
        `a declined card, with the release's answer lost, answered ${answer.status} (${answer.body?.message ?? answer.text.slice(0, 100)}), expected 402: ` +
          "a lost answer is an unknown outcome, not a failure; let Restate retry the release (same key) instead of ending the order with an error",
      );
      const book = await ledger(ctx, orderId);
      expect(book.reservations[0]?.status === "released", "the declined order still holds its reservation after the release's answer was lost: retry the release until it answers");
    },
    made: async (ctx, orderId) => (await ledger(ctx, orderId)).reservations.filter((reservation) => reservation.status === "released").length,
  },
];

export const exercise: ExerciseDefinition = {
  number: 1,
  folder: "01-order-creation",
  title: "Idempotent order creation",
  services: ["OrderService"],
  checks: [
    {
      id: "places-order",
      name: "places an order: one reservation, one charge, the order confirmed",
      section: "what-idempotency-means",
      async run(ctx) {
        const orderId = ctx.id("order");
        const order = expectConfirmed(await create(ctx, orderId, mug), "create");
        const book = await ledger(ctx, orderId);
        expect(book.reservations.length === 1, `the inventory has ${plural(book.reservations.length, "reservation")} for the order, expected 1 (sku, quantity and reference = the order id)`);
        expect(book.succeeded.length === 1, `the gateway has ${plural(book.succeeded.length, "charge")} for the order, expected 1 (with reference = the order id)`);
        expect(order.reservationId === book.reservations[0]!.id, `the order names reservation ${order.reservationId}, but the inventory made ${book.reservations[0]!.id}`);
        expect(order.chargeId === book.succeeded[0]!.id, `the order names charge ${order.chargeId}, but the gateway made ${book.succeeded[0]!.id}`);
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/reservations", orderId).length, "the reservation");
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", orderId).length, "the charge");
      },
    },
    {
      id: "duplicate-create",
      name: "a duplicate create, even after the endpoint restarted, returns the same order and reserves and charges nothing more",
      section: "restates-three-tools",
      async run(ctx) {
        const orderId = ctx.id("order");
        const first = expectConfirmed(await create(ctx, orderId, mug), "the first create");
        await ctx.endpoint.restart(); // what the order's object remembers must outlive the process
        const second = expectConfirmed(await create(ctx, orderId, mug), "the duplicate create");
        expectOneEach(await ledger(ctx, orderId), {
          charges: "answer a duplicate from the order stored in the object's state (the order id is its identity) instead of charging again",
          reservations: "answer a duplicate from the order stored in the object's state instead of reserving again",
        });
        const fromState = "answer a duplicate from the order stored in the object's state (ctx.get/ctx.set outlive a restart; a variable in the process does not)";
        expectAskedOnce(ctx.requests.gateway.sideEffects("/v1/charges", orderId).length, "the charge", { why: fromState });
        expectAskedOnce(ctx.requests.providers.sideEffects("/v1/reservations", orderId).length, "the reservation", { why: fromState });
        expect(
          second.chargeId === first.chargeId && second.reservationId === first.reservationId,
          `the duplicate answered another order (charge ${second.chargeId}, first was ${first.chargeId}): return the stored order`,
        );
      },
    },
    {
      id: "concurrent-duplicates",
      name: "ten copies of one create at the same time: one reservation, one charge, the same order for all",
      section: "concurrent-duplicates",
      async run(ctx) {
        const orderId = ctx.id("order");
        const answers = await Promise.all(Array.from({ length: 10 }, () => create(ctx, orderId, mug)));
        const orders = answers.map((answer, index) => expectConfirmed(answer, `copy ${index + 1} of 10`));
        expectOneEach(await ledger(ctx, orderId), {
          charges: "copies that arrive together must not all pass the 'does the order exist?' check; keep the check and the charge in one exclusive handler of the order's object",
          reservations: "copies that arrive together must not all pass the 'does the order exist?' check; keep the check and the reservation in one exclusive handler",
        });
        const chargeIds = new Set(orders.map((order) => order.chargeId));
        expect(chargeIds.size === 1, `the copies were answered with ${chargeIds.size} different charges: every copy must get the one stored order`);
      },
    },
    {
      id: "lost-gateway-answer",
      name: "the gateway charges but its answer is lost: the retry charges nothing more",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const orderId = ctx.id("order");
        await ctx.gateway.setFaults({ dropNext: 1 });
        const order = expectConfirmed(await create(ctx, orderId, mug), "create (with the gateway's first answer dropped)");
        const book = await ledger(ctx, orderId);
        expectOneEach(book, {
          charges:
            "run the charge inside ctx.run and pass the gateway an idempotency key derived from the order id (a random key changes on every retry)",
          reservations: "run the reservation inside ctx.run, so a retry after the lost charge answer replays it instead of reserving again",
        });
        expect(order.chargeId === book.succeeded[0]!.id, `the order names charge ${order.chargeId}, but the gateway's one charge is ${book.succeeded[0]!.id}`);
        const reservationKey = book.reservations[0]!.idempotencyKey;
        const asked = reservationKey === null ? 1 : await ctx.inventory.requestsWithKey(reservationKey);
        expect(
          asked === 1,
          `the inventory was asked ${times(asked)} for the one reservation: the retry after the lost charge answer ran the reservation again (its key made that harmless); run it inside ctx.run, so a retry replays it from the journal`,
        );
      },
    },
    {
      id: "lost-inventory-answer",
      name: "the inventory reserves but its answer is lost: the retry reserves nothing more",
      section: "at-least-once-delivery-exactly-once-processing",
      async run(ctx) {
        const orderId = ctx.id("order");
        await ctx.inventory.setFaults({ dropNext: 1 });
        expectConfirmed(await create(ctx, orderId, mug), "create (with the inventory's first answer dropped)");
        expectOneEach(await ledger(ctx, orderId), {
          charges: "run the charge inside ctx.run with an idempotency key derived from the order id",
          reservations:
            "run the reservation inside ctx.run and pass the inventory an idempotency key derived from the order id, so the repeat is recognised",
        });
      },
    },
    {
      id: "crash-mid-order",
      name: "the endpoint crashes while the charge is in flight: after the restart, still one reservation and one charge",
      section: "the-side-effect-and-the-state-commit-together",
      timeoutMs: 60_000,
      async run(ctx) {
        const orderId = ctx.id("order");
        await ctx.gateway.setFaults({ latencyMs: 1_000 });
        const invocationId = await ctx.restate.send({ service: "OrderService", key: orderId, handler: "create" }, mug);
        const reserved = await pollUntil(() => ctx.inventory.listReservations({ reference: orderId }), (list) => list.length > 0, 15_000);
        expect(reserved.length > 0, "create never reserved stock (waited 15 s), so the crash could not be staged");
        ctx.note(`reservation ${reserved[0]!.id} seen; killing the endpoint while the charge is in flight`);
        await ctx.endpoint.kill();
        await ctx.gateway.setFaults({ latencyMs: 0 });
        await ctx.endpoint.start();
        const answer = await ctx.restate.attach<OrderAnswer>(invocationId, `OrderService/${orderId}/create`, { stuckAfterRetries: Infinity, timeoutMs: 40_000 });
        expectConfirmed(answer, "create (interrupted by the crash, then retried by Restate)");
        expectOneEach(await ledger(ctx, orderId), {
          charges:
            "after a crash Restate runs the handler again: journal the charge with ctx.run and give the gateway a key derived from the order id, so the repeat is recognised",
          reservations: "after a crash Restate runs the handler again: journal the reservation with ctx.run so the replay does not reserve again",
        });
      },
    },
    {
      id: "different-items",
      name: "the same order id with different items is refused (422) and nothing more is reserved or charged",
      section: "key-reuse-with-a-different-payload",
      async run(ctx) {
        const orderId = ctx.id("order");
        expectConfirmed(await create(ctx, orderId, mug), "the first create");
        const other = await create(ctx, orderId, { ...mug, sku: "MUG-BLUE", amount: 3_600 });
        const book = await ledger(ctx, orderId);
        expect(
          other.status === 422,
          other.status === 200
            ? `the same order id with another sku was accepted${book.succeeded.length > 1 ? " and charged again" : ""}: compare with the stored order and refuse a different one with a 422 TerminalError`
            : `the same order id with another sku answered ${other.status}, expected 422 (a TerminalError with errorCode 422 and a message naming the difference)`,
        );
        expect(typeof other.body?.message === "string" && other.body.message.length > 0, "the 422 has no message: say what differs from the stored order");
        expectOneEach(book, { charges: "refuse before charging", reservations: "refuse before reserving" });
      },
    },
    {
      id: "declined-card",
      name: "a declined card fails the order with 402, releases the stock, and a duplicate asks the gateway nothing more",
      section: "remembering-failures",
      async run(ctx) {
        const orderId = ctx.id("order");
        const first = await create(ctx, orderId, declinedCard);
        expect(first.status === 402, `a declined card answered ${first.status} (${first.body?.message ?? first.text.slice(0, 100)}), expected 402: a decline is final, a TerminalError with errorCode 402`);
        const duplicate = await create(ctx, orderId, declinedCard);
        expect(duplicate.status === 402, `the duplicate of a declined order answered ${duplicate.status}, expected the same 402: store the declined order and answer from it`);
        const book = await ledger(ctx, orderId);
        expect(book.charges.length === 1, `the gateway was asked ${times(book.charges.length)} for a declined order: remember the decline in the order's state so a duplicate does not ask again`);
        expect(book.reservations.length === 1, `stock was reserved ${times(book.reservations.length)} for a declined order: answer the duplicate from state`);
        expect(
          book.reservations[0]!.status === "released",
          "the declined order still holds its reservation: release it (inside ctx.run, with its own key) when the card is declined",
        );
        expectAskedOnce(ctx.requests.providers.sideEffects(`/v1/reservations/${encodeURIComponent(book.reservations[0]!.id)}/release`).length, "the release", ctx.requests.gateway.sideEffects("/v1/charges", orderId).length > 1 ? { why: "the duplicate request ran the handler again (ctx.run covers the retries of one invocation, not a second request); store the declined order in the object's state and answer the duplicate from it" } : {});
      },
    },
    ...faultMatrix(EFFECTS),
  ],
  effects: EFFECTS,
};
