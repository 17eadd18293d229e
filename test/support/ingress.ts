// Plain HTTP against the Restate ingress, as curl would do it: tests see the
// status codes, headers and bodies a learner sees.
import * as http from "node:http";
import { z } from "zod";
import { Payment } from "../../code/types.js";

export interface IngressResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/**
 * What PaymentService answers, read without assuming which: a payment (2xx), or the error body of the ingress or
 * of the hand-rolled peer (`message`, and what else they carry); a body that is no JSON has none of the fields.
 * A field that is there has its type in the payment's schema, the handlers' output.
 */
export const PaymentAnswer = z.preprocess(
  (body) => body ?? {},
  z.looseObject({
    ...Payment.partial().shape,
    message: z.string().optional(),
    code: z.union([z.string(), z.number()]).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
);
export type PaymentAnswer = z.output<typeof PaymentAnswer>;

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

  /** The answer to a call, its JSON body as is (undefined when it has none)... */
  request(pathname: string, body?: unknown, options?: CallOptions): Promise<IngressResponse<unknown>>;
  /** ...or checked against `answer`: a body of another shape fails the call, with the status and the text. */
  request<Answer extends z.ZodType>(pathname: string, body: unknown, options: CallOptions, answer: Answer): Promise<IngressResponse<z.output<Answer>>>;
  async request(pathname: string, body?: unknown, options: CallOptions = {}, answer: z.ZodType = z.unknown()): Promise<IngressResponse<unknown>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    const method = options.method ?? "POST";
    let payload: string | undefined;
    if (method === "POST") {
      payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers["content-type"] ??= "application/json";
    }
    const response =
      payload !== undefined && Buffer.byteLength(payload) > LARGE_BODY_BYTES
        ? await postWithExpectContinue(`${this.baseUrl}${pathname}`, Buffer.from(payload), headers, options.timeoutMs ?? 60_000)
        : await fetch(`${this.baseUrl}${pathname}`, { method, headers, body: payload, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const checked = answer.safeParse(parsed);
    if (!checked.success) throw new Error(`${method} ${pathname} answered ${response.status} with a body of another shape: ${z.prettifyError(checked.error)}\n  body: ${text.slice(0, 500)}`);
    return { status: response.status, headers: response.headers, text, body: checked.data };
  }

  createPayment(paymentId: string, request: unknown, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/create`, request, options, PaymentAnswer);
  }

  refund(paymentId: string, request: unknown, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/refund`, request, options, PaymentAnswer);
  }

  getStatus(paymentId: string, options: CallOptions = {}) {
    return this.request(`/PaymentService/${encodeURIComponent(paymentId)}/getStatus`, undefined, { method: "GET", ...options }, PaymentAnswer);
  }
}

/** Above this a body is sent as curl sends large ones: asking first (the ingress refuses bodies over 64 KiB). */
const LARGE_BODY_BYTES = 16 * 1024;

/**
 * POSTs `body` with `expect: 100-continue`, sending it only when told to
 * continue. The ingress answers an oversized content-length with 413 at once
 * and closes the connection; a client that sends the body regardless (fetch)
 * often sees a broken pipe instead of the answer.
 */
export function postWithExpectContinue(url: string, body: Buffer, headers: Record<string, string>, timeoutMs = 60_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers: { ...headers, "content-length": body.length, expect: "100-continue" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") responseHeaders.set(name, value);
        resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 0, headers: responseHeaders }));
      });
      response.on("error", reject);
    });
    request.on("continue", () => request.end(body));
    request.on("error", reject);
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.flushHeaders();
  });
}
