// The playground's own small server: it serves the page (playground/public/)
// and forwards the page's calls to the same public endpoints a learner curls:
// the Restate ingress, the mock gateway's ledger and fault admin, and Restate's
// admin API (for the invocation's status and its link in Restate's UI, read
// with the one admin query, code/admin_query.ts). The browser cannot call
// those directly (other origins, no CORS), so it calls this server on its own
// origin.
//
// The one thing that is not a public endpoint is "crash the service": the
// process that runs the service endpoint (the launcher, or a test) hands in a
// callback that kills it by PID and starts it again.
import type { Server } from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { adminQuery } from "../code/admin_query.js";
import { PaymentId } from "../code/types.js";

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "public");

/** The most copies one "send N concurrently" may fire. */
const MAX_COPIES = 20;
/** A create can legitimately take a while: provider latency, retries, a crashed endpoint coming back. */
const CREATE_TIMEOUT_MS = 60_000;
const READ_TIMEOUT_MS = 5_000;

export interface CrashReport {
  killedPid: number;
  restartedPid: number;
}

export interface PlaygroundOptions {
  port: number;
  /** Bind address; loopback unless told otherwise. */
  host?: string;
  ingressUrl: string;
  /**
   * A cluster's ingresses (`npm run start:cluster`): creates go to each in
   * turn, to the next one when a node does not answer (as a client of a
   * cluster would), and every answer names the node it came through.
   */
  ingressNodes?: { name: string; url: string }[];
  adminUrl: string;
  gatewayUrl: string;
  /**
   * Kills the service endpoint with SIGKILL (by PID) and resolves once it runs
   * again. Absent when nothing restarts the endpoint: the page then says that
   * the crash switch needs `npm start`.
   */
  crashServiceEndpoint?: () => Promise<CrashReport>;
  log?: (line: string) => void;
}

export interface Playground {
  url: string;
  close(): Promise<void>;
}


// ---------------------------------------------------------------------------
// What the page may ask for.
// ---------------------------------------------------------------------------

const SendRequest = z.strictObject({
  /** Sent to `create` as is, so the service's own validation answers bad input. */
  request: z.record(z.string(), z.unknown(), { error: "request must be the JSON object to send to create" }),
  idempotencyKey: z
    .string()
    .regex(/^[\x20-\x7e]{1,255}$/, "idempotencyKey must be 1-255 printable ASCII characters")
    .nullable(),
  copies: z.number().int().min(1).max(MAX_COPIES, `copies must be 1-${MAX_COPIES}`),
  /** All copies at once (true), or each after the previous one was answered (false). */
  concurrently: z.boolean(),
});

/** One answer of the ingress, as the page shows it. */
export interface Answer {
  n: number;
  /** null when the ingress could not be reached at all. */
  status: number | null;
  invocationId: string | null;
  idempotencyExpires: string | null;
  ms: number;
  body: unknown;
  error?: string;
  /** The cluster node that answered, e.g. "n2 (8081)". */
  node?: string;
}

/** An invocation as the page shows it: the columns selected below, passed on as Restate gives them. */
const InvocationRow = z.looseObject({ id: z.string(), status: z.string() });
type InvocationRow = z.infer<typeof InvocationRow>;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The page and its API are for this machine: a foreign Host is a DNS-rebinding attempt. */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

function createPlaygroundApp(options: Omit<PlaygroundOptions, "port" | "host">): express.Express {
  const log = options.log ?? (() => {});
  const app = express();
  app.disable("x-powered-by");
  app.use((req, res, next) => {
    if (!LOOPBACK_HOST.test(req.get("host") ?? "")) {
      res.status(403).json({ message: `The playground answers only on loopback (localhost or 127.0.0.1), not '${req.get("host")}'.` });
      return;
    }
    res.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    next();
  });
  // A cross-site page can POST a form or a bodyless request at loopback ports;
  // insisting on JSON makes the browser ask first (CORS preflight), and we never say yes.
  app.use("/api", (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD" && !req.is("application/json")) {
      res.status(415).json({ message: "Send a JSON body with content-type: application/json." });
      return;
    }
    next();
  });
  app.use("/api", express.json({ limit: "20kb" }));

  const target = {
    create: (paymentId: string) => `${options.ingressUrl}/PaymentService/${encodeURIComponent(paymentId)}/create`,
    status: (paymentId: string) => `${options.ingressUrl}/PaymentService/${encodeURIComponent(paymentId)}/getStatus`,
  };

  const nodes = options.ingressNodes ?? [{ name: "", url: options.ingressUrl }];
  let turn = 0;
  const createOnSomeNode = async (paymentId: string, request: unknown, idempotencyKey: string | null, n: number): Promise<Answer> => {
    const first = turn++;
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < nodes.length; attempt++) {
      const node = nodes[(first + attempt) % nodes.length]!;
      answer = await callCreate(`${node.url}/PaymentService/${encodeURIComponent(paymentId)}/create`, request, idempotencyKey, n);
      if (options.ingressNodes) answer.node = `${node.name} (${new URL(node.url).port})`;
      if (answer.status !== null) break; // answered; only a node that cannot be reached is skipped
    }
    return answer!;
  };

  app.get("/api/config", (_req, res) => {
    res.json({
      ingressUrl: options.ingressUrl,
      gatewayUrl: options.gatewayUrl,
      adminUiUrl: `${options.adminUrl}/ui/`,
      crashAvailable: options.crashServiceEndpoint !== undefined,
      maxCopies: MAX_COPIES,
    });
  });

  app.post("/api/payments/:paymentId/create", async (req, res) => {
    const paymentId = paymentIdFrom(req);
    const send = parse(SendRequest, req.body);
    const url = target.create(paymentId);
    const once = (n: number) => createOnSomeNode(paymentId, send.request, send.idempotencyKey, n);
    const numbers = Array.from({ length: send.copies }, (_, index) => index + 1);
    let answers: Answer[];
    if (send.concurrently) {
      answers = await Promise.all(numbers.map(once));
    } else {
      answers = [];
      for (const n of numbers) answers.push(await once(n));
    }
    res.json({ method: "POST", url, answers });
  });

  app.get("/api/payments/:paymentId/status", async (req, res) => {
    const url = target.status(paymentIdFrom(req));
    const answer = await forward("the Restate ingress", url, { method: "GET" });
    res.json({ method: "GET", url, status: answer.status, body: answer.body });
  });

  app.get("/api/ledger", async (_req, res) => {
    const [charges, refunds] = await Promise.all([
      forward("the mock gateway", `${options.gatewayUrl}/v1/charges`, { method: "GET" }, { expectOk: true }),
      forward("the mock gateway", `${options.gatewayUrl}/v1/refunds`, { method: "GET" }, { expectOk: true }),
    ]);
    res.json({ charges: dataOf(charges.body), refunds: dataOf(refunds.body) });
  });

  app.get("/api/faults", async (_req, res) => {
    const answer = await forward("the mock gateway", `${options.gatewayUrl}/admin/faults`, { method: "GET" }, { expectOk: true });
    res.json(answer.body);
  });

  app.put("/api/faults", async (req, res) => {
    // The gateway validates the settings; its 400 and message pass through.
    const answer = await forward("the mock gateway", `${options.gatewayUrl}/admin/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(req.body),
    });
    res.status(answer.status).json(answer.body);
  });

  app.get("/api/invocations", async (req, res) => {
    const paymentId = parse(PaymentId, req.query.paymentId);
    // paymentId matched a strict pattern (letters, digits, - and _), so it is safe inside the quotes.
    const query =
      "SELECT id, status, retry_count, last_failure, idempotency_key, created_at, modified_at, completion_result " +
      "FROM sys_invocation WHERE target_service_name = 'PaymentService' AND target_handler_name = 'create' " +
      `AND target_service_key = '${paymentId}' ORDER BY created_at DESC LIMIT 20`;
    let rows: InvocationRow[];
    try {
      rows = await adminQuery(options.adminUrl, query, InvocationRow, { timeoutMs: READ_TIMEOUT_MS });
    } catch (error) {
      throw new HttpProblem(502, `Restate's admin API at ${options.adminUrl}: ${describe(error)}. Is \`npm start\` still running?`);
    }
    res.json({
      invocations: rows.map((row) => ({ ...row, uiUrl: `${options.adminUrl}/ui/invocations/${encodeURIComponent(String(row.id))}` })),
    });
  });

  let crashing = false;
  app.post("/api/service/crash", async (_req, res) => {
    if (!options.crashServiceEndpoint) {
      throw new HttpProblem(501, "Crashing the service needs the playground started by `npm start`, which restarts the endpoint.");
    }
    if (crashing) throw new HttpProblem(409, "The service endpoint is being crashed and restarted already; wait for it to come back.");
    crashing = true;
    try {
      log("the page asked to crash the service endpoint (SIGKILL)");
      res.json(await options.crashServiceEndpoint());
    } finally {
      crashing = false;
    }
  });

  app.use("/api", (req, _res, next) => next(new HttpProblem(404, `No playground API at ${req.method} ${req.originalUrl}.`)));
  app.use(express.static(PUBLIC_DIR, { index: "index.html" }));

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpProblem) {
      res.status(error.status).json({ message: error.message });
      return;
    }
    const { status, type, limit } = error as { status?: number; type?: string; limit?: number };
    if (type === "entity.too.large") {
      res.status(413).json({ message: `The request body is larger than the playground's limit of ${limit} bytes.` });
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ message: (error as Error).message }); // express.json: malformed JSON
      return;
    }
    log(`unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    res.status(500).json({ message: `Unexpected error in the playground server: ${(error as Error)?.message ?? String(error)}` });
  });
  return app;
}

export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const app = createPlaygroundApp(options);
  const host = options.host ?? "127.0.0.1";
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  return {
    url: `http://${host}:${options.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the page's keep-alive connections would hold close() open
      }),
  };
}

// ---------------------------------------------------------------------------

function paymentIdFrom(req: Request): string {
  return parse(PaymentId, req.params.paymentId);
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpProblem(400, z.prettifyError(parsed.error));
  return parsed.data;
}

async function callCreate(url: string, request: unknown, idempotencyKey: string | null, n: number): Promise<Answer> {
  const startedAt = performance.now();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (idempotencyKey !== null) headers["idempotency-key"] = idempotencyKey;
  const elapsed = () => Math.round(performance.now() - startedAt);
  try {
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(request), signal: AbortSignal.timeout(CREATE_TIMEOUT_MS) });
    const body = parseBody(await response.text());
    return {
      n,
      status: response.status,
      invocationId: response.headers.get("x-restate-id"),
      idempotencyExpires: response.headers.get("idempotency-expires"),
      ms: elapsed(),
      body,
    };
  } catch (error) {
    return { n, status: null, invocationId: null, idempotencyExpires: null, ms: elapsed(), body: null, error: `no answer from the Restate ingress: ${describe(error)}` };
  }
}

async function forward(
  part: string,
  url: string,
  init: RequestInit,
  options: { expectOk?: boolean } = {},
): Promise<{ status: number; body: unknown }> {
  let response: globalThis.Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  } catch (error) {
    throw new HttpProblem(502, `Could not reach ${part} at ${new URL(url).origin}: ${describe(error)}. Is \`npm start\` still running?`);
  }
  const body = parseBody(await response.text());
  if (options.expectOk && !response.ok) {
    throw new HttpProblem(502, `${part} answered ${response.status} to ${init.method} ${new URL(url).pathname}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { status: response.status, body };
}

function parseBody(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function dataOf(body: unknown): unknown[] {
  return (body as { data?: unknown[] })?.data ?? [];
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
