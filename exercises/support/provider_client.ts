// The client side of the mock providers, like GatewayClient in code/gateway_client.ts:
// an answer the provider gave on purpose is a ProviderRejection (retrying will
// not change it); no usable answer is ProviderUnavailable (the same call may
// succeed later, and may even have succeeded already).
import { postToProvider } from "../../code/gateway_client.js";
import type { ProviderErrorBody, ProviderFaults } from "./provider_kit.js";

/** A 4xx answer: a refused request, a business rule, an idempotency-key conflict. Do not retry it. */
export class ProviderRejection extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
    readonly body: ProviderErrorBody,
  ) {
    super(`${provider} refused the request (${status} ${body.error.code}): ${body.error.message}`);
    this.name = "ProviderRejection";
  }

  get code(): string {
    return this.body.error.code;
  }
}

/** 5xx, 409 (same key still in progress), a timeout or a cut connection: the outcome is unknown; retry. */
export class ProviderUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProviderUnavailable";
    // Expected and retried: one line in the log says all there is to say.
    this.stack = `${this.name}: ${message}`;
  }
}

export class ProviderClient {
  constructor(
    readonly baseUrl: string,
    readonly providerName: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** A state-changing call; pass an idempotency key to make a repeat safe. */
  protected async post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    const outcome = await postToProvider<T>(`${this.baseUrl}${path}`, body, { idempotencyKey, timeoutMs: this.timeoutMs });
    switch (outcome.kind) {
      case "answered":
        return outcome.value;
      case "unavailable":
        throw new ProviderUnavailable(`the ${this.providerName}: ${outcome.reason}`);
      case "rejected":
        throw new ProviderRejection(this.providerName, outcome.status, outcome.body as ProviderErrorBody);
    }
  }

  protected async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const response = await fetch(`${this.baseUrl}${path}${params.size > 0 ? `?${params}` : ""}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`GET ${this.baseUrl}${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  protected async list<T>(path: string, query: Record<string, string | undefined>): Promise<T[]> {
    return (await this.get<{ data: T[] }>(path, query)).data;
  }

  /** Switches faults on or off (only the fields given change); returns the faults now in force. */
  async setFaults(faults: Partial<ProviderFaults>): Promise<ProviderFaults> {
    return this.admin<ProviderFaults>("PUT", "/admin/faults", faults);
  }

  /** How many requests carried this idempotency key (replays included). */
  async requestsWithKey(idempotencyKey: string): Promise<number> {
    return (await this.get<{ requests: number }>(`/admin/keys/${encodeURIComponent(idempotencyKey)}`)).requests;
  }

  async getFaults(): Promise<ProviderFaults> {
    return this.get<ProviderFaults>("/admin/faults");
  }

  /** Clears the ledger, the idempotency keys and the faults. */
  async reset(): Promise<void> {
    await this.admin("POST", "/admin/reset", {});
  }

  private async admin<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`${method} ${this.baseUrl}${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }
}
