// Exercise 4's wrong solutions and correct alternatives: the hand-built idempotency store.
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const MIDDLEWARE = "middleware.ts";
const TYPES = "types.ts";
const RESTATE_STORE = "restate_store.ts";
const POSTGRES_STORE = "postgres_store.ts";
const RETRYABLE = "const retryable = (status: number) => status >= 500 || status === 408 || status === 429;";
const APP = "app.ts";
const APP_FIRST_IMPORT = 'import express, { type Request, type Response } from "express";';
const GATEWAY_KEY = "`charge-api-${key}-${fingerprint.slice(0, 16)}`";
const UNAVAILABLE_ANSWER =
  "      res.status(503).json({ error: { code: \"provider_unavailable\", message: `The payment provider did not answer; retry with the same Idempotency-Key. (${(error as Error).message})` } });";
const IN_PROGRESS_ANSWER = `      case "in-progress":
        res.set("Retry-After", "1");`;

/** Another layout of the PostgreSQL store: the record decide() works on, as it is, in one json column. */
const JSON_RECORD_STORE = `// Exercise 4, another layout: one json record per key, and the time it ends for the reaper.
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import type { IdempotencyStore } from "./store.js";
import { type Claim, type ClaimOptions, type KeyRecord, type StoredResponse, decide } from "./types.js";

// json, not jsonb: jsonb reorders the stored answer's keys, and a replay must be the bytes first sent.
const MIGRATION = \`
CREATE TABLE IF NOT EXISTS idempotency_records (
  key     text PRIMARY KEY,
  record  json NOT NULL,
  ends_at timestamptz NOT NULL
);
\`;

const endOf = (record: KeyRecord) => new Date(record.state === "done" ? record.expiresAt : record.lockedUntil);

export class PostgresStore implements IdempotencyStore {
  private readonly reaper: NodeJS.Timeout;

  private constructor(private readonly db: PGlite) {
    this.reaper = setInterval(() => {
      this.db.query("DELETE FROM idempotency_records WHERE ends_at <= now()").catch((error: unknown) => console.error(\`the reaper failed: \${String(error)}\`));
    }, 60_000).unref();
  }

  static async open(dataDir: string): Promise<PostgresStore> {
    const db = await PGlite.create(dataDir);
    await db.exec(MIGRATION);
    return new PostgresStore(db);
  }

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<Claim> {
    return await this.db.transaction(async (tx) => {
      const { rows: clock } = await tx.query<{ now: Date }>("SELECT now() AS now");
      const now = clock[0]!.now.getTime();
      const token = randomUUID();
      const fresh: KeyRecord = { state: "in-progress", fingerprint, token, lockedUntil: now + options.lockMs };
      const inserted = await tx.query(
        "INSERT INTO idempotency_records (key, record, ends_at) VALUES ($1, $2::text::json, $3) ON CONFLICT (key) DO NOTHING",
        [key, JSON.stringify(fresh), endOf(fresh)],
      );
      if (inserted.affectedRows === 1) return { outcome: "claimed", token };
      const { rows } = await tx.query<{ record: KeyRecord }>("SELECT record FROM idempotency_records WHERE key = $1 FOR UPDATE", [key]);
      const { claim, record } = decide(rows[0]?.record, fingerprint, now, () => token, options);
      if (record) {
        await tx.query("UPDATE idempotency_records SET record = $2::text::json, ends_at = $3 WHERE key = $1", [key, JSON.stringify(record), endOf(record)]);
      }
      return claim;
    });
  }

  async complete(key: string, token: string, response: StoredResponse, ttlMs: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ record: KeyRecord; now: Date }>("SELECT record, now() AS now FROM idempotency_records WHERE key = $1 FOR UPDATE", [key]);
      const current = rows[0];
      if (current?.record.state !== "in-progress" || current.record.token !== token) return;
      const done: KeyRecord = { state: "done", fingerprint: current.record.fingerprint, response, expiresAt: current.now.getTime() + ttlMs };
      await tx.query("UPDATE idempotency_records SET record = $2::text::json, ends_at = $3 WHERE key = $1", [key, JSON.stringify(done), endOf(done)]);
    });
  }

  async release(key: string, token: string): Promise<void> {
    await this.db.query("DELETE FROM idempotency_records WHERE key = $1 AND record->>'state' = 'in-progress' AND record->>'token' = $2", [key, token]);
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    await this.db.close();
  }
}
`;

export const catalogue: ExerciseCatalogue = {
  folder: "04-custom-idempotency",
  mutants: [
    {
      id: "restate-check-then-set",
      scenario: "the Restate store looks at the key with a shared handler, then takes it with a second call: a double-click's two requests both find it free and both charge",
      patches: [
        addImport(RESTATE_STORE, 'import * as restate from "@restatedev/restate-sdk";', 'import { randomUUID } from "node:crypto";'),
        { file: RESTATE_STORE, find: 'import type { ObjectContext } from "@restatedev/restate-sdk";', replace: 'import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";' },
        {
          file: RESTATE_STORE,
          find: "    release: restate.handlers.object.exclusive(",
          replace: `    peek: restate.handlers.object.shared(async (ctx: ObjectSharedContext<KeyState>): Promise<KeyRecord | null> => (await ctx.get("record")) ?? null),

    put: restate.handlers.object.exclusive(async (ctx: ObjectContext<KeyState>, record: KeyRecord): Promise<void> => {
      ctx.set("record", record);
    }),

    release: restate.handlers.object.exclusive(`,
        },
        {
          file: RESTATE_STORE,
          find: "    return await this.keyObject(key).claim({ fingerprint, ...options });",
          replace: `    const { claim, record } = decide((await this.keyObject(key).peek()) ?? undefined, fingerprint, Date.now(), randomUUID, options);
    if (record) await this.keyObject(key).put(record);
    return claim;`,
        },
      ],
      hint: /^both requests with the same key ran .*claim the key \(in progress\) before running the handler, in one atomic step/,
    },
    {
      id: "postgres-on-conflict-do-update",
      scenario: "the PostgreSQL claim is an upsert (ON CONFLICT DO UPDATE): every request takes the key, so a retry of a paid order runs and pays again",
      patches: [
        {
          file: POSTGRES_STORE,
          find: "ON CONFLICT (key) DO NOTHING",
          replace:
            "ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, state = 'in-progress', token = EXCLUDED.token, locked_until = EXCLUDED.locked_until, response_status = NULL, response_body = NULL, expires_at = NULL",
        },
      ],
      hint: /asked the gateway again|^both requests with the same key ran/,
    },
    {
      id: "failure-not-stored",
      fast: true,
      scenario: "only successes are remembered: a declined card is asked again on every retry, and a provider that charges per attempt bills each",
      patches: [{ file: MIDDLEWARE, find: RETRYABLE, replace: "const retryable = (status: number) => status >= 400;" }],
      hint: /a non-retryable failure \(4xx\) is an answer too; store it and replay it/,
    },
    {
      id: "retryable-failure-stored",
      scenario: "every answer is stored, the 503 of a lost gateway answer too: the client's retry gets the 503 again for the key's whole retention",
      patches: [{ file: MIDDLEWARE, find: RETRYABLE, replace: "const retryable = (_status: number) => false;" }],
      hint: /a retryable failure \(5xx\) must release the key/,
    },
    {
      id: "concurrent-duplicate-waits",
      scenario: "a second request with a key in progress waits for the first and replays its answer: under a retry storm every duplicate holds a connection and a worker",
      patches: [
        {
          file: MIDDLEWARE,
          find: IN_PROGRESS_ANSWER,
          replace: `      case "in-progress": {
        let next: Awaited<ReturnType<IdempotencyStore["claim"]>> = claim;
        while (next.outcome === "in-progress") {
          await new Promise((resolve) => setTimeout(resolve, 50));
          next = await store.claim(key, fingerprint, claimOptions);
        }
        if (next.outcome === "replay") {
          res.set(REPLAYED_HEADER, "true");
          res.status(next.response.status).json(next.response.body);
          return;
        }
      }
        res.set("Retry-After", "1");`,
        },
      ],
      hint: /waited for the first to finish and replayed its answer.*answer 409 with Retry-After at once/,
    },
    {
      id: "fingerprint-field-order",
      scenario: "the fingerprint hashes JSON.stringify of the body as it came: the same payload sent by another client library, fields in another order, is refused with 422",
      patches: [{ file: MIDDLEWARE, find: "canonicalJson(req.body ?? null)", replace: "JSON.stringify(req.body ?? null)" }],
      hint: /fields in another order was refused with 422.*canonical form/,
    },
    {
      id: "other-payload-accepted",
      scenario: "the fingerprint is stored but never compared: the same key reused for another amount gets the first answer, and the client believes it paid the new amount",
      patches: [{ file: TYPES, find: '  if (live.fingerprint !== fingerprint) return { claim: { outcome: "mismatch" } };\n', replace: "" }],
      hint: /keep a fingerprint of the request with the key and answer 422 when it differs/,
    },
    {
      id: "postgres-deletes-on-success",
      scenario: "the PostgreSQL store deletes a key's row once its request succeeded, to keep the table small: the client's retry after a lost answer runs the charge again",
      patches: [
        {
          file: POSTGRES_STORE,
          find: `    await this.db.query(
      \`UPDATE idempotency_keys
       SET state = 'done', token = NULL, locked_until = NULL, response_status = $3, response_body = $4::text::json,
           expires_at = now() + $5::float8 * interval '1 millisecond'
       WHERE key = $1 AND state = 'in-progress' AND token = $2\`,
      [key, token, response.status, JSON.stringify(response.body ?? null), ttlMs],
    );`,
          replace: "    await this.release(key, token);",
        },
      ],
      hint: /asked the gateway again .*a record deleted once the request succeeded/,
    },
    {
      id: "retention-ignored",
      scenario: "a completed key never expires: the table (or the object's state) grows forever, and a key legitimately reused after its retention is refused",
      patches: [
        {
          file: TYPES,
          find: 'record && (record.state === "done" ? record.expiresAt > now : record.lockedUntil > now)',
          replace: 'record && (record.state === "done" || record.lockedUntil > now)',
        },
      ],
      hint: /past its TTL of \d+ ms: give each stored answer an expiry/,
    },
    {
      id: "gateway-key-salted-at-load",
      scenario: "the gateway key carries an instance id drawn when the app starts: the gateway charged, its answer was lost, the app was redeployed, and the client's retry charges again",
      patches: [
        addImport(APP, APP_FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'),
        { file: APP, find: "const env = (name: string) => process.env[name] || undefined;", replace: "const env = (name: string) => process.env[name] || undefined;\n/** This instance of the app, so two instances' gateway keys never meet. */\nconst instanceId = randomUUID().slice(0, 8);" },
        { file: APP, find: GATEWAY_KEY, replace: "`charge-api-${instanceId}-${key}-${fingerprint.slice(0, 16)}`" },
      ],
      hint: /when the app restarted between the lost answer and the retry: the gateway key changed with the process/,
    },
    {
      id: "gateway-key-with-date-string",
      scenario: "the gateway key carries the date: a 503 (charged, answer lost) just before midnight and the client's retry just after it are two charges",
      patches: [{ file: APP, find: GATEWAY_KEY, replace: "`charge-api-${new Date().toDateString()}-${key}-${fingerprint.slice(0, 16)}`" }],
      hint: /when the app restarted a day later between the lost answer and the retry: the gateway key changed with the clock/,
    },
    {
      id: "restate-store-keyed-per-process",
      scenario: "the Restate store names each key's object after the app's process too (to keep two instances apart): after a restart every key is unknown, and a retry runs the charge again",
      patches: [
        {
          file: RESTATE_STORE,
          find: '    return this.ingress.objectClient<typeof idempotencyKeys>({ name: "IdempotencyKeys" }, key);',
          replace: '    return this.ingress.objectClient<typeof idempotencyKeys>({ name: "IdempotencyKeys" }, `${process.pid}/${key}`);',
        },
      ],
      hint: /^after a restart of the app the same key asked the gateway again/,
    },
    {
      id: "unavailable-answered-as-pending",
      scenario: "the gateway did not answer, and the app answers 202 'pending' (a success) instead of a retryable 503: the answer is stored, every retry replays 'pending', and the charge is never completed",
      patches: [
        {
          file: APP,
          find: UNAVAILABLE_ANSWER,
          replace: '      res.status(202).json({ status: "pending", message: "The payment is being processed." });',
        },
      ],
      hint: /of the lost answer was stored and replayed: a retryable failure \(5xx\) must release the key/,
    },
  ],
  alternatives: [
    {
      id: "sorted-keys-fingerprint",
      description: "the fingerprint hashes JSON.stringify with its keys sorted (a replacer array) instead of the recursive canonical JSON: the same for a flat body like this one",
      patches: [
        {
          file: MIDDLEWARE,
          find: "canonicalJson(req.body ?? null)",
          replace: "JSON.stringify(req.body ?? null, Object.keys(req.body ?? {}).sort())",
        },
      ],
    },
    {
      id: "postgres-one-json-record",
      description: "the PostgreSQL store keeps each key's whole record as one json column next to its end time, claimed with INSERT ... ON CONFLICT DO NOTHING and SELECT ... FOR UPDATE",
      patches: [{ file: POSTGRES_STORE, create: JSON_RECORD_STORE }],
    },
    {
      id: "fingerprint-helper-in-folder",
      description: "the fingerprint comes from a helper in another folder: sha512 over the method, the path and the body as sorted [key, value] pairs",
      patches: [
        {
          file: "http/fingerprint.ts",
          create: `// What makes two requests the same request: method, path and body, whatever order the body's fields came in.
import { createHash } from "node:crypto";

const sortedPairs = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(sortedPairs)
    : value !== null && typeof value === "object"
      ? Object.entries(value)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => [k, sortedPairs(v)])
      : value;

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha512").update(JSON.stringify([method, path, sortedPairs(body ?? null)])).digest("base64url");
}
`,
        },
        addImport(MIDDLEWARE, 'import { createHash } from "node:crypto";', 'import { requestFingerprint } from "./http/fingerprint.js";'),
        { file: MIDDLEWARE, find: "    const fingerprint = fingerprintOf(req);", replace: "    const fingerprint = requestFingerprint(req.method, `${req.baseUrl}${req.path}`, req.body);" },
      ],
    },
    {
      id: "errors-in-other-words",
      description: "other codes and wording for the 400, 409 and 422 answers, and a longer Retry-After: the statuses are the contract, the words are the app's",
      patches: [
        { file: MIDDLEWARE, find: 'error("idempotency_key_missing", `Send an Idempotency-Key header', replace: 'error("missing_header", `This endpoint needs an Idempotency-Key header' },
        { file: MIDDLEWARE, find: 'res.set("Retry-After", "1");', replace: 'res.set("Retry-After", "3");' },
        { file: MIDDLEWARE, find: 'error("idempotency_key_in_use", `A request with Idempotency-Key \'${key}\' is still being processed; retry in a moment.`)', replace: 'error("request_in_flight", `Hold on: the first request for ${key} has not finished.`)' },
        { file: MIDDLEWARE, find: 'error("idempotency_key_reused", `Idempotency-Key \'${key}\' was used with a different request; use a new key for a new request.`)', replace: 'error("payload_mismatch", `${key} already belongs to another charge.`)' },
      ],
    },
    {
      id: "gateway-key-hashed",
      description: "the gateway key is a sha256 of the request's key and its whole fingerprint: the same for every retry of the request, on any instance, any day",
      patches: [
        addImport(APP, APP_FIRST_IMPORT, 'import { createHash } from "node:crypto";'),
        { file: APP, find: GATEWAY_KEY, replace: 'createHash("sha256").update(`${key}\\n${fingerprint}`).digest("hex")' },
      ],
      fast: true,
    },
  ],
};
