// What the API accepts, checked before any key is taken or provider called:
// the same zod schemas as the Restate service, plus the IETF draft's rules for
// the Idempotency-Key header.
import { CreatePaymentRequest, PaymentId, RefundRequest } from "../code/types.js";
import type { StoredResponse } from "./idempotency_keys.js";
import { error } from "./payments_store.js";

export type Operation = "create" | "refund";
export type ParsedRequest =
  | { kind: "create"; paymentId: string; body: CreatePaymentRequest }
  | { kind: "refund"; paymentId: string; body: RefundRequest };

/** Stripe's ceiling; the draft sets none. */
export const MAX_KEY_LENGTH = 255;

export const requestPath = (paymentId: string, operation: Operation) => `/PaymentService/${paymentId}/${operation}`;

export function parseRequest(operation: Operation, rawPaymentId: string, body: unknown): ParsedRequest | StoredResponse {
  const id = PaymentId.safeParse(rawPaymentId);
  if (!id.success) return error(400, `Invalid payment id '${rawPaymentId}': ${id.error.issues[0]?.message}`);
  const schema = operation === "create" ? CreatePaymentRequest : RefundRequest;
  const parsed = schema.safeParse(body);
  if (!parsed.success) return error(400, `Invalid request body: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return { kind: operation, paymentId: id.data, body: parsed.data } as ParsedRequest;
}

export function checkKey(header: string | undefined, operation: Operation): StoredResponse | undefined {
  if (header === undefined || header.trim() === "") {
    return error(400, `The Idempotency-Key header is required on ${operation}: send a unique value (a UUID, say) and the same value on every retry.`);
  }
  if (header.length > MAX_KEY_LENGTH) return error(400, `The Idempotency-Key header must be at most ${MAX_KEY_LENGTH} characters.`);
  return undefined;
}

/** The completer rebuilds a request from what the key stored. */
export function requestFromPath(path: string, params: unknown): ParsedRequest {
  const match = /^\/PaymentService\/([^/]+)\/(create|refund)$/.exec(path);
  if (!match) throw new Error(`Bug: a key with an unknown path '${path}'`);
  const parsed = parseRequest(match[2] as Operation, match[1]!, params);
  if ("status" in parsed) throw new Error(`Bug: a stored request no longer validates: ${JSON.stringify(parsed.body)}`);
  return parsed;
}
