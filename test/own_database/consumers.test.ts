// At-least-once delivery (redelivered, reordered, a crash after the commit and
// before the acknowledgement), counted once: by a Restate object keyed by the
// player, and by a plain consumer with an inbox table, on PGlite and on a
// throw-away Debian PostgreSQL server. And chapter 1's LeaderBoard point: a
// republish under a new message id gets past a message id, not a business id.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Message, deliverAtLeastOnce, republish } from "../../code/at_least_once_producer.js";
import type { Hit } from "../../code/hit_counter.js";
import { type Database, openDatabase, withCommitHook } from "../../handrolled/database.js";
import { type InboxIdentity, InboxConsumer } from "../../handrolled/inbox_consumer.js";
import { drainOutbox, migrateOutbox, recordShot } from "../../handrolled/outbox.js";
import { type PostgresServer, postgresBinDir, startPostgresServer } from "../../orchestration/postgres_server.js";
import { REPO_ROOT } from "../../orchestration/paths.js";
import { waitFor } from "../../orchestration/processes.js";
import { type TestStack, startTestStack } from "../support/stack.js";

const PLAYERS = ["ann", "bob", "cy"];
const binDir = postgresBinDir();
if (!binDir && process.env.CI === "true") throw new Error("CI: no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb); .ci/run installs Debian's postgresql");

/** `count` hits spread over the players, each its own shot and message; what each player must end with. */
function hits(run: string, count: number): { messages: Message<Hit>[]; expected: Record<string, number> } {
  const messages = Array.from({ length: count }, (_, i) => ({ messageId: `${run}-m${i}`, body: { shotId: `${run}-shot${i}`, player: `${run}-${PLAYERS[i % PLAYERS.length]}` } }));
  const expected: Record<string, number> = {};
  for (const { body } of messages) expected[body.player] = (expected[body.player] ?? 0) + 1;
  return { messages, expected };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

interface Row {
  consumer: string;
  case: string;
  messages: number;
  deliveries: number;
  expected: number;
  seen: number;
}
const rows: Row[] = [];
afterAll(() => {
  console.log(
    ["| consumer | case | messages (deliveries) | rows expected | rows seen |", "|---|---|---:|---:|---:|", ...rows.map((r) => `| ${r.consumer} | ${r.case} | ${r.messages} (${r.deliveries}) | ${r.expected} | ${r.seen} |`)].join("\n"),
  );
});

/** The inbox consumer's cases, on whichever database `open` gives. */
function inboxCases(label: string, open: () => Promise<Database>) {
  let db: Database;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });
  let runs = 0;
  const consumer = (identity: InboxIdentity, on: Database = db) => InboxConsumer.create(on, { name: `${label}-${identity}-${runs++}`, identity });

  it("counts each message once: redelivered, reordered, and crashed right after every fifth commit, before its acknowledgement", async () => {
    const { messages, expected } = hits(`inbox-${runs}`, 30);
    let commits = 0;
    let crashes = 0;
    // The commit is done; the acknowledgement is lost with the process, so the producer delivers the message again.
    const crashing = withCommitHook(db, () => {
      if (++commits % 5 === 0) {
        crashes++;
        throw new Error("crashed after the commit, before the acknowledgement");
      }
    });
    const inbox = await consumer("message id", crashing);
    const report = await deliverAtLeastOnce(messages, (message) => inbox.consume(message), { seed: 7 });
    const seen = await inbox.hits();
    rows.push({ consumer: `inbox table (${label})`, case: "redelivered + reordered + crash after every 5th commit", messages: messages.length, deliveries: report.deliveries, expected: total(expected), seen: total(seen) });
    expect(report.givenUp).toEqual([]);
    expect(report.unacknowledged).toBe(crashes);
    expect(report.deliveries).toBeGreaterThan(messages.length + crashes); // the producer's duplicates came too
    expect(crashes).toBeGreaterThan(0);
    expect(seen).toEqual(expected);
  });

  it("a republish under a new message id: counted again by a message-id inbox, once by a business-id inbox", async () => {
    const { messages, expected } = hits(`republish-${runs}`, 12);
    const republished = [...messages, ...messages.slice(0, 4).map((message, i) => republish(message, `${message.messageId}-again-${i}`))];
    const byMessage = await consumer("message id");
    const byBusiness = await consumer("business id");
    const report = await deliverAtLeastOnce(republished, (message) => byMessage.consume(message), { seed: 11 });
    await deliverAtLeastOnce(republished, (message) => byBusiness.consume(message), { seed: 11 });
    const [seenByMessage, seenByBusiness] = [total(await byMessage.hits()), total(await byBusiness.hits())];
    rows.push({ consumer: `inbox by message id (${label})`, case: "4 of 12 republished", messages: republished.length, deliveries: report.deliveries, expected: total(expected), seen: seenByMessage });
    rows.push({ consumer: `inbox by business id (${label})`, case: "4 of 12 republished", messages: republished.length, deliveries: report.deliveries, expected: total(expected), seen: seenByBusiness });
    expect(seenByMessage).toBe(total(expected) + 4);
    expect(await byBusiness.hits()).toEqual(expected);
  });

  it("the outbox: shots and their messages in one transaction, crashed after commits; a relay crashed between a send and its mark; counted once", async () => {
    const { messages, expected } = hits(`outbox-${runs}`, 30);
    await migrateOutbox(db);
    let commits = 0;
    const crashing = withCommitHook(db, () => {
      if (++commits % 5 === 0) throw new Error("crashed after the commit, before the acknowledgement");
    });
    const report = await deliverAtLeastOnce(messages, (message) => recordShot(crashing, message.body), { seed: 3 });
    const inbox = await consumer("message id");
    let sends = 0;
    let relayCrashes = 0;
    // The relay crashes after every fourth send, before marking it sent; started again, it sends that one again.
    const send = async (message: Message<Hit>) => {
      await inbox.consume(message);
      if (++sends % 4 === 0) throw new Error("the relay crashed after the send, before its mark");
    };
    for (let pass = 0; pass < 100; pass++) {
      const sent = await drainOutbox(db, send).catch(() => {
        relayCrashes++;
        return -1;
      });
      if (sent === 0) break;
    }
    const seen = await inbox.hits();
    const mine = Object.fromEntries(Object.entries(seen).filter(([player]) => player in expected));
    rows.push({ consumer: `outbox + relay + inbox (${label})`, case: "crash after commits, relay crash between send and mark", messages: messages.length, deliveries: report.deliveries, expected: total(expected), seen: total(mine) });
    expect(report.unacknowledged).toBeGreaterThan(0);
    expect(relayCrashes).toBeGreaterThan(0);
    expect(mine).toEqual(expected);
  });
}

describe("a plain consumer with an inbox table, on PGlite", () => {
  inboxCases("PGlite", () => openDatabase({}));
});

describe.skipIf(!binDir)("a plain consumer with an inbox table, on a PostgreSQL server", () => {
  let server: PostgresServer;
  afterAll(async () => {
    await server?.dispose();
  });
  inboxCases("PostgreSQL", async () => {
    server = await startPostgresServer(binDir!);
    return openDatabase({ url: server.url });
  });
});

describe("a Restate object keyed by the player, the message id as the invocation's idempotency key", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ endpoints: [{ entry: path.join(REPO_ROOT, "code", "hit_counter_endpoint.ts") }] });
  }, 60_000);
  afterAll(async () => {
    await stack?.dispose();
  });

  const send = async (message: Message<Hit>) => {
    const response = await fetch(`${stack.ingressUrl}/HitCounter/${message.body.player}/record/send`, {
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
        const response = await fetch(`${stack.ingressUrl}/ShotLog/${message.body.shotId}/record/send`, {
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
