// The client side of every provider in the course (the payment gateway, and the
// exercises' inventory, mailer and top-ups): one POST per state-changing call,
// with an `Idempotency-Key`, and every answer sorted here, in one place, into
// one outcome: done, rejected on purpose (do not retry), or unavailable (the
// outcome is unknown: the same call may succeed later, or already has).
import * as http from "node:http";
import { ProviderErrorBody } from "./types.js";

/** A provider's refusal, as data (journaled by the service as it is): the fields of stripe-node's errors. */
export interface Rejection {
  provider: string;
  /** The HTTP status: 402 for a decline, 4xx for a refused request. */
  status: number;
  type: string;
  code: string;
  /** Why a card was declined (`insufficient_funds`, ...), for `card_declined`. */
  declineCode?: string;
  /** A declined charge is still a charge in the provider's ledger: its id. */
  chargeId?: string;
  message: string;
}

/** What one state-changing call came to. */
export type ProviderOutcome<T> =
  | { outcome: "done"; value: T }
  | { outcome: "rejected"; rejection: Rejection }
  /** 5xx, 409 (the same key still in progress), 429, a timeout or a cut connection. */
  | { outcome: "unavailable"; message: string };

/** The thrown form of a rejection, for callers that prefer exceptions: retrying will not change it. */
export class ProviderRejection extends Error implements Rejection {
  readonly provider: string;
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly declineCode?: string;
  readonly chargeId?: string;

  constructor(rejection: Rejection) {
    super(rejection.message); // the provider's own words, as stripe-node's errors carry them
    this.name = "ProviderRejection";
    ({ provider: this.provider, status: this.status, type: this.type, code: this.code } = rejection);
    if (rejection.declineCode !== undefined) this.declineCode = rejection.declineCode;
    if (rejection.chargeId !== undefined) this.chargeId = rejection.chargeId;
  }
}

/** No usable answer: the outcome is unknown; the same call (same key) may succeed later. */
export class ProviderUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProviderUnavailable";
    // Expected and retried: a one-line log entry says all there is to say.
    this.stack = `${this.name}: ${message}`;
  }
}

/** The value of a done call; a rejection or an unknown outcome is thrown. */
export function valueOf<T>(outcome: ProviderOutcome<T>): T {
  switch (outcome.outcome) {
    case "done":
      return outcome.value;
    case "rejected":
      throw new ProviderRejection(outcome.rejection);
    case "unavailable":
      throw new ProviderUnavailable(outcome.message);
  }
}

/** What every provider client shares: the outcome of a POST, and reads of the provider's ledger. */
export class ProviderClient {
  constructor(
    readonly baseUrl: string,
    readonly providerName: string,
    protected readonly timeoutMs = 10_000,
  ) {}

  /** A state-changing call, as an outcome (never throws); pass an idempotency key to make a repeat safe. */
  protected async exchange<T>(path: string, body: unknown, idempotencyKey?: string): Promise<ProviderOutcome<T>> {
    const payload = JSON.stringify(body);
    const headers: Record<string, string> = { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
    if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
    const answer = await postOnce(`${this.baseUrl}${path}`, payload, headers, this.timeoutMs);
    if (answer.kind === "none") return { outcome: "unavailable", message: `the ${this.providerName}: ${answer.reason}` };
    return outcomeOf<T>(this.providerName, answer.status, answer.text);
  }

  /** The same call, with a rejection or an unknown outcome thrown (ProviderRejection, ProviderUnavailable). */
  protected async post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return valueOf(await this.exchange<T>(path, body, idempotencyKey));
  }

  protected async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return this.request<T>("GET", `${path}${params.size > 0 ? `?${params}` : ""}`);
  }

  protected async list<T>(path: string, query: Record<string, string | undefined>): Promise<T[]> {
    return (await this.get<{ data: T[] }>(path, query)).data;
  }

  /** A plain JSON request (ledger reads, the mocks' admin API): any answer but a 2xx is an error. */
  protected async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ProviderUnavailable(`the ${this.providerName}: no answer to ${method} ${path} (${describe(error)})`);
    }
    if (!response.ok) throw new Error(`${method} ${this.baseUrl}${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
}

/** Retryability, decided here and nowhere else: only a 2xx or a deliberate 4xx is an answer. */
export function outcomeOf<T>(provider: string, status: number, text: string): ProviderOutcome<T> {
  if (status >= 200 && status < 300) return { outcome: "done", value: JSON.parse(text) as T };
  const parsed = ProviderErrorBody.safeParse(safeJson(text));
  const body = parsed.success ? parsed.data : { error: { type: "api_error", code: `http_${status}`, message: text.slice(0, 200) || `HTTP ${status}` } };
  if (status >= 500 || status === 409 || status === 429) {
    return { outcome: "unavailable", message: `the ${provider}: answered ${status}: ${body.error.message}` };
  }
  const { type, code, declineCode, message } = body.error;
  const chargeId = "charge" in body ? body.charge : undefined;
  return {
    outcome: "rejected",
    rejection: { provider, status, type, code, message, ...(declineCode ? { declineCode } : {}), ...(chargeId ? { chargeId } : {}) },
  };
}

/**
 * Connections to providers are kept open and reused: a new TCP connection per
 * charge costs more than the charge itself on loopback. node:http rather than
 * fetch: fetch's streams cost the endpoint about a third of its CPU per create
 * (bench/README.md).
 */
const providerConnections = new http.Agent({ keepAlive: true });

type RawAnswer = { kind: "raw"; status: number; text: string } | { kind: "none"; reason: string };

/** One POST, whole answer or none within `timeoutMs`; never throws. */
function postOnce(url: string, payload: string, headers: Record<string, string>, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let answered = false; // the status line arrived: a failure after it cut the answer off
    const settle = (outcome: RawAnswer) => {
      clearTimeout(deadline);
      resolve(outcome);
    };
    const fail = (error: Error) =>
      settle({ kind: "none", reason: answered ? `the answer was cut off (${describe(error)})` : `no answer (${describe(error)})` });
    const request = http.request(url, { method: "POST", headers, agent: providerConnections }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => settle({ kind: "raw", status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", fail);
      response.on("close", () => {
        if (!response.complete) fail(new Error("the connection closed mid-answer"));
      });
    });
    const deadline = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    request.on("error", fail);
    request.end(payload);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
