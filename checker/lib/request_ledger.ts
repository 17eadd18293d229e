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
  /**
   * Arms an "answer lost" fault at this door, for the POSTs `rule` matches: the provider does the work, the caller
   * never hears of it. Precise where the providers' own `dropNext` is not: it hits one declared effect (a refund,
   * a compensation), not whatever the next call happens to be.
   */
  loseAnswers(rule: AnswerLossRule): ArmedAnswerLoss;
  close(): Promise<void>;
}

export interface AnswerLossRule {
  /** Which POSTs: e.g. those to "/v1/refunds" whose body names the check's batch id. */
  matches(request: SeenRequest): boolean;
  /** How many matching requests are carried out with their answer lost (default 1). */
  answers?: number;
  /**
   * Called once the provider has done a lost answer's work, before the caller's connection is cut: the fault matrix
   * kills the learner's endpoint here, so the retry comes from a new process.
   */
  onLost?(): Promise<void>;
  /** After those, matching requests do not reach the provider at all (nothing done, the connection cut) until this instant (epoch ms). */
  unreachableUntil?: number;
}

export interface ArmedAnswerLoss {
  /** How many answers were lost so far. */
  lost(): number;
  disarm(): void;
}

/** A proxy to `target` on a free port of 127.0.0.1 that records every request before forwarding it. */
export async function startRequestLedger(target: string): Promise<RequestLedger> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const losses = new Set<{ rule: AnswerLossRule; lost: number }>();
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
    const loss = entry ? [...losses].find(({ rule }) => rule.matches(entry)) : undefined;
    let loseThisAnswer: AnswerLossRule | undefined;
    if (loss && loss.lost < (loss.rule.answers ?? 1)) {
      loss.lost += 1;
      loseThisAnswer = loss.rule;
    } else if (loss && Date.now() < (loss.rule.unreachableUntil ?? 0)) {
      res.socket?.destroy(); // unreachable: the provider never sees it
      return;
    }
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        if (loseThisAnswer) {
          // Done at the provider; the caller's connection is cut before the answer, as a network failure would.
          const lostBy = loseThisAnswer;
          answer.resume();
          answer.on("end", () => {
            void Promise.resolve()
              .then(() => lostBy.onLost?.())
              .catch(() => undefined)
              .finally(() => res.socket?.destroy());
          });
          return;
        }
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
    loseAnswers(rule) {
      const armed = { rule, lost: 0 };
      losses.add(armed);
      return { lost: () => armed.lost, disarm: () => losses.delete(armed) };
    },
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
