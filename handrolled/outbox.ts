// The hand-rolled answer to "a database write and a message must both happen":
// a transactional outbox. The business row and the message to send are written
// in one transaction; a relay (a worker) drains the outbox afterwards, sending
// each message until its consumer has it and only then marking it sent. A crash
// after the commit leaves the message in the outbox for the relay; a crash after
// a send and before its mark sends it again, under the same message id, which
// the consumer's inbox recognises. (Restate's answer is a journaled send from the
// handler that changes the state: code/shot_log.ts.)
import type { Hit } from "../code/hit_counter.js";
import type { Message } from "../code/at_least_once_producer.js";
import type { Database, Queryable } from "./database.js";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS shots (
    shot_id text PRIMARY KEY,
    player  text NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    message_id text NOT NULL UNIQUE,
    body       text NOT NULL,
    sent_at    timestamptz
  )`,
];

export async function migrateOutbox(db: Database): Promise<void> {
  for (const statement of SCHEMA) await db.query(statement);
}

/**
 * Records a hit on the range and, in the same transaction, the message that tells the leaderboard. A shot recorded
 * before is recognised by its id: nothing is written, nothing is sent again.
 */
export async function recordShot(db: Database, hit: Hit): Promise<void> {
  await db.transaction(async (tx: Queryable) => {
    const recorded = await tx.query("INSERT INTO shots (shot_id, player) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING shot_id", [hit.shotId, hit.player]);
    if (recorded.rows.length === 0) return;
    await tx.query("INSERT INTO outbox (message_id, body) VALUES ($1, $2)", [`hit-${hit.shotId}`, JSON.stringify(hit)]);
  });
}

/**
 * One pass of the relay: sends every unsent message, oldest first, and marks each sent once `send` has returned.
 * Run it on a timer (and at start, for what a crash left behind). Returns how many it sent.
 */
export async function drainOutbox(db: Database, send: (message: Message<Hit>) => Promise<void>, options: { batch?: number } = {}): Promise<number> {
  const { rows } = await db.query<{ id: string; message_id: string; body: string }>(
    "SELECT id, message_id, body FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
    [options.batch ?? 100],
  );
  for (const row of rows) {
    await send({ messageId: row.message_id, body: JSON.parse(row.body) as Hit });
    await db.query("UPDATE outbox SET sent_at = now() WHERE id = $1", [row.id]);
  }
  return rows.length;
}
