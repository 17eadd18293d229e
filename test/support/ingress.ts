// Plain HTTP against the Restate ingress, as curl would do it: tests see the
// status codes, headers and bodies a learner sees.
export interface IngressResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface CallOptions {
  idempotencyKey?: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A raw body, sent as is (for malformed JSON); otherwise `body` is JSON-encoded. */
  rawBody?: string;
  timeoutMs?: number;
}

export class Ingress {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(pathname: string, body?: unknown, options: CallOptions = {}): Promise<IngressResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    const method = options.method ?? "POST";
    let payload: string | undefined;
    if (method === "POST") {
      payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${this.baseUrl}${pathname}`, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  createPayment(paymentId: string, request: unknown, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/create`, request, options);
  }

  refund(paymentId: string, request: unknown, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/refund`, request, options);
  }

  getStatus(paymentId: string, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/getStatus`, undefined, { method: "GET", ...options });
  }
}
