// The Restate consumers of chapter 9 under the same producer: HitCounter, an
// object keyed by the player with the message id as the idempotency key, and
// ShotLog's journaled send (Restate's answer to the outbox), with the endpoint
// killed -9 halfway; and the LeaderBoard's republish.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Message, deliverAtLeastOnce, republish } from "../../code/at_least_once_producer.js";
import type { Hit } from "../../code/hit_counter.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { waitFor } from "../../orchestration/processes.js";
import { consumerTable, hits, total } from "../support/consumer_cases.js";
import { type ThrowawayStack, startThrowawayStack } from "../../orchestration/throwaway.js";

const rows = consumerTable();

describe("a Restate object keyed by the player, the message id as the invocation's idempotency key", () => {
  let stack: ThrowawayStack;
  beforeAll(async () => {
    stack = await startThrowawayStack({ endpoints: [{ entry: path.join(REPO_ROOT, "code", "hit_counter_endpoint.ts") }] });
  }, 60_000);
  afterAll(async () => {
    await stack?.dispose();
  });

  /** Acknowledged when the handler has answered: a kill in the middle lands between processed and unprocessed messages. */
  const send = async (message: Message<Hit>) => {
    const response = await fetch(`${stack.ingressUrl}/HitCounter/${message.body.player}/record`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": message.messageId },
      body: JSON.stringify(message.body),
    });
    if (!response.ok) throw new Error(`send answered ${response.status}: ${await response.text()}`);
  };
  const counts = async (players: string[]) => {
    const answers = await Promise.all(players.map(async (player) => (await (await fetch(`${stack.ingressUrl}/HitCounter/${player}/count`, { method: "POST" })).json()) as { hits: number; deliveriesCounted: number }));
    return Object.fromEntries(players.map((player, i) => [player, answers[i]!]));
  };
  const hitsOf = async (players: string[]) => Object.fromEntries(Object.entries(await counts(players)).map(([player, c]) => [player, c.hits]));

  it("counts each message once: redelivered, reordered, the endpoint killed -9 halfway and started again", async () => {
    const { messages, expected } = hits(`restate-${Date.now()}`, 30);
    let sent = 0;
    const report = await deliverAtLeastOnce(
      messages,
      async (message) => {
        if (++sent === 20) {
          await stack.endpoints[0]!.kill();
          setTimeout(() => void stack.startEndpointAgain(0), 300);
        }
        await send(message);
      },
      { seed: 5 },
    );
    const players = Object.keys(expected);
    await waitFor("every hit counted", async () => total(await hitsOf(players)) >= total(expected), { timeoutMs: 30_000, intervalMs: 200 });
    const seen = await hitsOf(players);
    rows.push({ consumer: "Restate object", case: "redelivered + reordered + kill -9 of the endpoint", messages: messages.length, deliveries: report.deliveries, expected: total(expected), seen: total(seen) });
    expect(seen).toEqual(expected);
  });

  it("Restate's answer to the outbox: the shot in ShotLog's state and the send to HitCounter in one journal, the endpoint killed -9 halfway", async () => {
    const { messages, expected } = hits(`shotlog-${Date.now()}`, 30);
    let sent = 0;
    const report = await deliverAtLeastOnce(
      messages,
      async (message) => {
        if (++sent === 15) {
          await stack.endpoints[0]!.kill();
          setTimeout(() => void stack.startEndpointAgain(0), 300);
        }
        const response = await fetch(`${stack.ingressUrl}/ShotLog/${message.body.shotId}/record`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(message.body),
        });
        if (!response.ok) throw new Error(`send answered ${response.status}`);
      },
      { seed: 3 },
    );
    const players = Object.keys(expected);
    await waitFor("every hit counted", async () => total(await hitsOf(players)) >= total(expected), { timeoutMs: 30_000, intervalMs: 200 });
    const seen = await counts(players);
    rows.push({ consumer: "Restate ShotLog -> HitCounter", case: "kill -9 of the endpoint halfway", messages: messages.length, deliveries: report.deliveries, expected: total(expected), seen: total(await hitsOf(players)) });
    expect(await hitsOf(players)).toEqual(expected);
    // Each shot reached its HitCounter once: the journaled send was not repeated.
    expect(Object.values(seen).reduce((n, c) => n + c.deliveriesCounted, 0)).toBe(total(expected));
  });

  it("a republish under a new message id: past Restate's idempotency key, stopped by the shot id in the object's state", async () => {
    const { messages, expected } = hits(`restate-republish-${Date.now()}`, 12);
    const republished = [...messages, ...messages.slice(0, 4).map((message, i) => republish(message, `${message.messageId}-again-${i}`))];
    const report = await deliverAtLeastOnce(republished, send, { seed: 11 });
    const players = Object.keys(expected);
    await waitFor("every invocation run", async () => Object.values(await counts(players)).reduce((n, c) => n + c.deliveriesCounted, 0) >= republished.length, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const seen = await counts(players);
    const byMessageId = Object.values(seen).reduce((n, c) => n + c.deliveriesCounted, 0);
    rows.push({ consumer: "Restate, message id only", case: "4 of 12 republished", messages: republished.length, deliveries: report.deliveries, expected: total(expected), seen: byMessageId });
    rows.push({ consumer: "Restate, shot id in state", case: "4 of 12 republished", messages: republished.length, deliveries: report.deliveries, expected: total(expected), seen: total(await hitsOf(players)) });
    expect(byMessageId).toBe(total(expected) + 4);
    expect(await hitsOf(players)).toEqual(expected);
  });
});
