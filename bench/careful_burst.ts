// The same storm measured the way a real client team lives it: N clients with
// the same payment and the same idempotency key at once, each retrying as
// code/careful_client.ts does (back-off with full jitter, Retry-After honoured,
// a 409 "still in progress" retried), until every client has its final answer.
// A 409 counts as what it is, a "come back later", not as an answer.
import { payCarefully } from "../code/careful_client.js";
import type { GatewayClient } from "../code/gateway_client.js";
import { type LatencySummary, summarize } from "./load.js";

export interface CarefulBurstResult {
  clients: number;
  /** From the moment all clients started until the last one had its final answer. */
  timeToAllFinalMs: number;
  /** Per client: from its start to its final answer. */
  latencyMs: LatencySummary;
  /** Requests sent in all, retries included. */
  attempts: number;
  paid: number;
  /** Successful charges in the gateway's ledger for the payment: 1 is the only right answer. */
  charges: number;
}

const BODY = { amount: 10_000, currency: "USD", source: "tok_visa" };

export async function carefulBurst(baseUrl: string, gateway: GatewayClient, clients: number, paymentId: string): Promise<CarefulBurstResult> {
  const operation = { paymentId, idempotencyKey: `key-${paymentId}`, request: BODY };
  const startedAt = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: clients }, async () => {
      const outcome = await payCarefully(baseUrl, operation);
      return { outcome, doneAfterMs: performance.now() - startedAt };
    }),
  );
  const charges = (await gateway.listCharges({ reference: paymentId })).filter((c) => c.status === "succeeded").length;
  return {
    clients,
    timeToAllFinalMs: Math.max(...outcomes.map((o) => o.doneAfterMs)),
    latencyMs: summarize(outcomes.map((o) => o.doneAfterMs)),
    attempts: outcomes.reduce((sum, o) => sum + o.outcome.attempts, 0),
    paid: outcomes.filter((o) => o.outcome.kind === "paid").length,
    charges,
  };
}

/** One service's careful burst at one gateway latency. */
export interface CarefulBurstRow extends CarefulBurstResult {
  service: "restate" | "pglite" | "postgres";
  gatewayLatencyMs: number;
}

const SERVICE_NAMES: Record<CarefulBurstRow["service"], string> = {
  restate: "Restate, one node",
  pglite: "hand-rolled, PGlite",
  postgres: "hand-rolled, PostgreSQL",
};

/** A markdown table: each service's time until every careful client had its final answer. */
export function renderCarefulBursts(rows: CarefulBurstRow[]): string {
  return [
    "The same key from many careful clients at once (code/careful_client.ts: back-off with jitter, Retry-After, 409 retried), until every client has its final answer:",
    "| service | gateway | clients | all final after | p50 / p99 ms | requests sent | paid | charges |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${SERVICE_NAMES[r.service]} | ${r.gatewayLatencyMs} ms | ${r.clients} | ${Math.round(r.timeToAllFinalMs).toLocaleString("en-US")} ms | ` +
        `${r.latencyMs.p50.toFixed(0)} / ${r.latencyMs.p99.toFixed(0)} | ${r.attempts} | ${r.paid} | ${r.charges} |`,
    ),
  ].join("\n");
}
