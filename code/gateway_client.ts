// The client the service uses to reach the payment provider: one POST per
// charge or refund, with the provider's idempotency key, and every answer
// sorted by what the caller should do about it (keep it, or retry later).
import * as http from "node:http";
import type { Charge, ChargeRequest, FaultSettings, GatewayErrorBody, GatewayRefund, RefundChargeRequest } from "./types.js";

/** An answer the provider gave on purpose (a decline, a bad request): retrying will not change it. */
export class GatewayRejection extends Error {
  constructor(
    readonly status: number,
    readonly body: GatewayErrorBody,
  ) {
    super(body.error.message);
    this.name = "GatewayRejection";
  }
}

/** No usable answer (5xx, 409 in progress, timeout, connection cut): the same call may succeed later. */
export class GatewayUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GatewayUnavailable";
    // Expected and retried: a one-line log entry says all there is to say.
    this.stack = `${this.name}: ${message}`;
  }
}

export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Charges a card. Throws GatewayRejection for a decline, GatewayUnavailable when the outcome is unknown. */
  charge(request: ChargeRequest, idempotencyKey: string): Promise<Charge> {
    return this.post<Charge>("/v1/charges", request, idempotencyKey);
  }

  refund(request: RefundChargeRequest, idempotencyKey: string): Promise<GatewayRefund> {
    return this.post<GatewayRefund>("/v1/refunds", request, idempotencyKey);
  }

  async listCharges(filter: { reference?: string } = {}): Promise<Charge[]> {
    return (await this.get<{ data: Charge[] }>("/v1/charges", filter)).data;
  }

  async listRefunds(filter: { reference?: string; charge?: string } = {}): Promise<GatewayRefund[]> {
    return (await this.get<{ data: GatewayRefund[] }>("/v1/refunds", filter)).data;
  }

  async setFaults(faults: Partial<FaultSettings>): Promise<FaultSettings> {
    return this.send<FaultSettings>("PUT", "/admin/faults", faults);
  }

  async reset(): Promise<void> {
    await this.send("POST", "/admin/reset", {});
  }

  private async post<T>(path: string, body: unknown, idempotencyKey: string): Promise<T> {
    const outcome = await postToProvider<T>(`${this.baseUrl}${path}`, body, { idempotencyKey, timeoutMs: this.timeoutMs });
    switch (outcome.kind) {
      case "answered":
        return outcome.value;
      case "unavailable":
        throw new GatewayUnavailable(`payment provider: ${outcome.reason}`);
      case "rejected":
        throw new GatewayRejection(outcome.status, outcome.body as GatewayErrorBody);
    }
  }

  private async get<T>(path: string, query: Record<string, string | undefined>): Promise<T> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    const response = await fetch(`${this.baseUrl}${path}${params.size > 0 ? `?${params}` : ""}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  private async send<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
}

/** What one POST to a provider came to, sorted by what a caller should do about it. */
export type ProviderOutcome<T> =
  | { kind: "answered"; value: T }
  /** The provider answered on purpose (4xx): retrying will not change it. */
  | { kind: "rejected"; status: number; body: { error: { type: string; code: string; message: string } } }
  /** No usable answer (5xx, 409 still in progress, 429, timeout, cut connection): the same call may succeed later. */
  | { kind: "unavailable"; reason: string };

/** One state-changing call to a provider in the Stripe style (JSON in and out, `Idempotency-Key`, `{error: {...}}` bodies). */
export async function postToProvider<T>(
  url: string,
  body: unknown,
  options: { idempotencyKey?: string; timeoutMs: number },
): Promise<ProviderOutcome<T>> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  const answer = await postOnce(url, payload, headers, options.timeoutMs);
  if (answer.kind === "unavailable") return answer;
  const { status, text } = answer;
  if (status >= 200 && status < 300) return { kind: "answered", value: JSON.parse(text) as T };
  const parsed = parseErrorBody(text, status);
  if (status >= 500 || status === 409 || status === 429) {
    return { kind: "unavailable", reason: `answered ${status}: ${parsed.error.message}` };
  }
  return { kind: "rejected", status, body: parsed };
}

/**
 * Connections to providers are kept open and reused: a new TCP connection per
 * charge costs more than the charge itself on loopback. node:http rather than
 * fetch: fetch's streams cost the endpoint about a third of its CPU per create
 * (bench/README.md).
 */
const providerConnections = new http.Agent({ keepAlive: true });

type RawAnswer = { kind: "raw"; status: number; text: string } | { kind: "unavailable"; reason: string };

/** One POST, whole answer or none within `timeoutMs`; never throws. */
function postOnce(url: string, payload: string, headers: Record<string, string>, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let answered = false; // the status line arrived: a failure after it cut the answer off
    const settle = (outcome: RawAnswer) => {
      clearTimeout(deadline);
      resolve(outcome);
    };
    const fail = (error: Error) =>
      settle({ kind: "unavailable", reason: answered ? `the answer was cut off (${describe(error)})` : `no answer (${describe(error)})` });
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

function parseErrorBody(text: string, status: number): { error: { type: string; code: string; message: string } } {
  try {
    const body = JSON.parse(text) as { error?: { type: string; code: string; message: string } };
    if (body?.error?.message) return body as { error: { type: string; code: string; message: string } };
  } catch {
    // not JSON: fall through
  }
  return { error: { type: "api_error", code: `http_${status}`, message: text.slice(0, 200) || `HTTP ${status}` } };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

