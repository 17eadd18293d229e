// Calling the learner's handlers through the Restate ingress, the way a client
// would, and watching the invocation through the admin API meanwhile: a handler
// that keeps throwing is reported in seconds ("Restate keeps retrying ...")
// instead of after a long timeout.
//
// Calls carry no idempotency-key header unless a check asks for one: Restate
// would then deduplicate on its own and hide what the learner's code does.

import { z } from "zod";
import { adminQuery } from "../../code/admin_query.js";

export interface Target {
  service: string;
  key?: string;
  handler: string;
}

export interface Answer<T = unknown> {
  status: number;
  body: T;
  text: string;
  invocationId: string;
}

export interface InvokeOptions {
  /** Report the handler as stuck once Restate has retried it this often (default 2; Infinity: never, but for a journal mismatch). */
  stuckAfterRetries?: number;
  /** Give up waiting for the answer after this long (default 30 s). */
  timeoutMs?: number;
  idempotencyKey?: string;
}

/** Restate kept retrying the handler (or paused it): it throws an error that is not a TerminalError. */
export class StuckInvocation extends Error {
  constructor(
    readonly target: string,
    readonly lastFailure: string,
    readonly retries: number,
  ) {
    super(`Restate keeps retrying ${target} (${retries} retries); it fails with: ${firstLine(lastFailure)}`);
    this.name = "StuckInvocation";
  }

  /** The error message without Restate's `[500 Internal]` prefix and the stack. */
  get reason(): string {
    return firstLine(this.lastFailure).replace(/^\[[^\]]*\]\s*/, "").replace(/\.$/, "");
  }
}

/** No answer within the time a check allows. */
export class NoAnswer extends Error {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`${target} did not answer within ${(timeoutMs / 1000).toFixed(0)} s`);
    this.name = "NoAnswer";
  }
}

/** The handler (or one it waits for) is running but has taken no step for a long time: it waits for something that never comes. */
export class Unresponsive extends Error {
  constructor(
    readonly target: string,
    readonly invocationId: string,
    readonly silentMs: number,
  ) {
    super(`${target} never answered: it has been running for ${(silentMs / 1000).toFixed(0)} s without taking a step`);
    this.name = "Unresponsive";
  }
}

/**
 * How long a handler may run without a step (a journal entry, a retry) before it counts as hung. The checks' slowest
 * step is a provider call slowed down by 1 s; a hung handler is found in this time instead of its check's timeout.
 */
const SILENT_RUNNING_MS = 12_000;

/** The columns of sys_invocation the checker watches (ROW_COLUMNS); Restate answers null where one has no value yet. */
const InvocationRow = z.object({
  id: z.string(),
  status: z.string(),
  retry_count: z.number().nullish(),
  last_failure: z.string().nullish(),
  target: z.string().nullish(),
  journal_size: z.number().nullish(),
  modified_at: z.string().nullish(),
});
export type InvocationRow = z.output<typeof InvocationRow>;
const IdRow = z.object({ id: z.string() });

/**
 * A replay that took another path than the journal fails the same way on every retry, so a caller that tolerates
 * retries (a check that crashes the endpoint) still gets StuckInvocation instead of waiting out its timeout.
 */
const MISMATCH_RETRIES = 2;
const isJournalMismatch = (row: InvocationRow) => row.last_failure?.startsWith("[570") ?? false;
/** Restate could not reach the endpoint: the checker is restarting it (a fault of the matrix), or it exited, which the run reports itself. */
const isEndpointUnreachable = (row: InvocationRow) => /Connection refused|h2 pool connection error/.test(row.last_failure ?? "");

export class RestateCalls {
  constructor(
    readonly ingressUrl: string,
    readonly adminUrl: string,
  ) {}

  /** Sends the request (as `/send`), then attaches to the invocation for its answer, watching for endless retries. */
  async invoke<T = unknown>(target: Target, body: unknown, options: InvokeOptions = {}): Promise<Answer<T>> {
    const invocationId = await this.send(target, body, options.idempotencyKey);
    return this.attach<T>(invocationId, describeTarget(target), options);
  }

  /** Enqueues the request and returns its invocation id without waiting for the answer. */
  async send(target: Target, body: unknown, idempotencyKey?: string): Promise<string> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
    const response = await fetch(`${this.ingressUrl}${targetPath(target)}/send`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status === 404) {
      throw new Error(`Restate does not know ${describeTarget(target)}: is it defined and served by your endpoint? (${text.slice(0, 200)})`);
    }
    if (!response.ok) throw new Error(`sending to ${describeTarget(target)} answered ${response.status}: ${text.slice(0, 300)}`);
    return (JSON.parse(text) as { invocationId: string }).invocationId;
  }

  /** Waits for the answer of an invocation; throws StuckInvocation or NoAnswer instead of waiting forever. */
  async attach<T = unknown>(invocationId: string, description: string, options: InvokeOptions = {}): Promise<Answer<T>> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const stuckAfter = options.stuckAfterRetries ?? 2;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new NoAnswer(description, timeoutMs)), timeoutMs);
    let stopWatching: () => void = () => {};
    const answered = new Promise<void>((resolve) => (stopWatching = resolve));
    let watching = true;
    const pause = (ms: number) => Promise.race([sleep(ms), answered]);
    const silence = new SilenceWatch();
    const watchdog = (async () => {
      await pause(300);
      while (watching) {
        const row = await this.stuckInCallTree(invocationId, stuckAfter, silence).catch(() => undefined);
        if (row instanceof Unresponsive) {
          if (watching) abort.abort(row.invocationId === invocationId ? new Unresponsive(description, row.invocationId, row.silentMs) : row);
          return;
        }
        if (watching && row) {
          const target = row.id === invocationId ? description : (row.target ?? row.id);
          abort.abort(new StuckInvocation(target, row.last_failure ?? "(no error recorded)", row.retry_count ?? 0));
          await this.kill(row.id).catch(() => {});
          if (row.id !== invocationId) await this.kill(invocationId).catch(() => {});
          return;
        }
        await pause(250);
      }
    })();
    try {
      const response = await fetch(`${this.ingressUrl}/restate/attach/${invocationId}`, { signal: abort.signal });
      const text = await response.text();
      return { status: response.status, body: parseJson(text) as T, text, invocationId };
    } catch (error) {
      if (abort.signal.aborted && abort.signal.reason instanceof Error) throw abort.signal.reason;
      throw error;
    } finally {
      watching = false;
      stopWatching();
      clearTimeout(timer);
      await watchdog;
    }
  }

  /** A call through the ingress exactly as given (for `restate/workflow/...` paths and the like). */
  async request<T = unknown>(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; text: string }> {
    const response = await fetch(`${this.ingressUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: parseJson(text) as T, text };
  }

  /** The rows `query` selects, each checked against `row`. */
  sql<Row extends z.ZodType>(query: string, row: Row): Promise<z.output<Row>[]> {
    return adminQuery(this.adminUrl, query, row, { timeoutMs: 10_000 });
  }

  async invocation(invocationId: string): Promise<InvocationRow | undefined> {
    if (!/^inv_[A-Za-z0-9]+$/.test(invocationId)) throw new Error(`not an invocation id: ${invocationId}`);
    const rows = await this.sql(`SELECT ${ROW_COLUMNS} FROM sys_invocation WHERE id = '${invocationId}'`, InvocationRow);
    return rows[0];
  }

  /**
   * The invocation, or one it waits for (a call to another handler, a call of that one, ...), that Restate keeps
   * retrying or has paused. The caller of a stuck call only shows "suspended", and would wait out the timeout.
   */
  async stuckInCallTree(invocationId: string, stuckAfterRetries: number, silence?: SilenceWatch): Promise<InvocationRow | Unresponsive | undefined> {
    const isStuck = (row: InvocationRow) =>
      row.status === "paused" ||
      (row.status === "backing-off" &&
        !isEndpointUnreachable(row) &&
        (row.retry_count ?? 0) >= Math.min(stuckAfterRetries, isJournalMismatch(row) ? MISMATCH_RETRIES : Infinity));
    const root = await this.invocation(invocationId);
    if (!root || root.status === "completed") return undefined;
    if (isStuck(root)) return root;
    const rootSilent = silence?.silent(root);
    if (rootSilent) return rootSilent;
    let level = [invocationId];
    for (let depth = 0; depth < 4 && level.length > 0; depth++) {
      const children = await this.sql(
        `SELECT ${ROW_COLUMNS} FROM sys_invocation WHERE invoked_by_id IN (${level.map((id) => `'${id}'`).join(", ")}) AND status <> 'completed'`,
        InvocationRow,
      );
      const stuck = children.find(isStuck);
      if (stuck) return stuck;
      const silent = silence && children.map((child) => silence.silent(child)).find(Boolean);
      if (silent) return silent;
      level = children.map((child) => child.id).filter((id) => /^inv_[A-Za-z0-9]+$/.test(id));
    }
    return undefined;
  }

  async kill(invocationId: string): Promise<void> {
    await fetch(`${this.adminUrl}/invocations/${invocationId}/kill`, { method: "PATCH", signal: AbortSignal.timeout(10_000) });
  }

  /**
   * Every invocation waiting out a retry back-off is retried now (the admin API's resume): once the checker has started
   * an endpoint it had killed, the retry need not wait for the learner's retry policy, up to a minute by default.
   */
  async retryBackingOffNow(): Promise<number> {
    const rows = await this.sql(`SELECT id FROM sys_invocation WHERE status = 'backing-off'`, IdRow);
    await Promise.all(
      rows.map((row) => fetch(`${this.adminUrl}/invocations/${row.id}/resume`, { method: "PATCH", signal: AbortSignal.timeout(10_000) }).catch(() => undefined)),
    );
    return rows.length;
  }

  /** Kills every invocation of these services that has not completed (a run's leftovers, still retrying). */
  async killUnfinished(services: string[]): Promise<number> {
    const names = services.filter((name) => /^[A-Za-z0-9_]+$/.test(name)).map((name) => `'${name}'`);
    if (names.length === 0) return 0;
    const rows = await this.sql(
      `SELECT id FROM sys_invocation WHERE target_service_name IN (${names.join(", ")}) AND status <> 'completed'`,
      IdRow,
    );
    await Promise.all(rows.map((row) => this.kill(row.id).catch(() => {})));
    return rows.length;
  }
}

const ROW_COLUMNS = "id, status, retry_count, last_failure, target, journal_size, modified_at";

/** Since when each running invocation has shown no change (no journal entry, no retry, no status change). */
class SilenceWatch {
  private readonly seen = new Map<string, { signature: string; since: number }>();

  /** An Unresponsive (its target: the row's target, or its id for the root) once `row` has been running unchanged for SILENT_RUNNING_MS. */
  silent(row: InvocationRow): Unresponsive | undefined {
    const signature = [row.status, row.journal_size, row.retry_count, row.modified_at].join("|");
    const now = Date.now();
    const last = this.seen.get(row.id);
    if (!last || last.signature !== signature || row.status !== "running") {
      this.seen.set(row.id, { signature, since: now });
      return undefined;
    }
    return now - last.since >= SILENT_RUNNING_MS ? new Unresponsive(row.target ?? row.id, row.id, now - last.since) : undefined;
  }
}

function describeTarget(target: Target): string {
  return [target.service, target.key, target.handler].filter((part) => part !== undefined).join("/");
}

function targetPath(target: Target): string {
  return `/${[target.service, target.key, target.handler].filter((part) => part !== undefined).map((part) => encodeURIComponent(part!)).join("/")}`;
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
