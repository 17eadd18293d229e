// Every request the learner's code sends to a provider, as the provider's
// door sees it. The checker puts this counting proxy between the learner's
// endpoint and the mock gateway (and the mock providers): a side effect made
// outside ctx.run runs again on every replay, and even when the provider's
// idempotency key makes the repeat harmless, the count here shows it.
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  /** The path as sent, e.g. "/v1/charges" or "/inventory/v1/reservations". */
  path: string;
  idempotencyKey: string | null;
  /** The body's `reference`, if it has one (an order id, a batch id, a run id). */
  reference: string | null;
  body: string;
  /** The status the provider's answer reached the caller with; null while pending, or when the answer was lost. */
  answered: number | null;
}

export interface RequestLedger {
  readonly url: string;
  /** POSTs (the side effects) whose path contains `pathPart`, optionally only those with this reference. */
  sideEffects(pathPart: string, reference?: string): SeenRequest[];
  /** How many requests were seen so far, for `since`. */
  mark(): number;
  /** The POSTs seen since `mark()` returned `from`. */
  since(from: number): SeenRequest[];
  close(): Promise<void>;
}

/** A proxy to `target` on a free port of 127.0.0.1 that records every request before forwarding it. */
export async function startRequestLedger(target: string): Promise<RequestLedger> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => void forward(req, res));

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const entry: SeenRequest | undefined =
      req.method === "POST"
        ? { method: req.method, path: req.url ?? "", idempotencyKey: req.headers["idempotency-key"]?.toString() ?? null, reference: referenceOf(body), body: body.toString("utf8"), answered: null }
        : undefined;
    if (entry) seen.push(entry);
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        // The provider cut the connection (a dropped answer): cut ours too, so the caller sees the same.
        answer.on("aborted", () => res.socket?.destroy());
        res.on("finish", () => {
          if (entry && !answer.aborted) entry.answered = answer.statusCode ?? null;
        });
      },
    );
    outgoing.on("error", () => res.socket?.destroy());
    outgoing.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    sideEffects: (pathPart, reference) =>
      seen.filter((request) => request.path.includes(pathPart) && (reference === undefined || request.reference === reference)),
    mark: () => seen.length,
    since: (from) => seen.slice(from),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function referenceOf(body: Buffer): string | null {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { reference?: unknown };
    return typeof parsed.reference === "string" ? parsed.reference : null;
  } catch {
    return null;
  }
}

/**
 * Side effects sent again after the provider had answered them: the same request (the same path, and the same
 * idempotency key or the same body, since a key drawn anew per attempt hides nothing), each with how often it was
 * sent. A retry after a lost answer or a 5xx is no repeat. Requests already in `earlier` (an earlier check's, still
 * retried by Restate) belong to that check, not to this one.
 */
export function repeatedAfterAnswer(requests: SeenRequest[], earlier: SeenRequest[] = []): { request: SeenRequest; times: number }[] {
  const earlierIdentities = new Set(earlier.flatMap(identities));
  const groups = new Map<string, SeenRequest[]>();
  for (const request of requests) {
    for (const identity of identities(request)) {
      if (earlierIdentities.has(identity)) continue;
      groups.set(identity, [...(groups.get(identity) ?? []), request]);
    }
  }
  return [...groups.values()]
    .filter((copies) => copies.length > 1 && copies.slice(0, -1).some((copy) => copy.answered !== null && copy.answered < 500))
    .map((copies) => ({ request: copies[0]!, times: copies.length }))
    .sort((a, b) => b.times - a.times);
}

const identities = (request: SeenRequest): string[] => [
  ...(request.idempotencyKey === null ? [] : [`key ${request.path}\n${request.idempotencyKey}`]),
  `body ${request.path}\n${request.body}`,
];
