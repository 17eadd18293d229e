// The HTTP API: the Restate ingress's paths and bodies for PaymentService, with
// the IETF Idempotency-Key draft's rules on top (key required, 409 while in
// flight, 422 for another payload, `Idempotent-Replayed: true` on a replay).
import express, { type NextFunction, type Request, type Response } from "express";
import type { Database } from "./database.js";
import { loadPayment, notFound, ok } from "./payments_store.js";
import { checkKey, type Operation, parseRequest } from "./requests.js";
import type { PaymentHandler } from "./service.js";

/** A create or refund body is under 1 KiB; 64 KiB leaves room and keeps a flood of large bodies cheap. */
export const MAX_BODY_BYTES = 65_536;

export function paymentApp(db: Database, handler: PaymentHandler): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // strict: false lets `42` or `"x"` through to the schema, which explains what an object should hold.
  // The same bound as the Restate ingress's (orchestration/parts.ts): refused before anything touches the database.
  app.use(express.json({ strict: false, limit: MAX_BODY_BYTES, type: () => true }));

  app.get("/health", (_req, res) => {
    res.json({ ok: true, database: db.kind });
  });

  for (const operation of ["create", "refund"] as Operation[]) {
    app.post(`/PaymentService/:paymentId/${operation}`, async (req: Request<{ paymentId: string }>, res) => {
      const parsed = parseRequest(operation, req.params.paymentId, req.body);
      if ("status" in parsed) return send(res, parsed.status, parsed.body);
      const refusal = checkKey(req.get("idempotency-key"), operation);
      if (refusal) return send(res, refusal.status, refusal.body);
      const answer = await handler.handle(parsed, req.get("idempotency-key")!);
      if (answer.replayed) res.set("Idempotent-Replayed", "true");
      // A 409 "still in progress" tells a careful client when to come back (code/careful_client.ts honours it).
      if (answer.retryAfterSeconds !== undefined) res.set("Retry-After", String(answer.retryAfterSeconds));
      send(res, answer.status, answer.body);
    });
  }

  app.all("/PaymentService/:paymentId/getStatus", async (req: Request<{ paymentId: string }>, res) => {
    if (req.method !== "GET" && req.method !== "POST") return send(res, 405, { message: "getStatus accepts GET or POST." });
    const payment = await loadPayment(db, req.params.paymentId);
    const answer = payment ? ok(payment) : notFound(req.params.paymentId);
    send(res, answer.status, answer.body);
  });

  app.use((req, res) => send(res, 404, { message: `No route ${req.method} ${req.path}. Try POST /PaymentService/{paymentId}/create.` }));
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === "entity.too.large") return send(res, 413, { message: `The request body is larger than the limit of ${MAX_BODY_BYTES} bytes.` });
    if (error.type === "entity.parse.failed") return send(res, 400, { message: `The body is not valid JSON: ${error.message}` });
    if (error.status && error.status < 500) return send(res, error.status, { message: error.message });
    console.error(`request failed: ${error.stack ?? error.message}`);
    send(res, 500, { message: `Internal error: ${error.message}. Retry with the same Idempotency-Key.` });
  });
  return app;
}

/** Errors carry the status as `code` beside `message`, as the Restate ingress's error bodies do. */
function send(res: Response, status: number, body: unknown): void {
  res.status(status).json(status >= 400 && typeof body === "object" && body !== null ? { code: status, ...body } : body);
}
