// Migrations are code, run at every start: each runs once, in order, in its own
// transaction, and is recorded in schema_migrations.
import type { Database } from "./database.js";

const MIGRATIONS: string[] = [
  `CREATE TABLE payments (
     payment_id      TEXT        PRIMARY KEY,
     status          TEXT        NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined', 'failed')),
     amount          INT         NOT NULL CHECK (amount > 0),
     currency        TEXT        NOT NULL,
     source          TEXT        NOT NULL,
     charge_id       TEXT,
     refunded_amount INT         NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
     failure         JSONB,
     created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
     updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
   );
   CREATE TABLE refunds (
     payment_id        TEXT        NOT NULL REFERENCES payments (payment_id),
     refund_id         TEXT        NOT NULL,
     amount            INT         NOT NULL CHECK (amount > 0),
     -- NULL while the provider call is in flight: the amount is reserved, so
     -- concurrent refunds cannot together exceed the charge.
     gateway_refund_id TEXT,
     created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
     PRIMARY KEY (payment_id, refund_id)
   );
   -- Brandur Leach's idempotency_keys, scoped like Restate's keys: per target (path).
   CREATE TABLE idempotency_keys (
     id              BIGSERIAL   PRIMARY KEY,
     idempotency_key TEXT        NOT NULL CHECK (char_length(idempotency_key) <= 255),
     request_path    TEXT        NOT NULL,
     request_params  JSONB       NOT NULL,
     fingerprint     TEXT        NOT NULL,
     created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
     last_run_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
     locked_at       TIMESTAMPTZ DEFAULT now(),
     recovery_point  TEXT        NOT NULL,
     response_code   INT,
     response_body   TEXT,  -- the JSON exactly as first sent: a replay is byte-identical
     UNIQUE (request_path, idempotency_key)
   );
   CREATE INDEX idempotency_keys_unfinished ON idempotency_keys (locked_at) WHERE recovery_point <> 'finished';
   CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);`,
  // A charge or refund whose answer was lost is `unconfirmed`, not failed: the payment may be charged.
  `ALTER TABLE payments DROP CONSTRAINT payments_status_check;
   ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'unconfirmed', 'succeeded', 'declined', 'failed'));
   -- true once a refund's provider call went unanswered: its amount stays reserved until it is looked up.
   ALTER TABLE refunds ADD COLUMN unconfirmed BOOLEAN NOT NULL DEFAULT false;`,
];

export async function migrate(db: Database): Promise<void> {
  await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  for (const [index, sql] of MIGRATIONS.entries()) {
    const version = index + 1;
    await db.transaction(async (tx) => {
      // Two processes starting at once: the primary key lets one apply it, the other waits and skips.
      const claimed = await tx.query("INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT DO NOTHING RETURNING version", [version]);
      if (claimed.rows.length === 0) return;
      for (const statement of sql.split(/;\s*$/m).filter((s) => s.trim() !== "")) await tx.query(statement);
    });
  }
}
