// A burst: N identical requests sent at the same moment over N connections
// that are already open, the way N clients with keep-alive connections (or a
// proxy's connection pool) would hit the ingress. Opening the connections is
// done first and not timed: the ingress listens with a backlog of 128, so
// 1,000 brand-new connections at once overflow it and the kernel's SYN
// retransmit (1 s) would dominate what is measured. Node's own http client,
// not a load loop: one request per connection, all in flight together.
import * as http from "node:http";
import { type LatencySummary, summarize } from "./load.js";

export interface BurstRequest {
  baseUrl: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface BurstResult {
  requests: number;
  ok: number;
  statusCounts: Record<string, number>;
  errors: number;
  /** From the moment the burst was sent until the last answer arrived. */
  timeToAllAnsweredMs: number;
  latencyMs: LatencySummary;
  /** Distinct 2xx bodies: 1 when every duplicate got the same answer. */
  distinctAnswers: number;
  /** Connections that were open before the burst and carried it. */
  warmConnections: number;
}

/** `whileInFlight`: started once every request of the burst is on its way; the burst's result waits for it too. */
export async function burst(count: number, request: BurstRequest, whileInFlight?: () => Promise<void>): Promise<BurstResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: count });
  const url = new URL(request.baseUrl);
  try {
    // Hold `count` health checks in flight together, so each gets its own connection.
    await Promise.all(Array.from({ length: count }, () => send(agent, url, { method: "GET", path: "/restate/health", headers: {} })));
    const warmConnections = Object.values(agent.freeSockets).reduce((sum, sockets) => sum + (sockets?.length ?? 0), 0);

    const startedAt = performance.now();
    const sending = Promise.all(
      Array.from({ length: count }, async () => {
        const sentAt = performance.now();
        try {
          const response = await send(agent, url, { method: "POST", path: request.path, headers: request.headers, body: request.body });
          return { ...response, latencyMs: performance.now() - sentAt, answeredAt: performance.now() };
        } catch {
          return null;
        }
      }),
    );
    const [answers] = await Promise.all([sending, whileInFlight?.()]);
    const answered = answers.filter((a) => a !== null);
    const statusCounts: Record<string, number> = {};
    for (const answer of answered) statusCounts[answer.status] = (statusCounts[answer.status] ?? 0) + 1;
    const ok = answered.filter((a) => a.status >= 200 && a.status < 300);
    return {
      requests: count,
      ok: ok.length,
      statusCounts,
      errors: count - answered.length,
      timeToAllAnsweredMs: Math.max(...answered.map((a) => a.answeredAt)) - startedAt,
      latencyMs: summarize(answered.map((a) => a.latencyMs)),
      distinctAnswers: new Set(ok.map((a) => a.body)).size,
      warmConnections,
    };
  } finally {
    agent.destroy();
  }
}

function send(
  agent: http.Agent,
  url: URL,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, method: options.method, path: options.path, headers: { "content-type": "application/json", ...options.headers }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out after 30 s")));
    req.on("error", reject);
    req.end(options.body);
  });
}
