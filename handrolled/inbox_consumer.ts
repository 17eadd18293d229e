// Chapter 3's LeaderBoard as a plain message consumer on PostgreSQL, without
// Restate: an inbox table records each message's identity, in the same
// transaction as the count it changes. A redelivery finds its row in the inbox
// (ON CONFLICT DO NOTHING) and changes nothing; a crash after the commit and
// before the acknowledgement is a redelivery. Which identity goes in the inbox
// decides what counts as "the same": the message id catches redeliveries, only
// the business id (the shot) also catches a republish under a new message id.
import type { Message } from "../code/at_least_once_producer.js";
import type { Hit } from "../code/hit_counter.js";
import type { Database } from "./database.js";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS inbox (
    consumer    text NOT NULL,
    identity    text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, identity)
  )`,
  `CREATE TABLE IF NOT EXISTS player_hits (
    consumer text NOT NULL,
    player   text NOT NULL,
    hits     bigint NOT NULL,
    PRIMARY KEY (consumer, player)
  )`,
];

export type InboxIdentity = "message id" | "business id";

export class InboxConsumer {
  private constructor(
    private readonly db: Database,
    /** Several consumers can share the tables: each has its own inbox and counts. */
    private readonly name: string,
    private readonly identity: InboxIdentity,
  ) {}

  static async create(db: Database, options: { name: string; identity: InboxIdentity }): Promise<InboxConsumer> {
    for (const statement of SCHEMA) await db.query(statement);
    return new InboxConsumer(db, options.name, options.identity);
  }

  /** Returns when the message is counted (or recognised): then the producer may consider it acknowledged. */
  async consume(message: Message<Hit>): Promise<void> {
    const identity = this.identity === "message id" ? message.messageId : message.body.shotId;
    await this.db.transaction(async (tx) => {
      const first = await tx.query("INSERT INTO inbox (consumer, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING identity", [this.name, identity]);
      if (first.rows.length === 0) return;
      await tx.query(
        "INSERT INTO player_hits (consumer, player, hits) VALUES ($1, $2, 1) ON CONFLICT (consumer, player) DO UPDATE SET hits = player_hits.hits + 1",
        [this.name, message.body.player],
      );
    });
  }

  async hits(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ player: string; hits: string }>("SELECT player, hits FROM player_hits WHERE consumer = $1", [this.name]);
    return Object.fromEntries(rows.map((row) => [row.player, Number(row.hits)]));
  }
}
