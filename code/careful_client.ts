// A careful client for `create`, over plain HTTP: what a checkout should do
// when an answer does not come, or comes as an error. It speaks the HTTP
// contract only (status codes, `Retry-After`, the JSON error body), so it works
// against the Restate ingress and against the hand-rolled peer on 8088 alike.
//
//   npx tsx code/careful_client.ts [amount] [baseUrl]
//
// The rules, each where the code applies it:
//  1. one identity per logical operation (payment id and idempotency key), made
//     once, before the first attempt, and kept across every retry;
//  2. exponential back-off with full jitter between attempts, so a crowd of
//     clients does not retry in step;
//  3. `Retry-After` honoured where the server sends one;
//  4. a total retry window far shorter than the key's retention: a retry after
//     the server forgot the key would be a new request;
//  5. a decided answer is final (4xx), and a 5xx the same key would only replay
//     is not retried with that key: read the payment, then ask again under a
//     new key (the payment id still stops a second charge).
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { portsFromEnv } from "./config.js";
import type { CreatePaymentRequest, Payment } from "./types.js";

export interface RetryPolicy {
  /** The back-off ceiling of the first retry; doubled each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long one attempt may wait for its answer before it counts as lost. */
  attemptTimeoutMs: number;
  /**
   * The whole operation's budget. Restate keeps an idempotency key for a day by
   * default (the service's idempotency retention), the hand-rolled peer for its
   * HANDROLLED_KEY_RETENTION_MS: minutes of retrying stay far inside both.
   */
  windowMs: number;
}

export const CAREFUL_RETRIES: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 5_000, attemptTimeoutMs: 10_000, windowMs: 2 * 60_000 };

/** One logical payment: its identity is made once, when the order is placed, and reused by every retry. */
export interface PaymentOperation {
  paymentId: string;
  idempotencyKey: string;
  request: CreatePaymentRequest;
}

export function newPaymentOperation(request: CreatePaymentRequest): PaymentOperation {
  const paymentId = `pay-${randomUUID()}`;
  return { paymentId, idempotencyKey: `create-${paymentId}`, request };
}

/** The JSON error body of the Restate ingress (and of the hand-rolled peer, which copies it). */
export interface ErrorBody {
  code?: number;
  message?: string;
  metadata?: Record<string, string>;
  /** "invocation": the handler's own answer, stored and replayed for the same key; "ingress": the server's. */
  source?: string;
}

export type Outcome =
  | { kind: "paid"; payment: Payment; attempts: number }
  /** A decided answer (declined, bad request, conflict): retrying cannot change it. */
  | { kind: "refused"; status: number; error: ErrorBody; attempts: number }
  /** The window ran out with the outcome unknown: look the payment up later (getStatus), never pay again. */
  | { kind: "gave-up"; lastProblem: string; attempts: number };

export interface CarefulClientOptions {
  policy?: RetryPolicy;
  /** Each attempt and decision, one line each. */
  log?: (line: string) => void;
}

/** Creates the payment, retrying as the rules above say, until a final answer or the end of the window. */
export async function payCarefully(baseUrl: string, operation: PaymentOperation, options: CarefulClientOptions = {}): Promise<Outcome> {
  const policy = options.policy ?? CAREFUL_RETRIES;
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + policy.windowMs;
  const path = `/PaymentService/${encodeURIComponent(operation.paymentId)}`;
  let key = operation.idempotencyKey;
  let keyGeneration = 0;

  for (let attempt = 1; ; attempt++) {
    const usedKey = key;
    const answer = await send(`${baseUrl}${path}/create`, { method: "POST", body: operation.request, idempotencyKey: usedKey }, policy);
    let problem: string;
    if (answer.kind === "lost") {
      problem = `no answer (${answer.reason})`;
    } else if (answer.status < 300) {
      log(`attempt ${attempt} (key ${usedKey}): ${answer.status} ${(answer.body as Payment).status}`);
      return { kind: "paid", payment: answer.body as Payment, attempts: attempt };
    } else {
      const error = (answer.body ?? {}) as ErrorBody;
      problem = `${answer.status} ${error.metadata?.code ?? error.message ?? answer.text.slice(0, 200)}`;
      // "Not yet": a timeout or rate limit at the server, or a 409 that says when to come back.
      const notYet = answer.status === 408 || answer.status === 429 || (answer.status === 409 && answer.retryAfterMs !== undefined);
      if (answer.status < 500 && !notYet) {
        // 400, 402, 404, 409 without Retry-After, 422 (same key or payment id, other parameters): decided.
        log(`attempt ${attempt} (key ${usedKey}): ${problem} -- final, not retried`);
        return { kind: "refused", status: answer.status, error, attempts: attempt };
      }
      if (answer.status >= 500 && isDecidedAnswer(error)) {
        // The handler's own 5xx is stored under this key and would come back on every retry with it.
        const stored = await send(`${baseUrl}${path}/getStatus`, { method: "GET" }, policy);
        const payment = stored.kind === "answer" && stored.status === 200 ? (stored.body as Payment) : undefined;
        problem += `, stored for this key; getStatus: ${payment?.status ?? "no payment"}`;
        if (payment?.status === "succeeded") {
          log(`attempt ${attempt} (key ${usedKey}): ${problem}`);
          return { kind: "paid", payment, attempts: attempt };
        }
        if (payment?.status === "declined") {
          log(`attempt ${attempt} (key ${usedKey}): ${problem} -- final`);
          return { kind: "refused", status: answer.status, error, attempts: attempt };
        }
        key = `${operation.idempotencyKey}-again-${++keyGeneration}`;
      }
    }
    const retryAfterMs = answer.kind === "answer" ? answer.retryAfterMs : undefined;
    const wait = retryAfterMs ?? fullJitter(policy, attempt);
    if (Date.now() + wait > deadline) {
      log(`attempt ${attempt} (key ${usedKey}): ${problem} -- retry window of ${policy.windowMs} ms used up`);
      return { kind: "gave-up", lastProblem: problem, attempts: attempt };
    }
    const how = `${retryAfterMs !== undefined ? " (Retry-After)" : ""}${key !== usedKey ? ` under a new key, ${key}` : ""}`;
    log(`attempt ${attempt} (key ${usedKey}): ${problem} -- retrying in ${Math.round(wait)} ms${how}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a
 * random wait between 0 and the exponential ceiling, so retries spread out.
 */
export function fullJitter(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.random() * ceiling;
}

/**
 * A 5xx the service decided and stored, as opposed to one from the way there
 * (a proxy, the ingress, a crash): Restate marks the handler's errors
 * `source: "invocation"`; both services put a `metadata.code` on a payment's failure.
 */
export function isDecidedAnswer(error: ErrorBody): boolean {
  return error.source === "invocation" || typeof error.metadata?.code === "string";
}

type Attempt =
  | { kind: "answer"; status: number; body: unknown; text: string; retryAfterMs?: number }
  | { kind: "lost"; reason: string };

async function send(url: string, call: { method: "GET" | "POST"; body?: unknown; idempotencyKey?: string }, policy: RetryPolicy): Promise<Attempt> {
  const headers: Record<string, string> = {};
  if (call.body !== undefined) headers["content-type"] = "application/json";
  if (call.idempotencyKey !== undefined) headers["idempotency-key"] = call.idempotencyKey;
  try {
    const response = await fetch(url, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(policy.attemptTimeoutMs),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { kind: "answer", status: response.status, body, text, retryAfterMs: retryAfter(response.headers.get("retry-after")) };
  } catch (error) {
    return { kind: "lost", reason: (error as Error).name === "TimeoutError" ? `timed out after ${policy.attemptTimeoutMs} ms` : (error as Error).message };
  }
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110, 10.2.3); capped, so a server cannot park us forever. */
export function retryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1_000 : Date.parse(header) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), 60_000);
}

// `npx tsx code/careful_client.ts [amount] [baseUrl]`: one payment, each attempt printed.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { positionals } = parseArgs({ allowPositionals: true });
  const amount = Number(positionals[0] ?? 4200);
  const baseUrl = positionals[1] ?? process.env.INGRESS_URL ?? `http://localhost:${portsFromEnv().ingress}`;
  const operation = newPaymentOperation({ amount, currency: "USD", source: "tok_visa" });
  console.log(`paying ${amount} USD as ${operation.paymentId} (idempotency key ${operation.idempotencyKey})`);
  const outcome = await payCarefully(baseUrl, operation, { log: console.log });
  console.log(outcome.kind === "paid" ? `paid: charge ${outcome.payment.chargeId} after ${outcome.attempts} attempt(s)` : `${outcome.kind}: ${JSON.stringify(outcome)}`);
  if (outcome.kind !== "paid") process.exitCode = 1;
}
