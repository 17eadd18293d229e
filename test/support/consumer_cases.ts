// The consumer crash cases of chapter 9, written once against "a database": the
// inbox consumer and the outbox with its relay, each crashed right after its
// commits (before the acknowledgement) and redelivered by the at-least-once
// producer. test/own_database runs them on PGlite in `npm test`,
// test/crash_matrix on a PostgreSQL server; each file prints its table of
// messages, rows expected and rows seen.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Message, deliverAtLeastOnce, republish } from "../../code/at_least_once_producer.js";
import type { Hit } from "../../code/hit_counter.js";
import { type Database, withCommitHook } from "../../handrolled/database.js";
import { type InboxIdentity, InboxConsumer } from "../../handrolled/inbox_consumer.js";
import { drainOutbox, migrateOutbox, recordShot } from "../../handrolled/outbox.js";

const PLAYERS = ["ann", "bob", "cy"];

/** `count` hits spread over the players, each its own shot and message; what each player must end with. */
export function hits(run: string, count: number): { messages: Message<Hit>[]; expected: Record<string, number> } {
  const messages = Array.from({ length: count }, (_, i) => ({ messageId: `${run}-m${i}`, body: { shotId: `${run}-shot${i}`, player: `${run}-${PLAYERS[i % PLAYERS.length]}` } }));
  const expected: Record<string, number> = {};
  for (const { body } of messages) expected[body.player] = (expected[body.player] ?? 0) + 1;
  return { messages, expected };
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

export interface Row {
  consumer: string;
  case: string;
  messages: number;
  deliveries: number;
  expected: number;
  seen: number;
}
/** One table per test file: call it at the top of the file. */
export function consumerTable(): Row[] {
  const rows: Row[] = [];
  afterAll(() => {
    console.log(
    ["| consumer | case | messages (deliveries) | rows expected | rows seen |", "|---|---|---:|---:|---:|", ...rows.map((r) => `| ${r.consumer} | ${r.case} | ${r.messages} (${r.deliveries}) | ${r.expected} | ${r.seen} |`)].join("\n"),
    );
  });
  return rows;
}

/** The inbox consumer's cases, on whichever database `open` gives. */
export function inboxCases(label: string, open: () => Promise<Database>, rows: Row[]): void {
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

