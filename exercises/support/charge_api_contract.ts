// Exercise 4's contract: the plain HTTP charge API (express, no Restate in front)
// that the idempotency middleware protects, and how the checker starts it.
// The starter, the solution and the checker share it, so keep it as it is.
import { z } from "zod";
import { DEFAULT_DATA_DIR } from "../../code/config.js";
import { Amount, Currency, Source, identifier } from "../../code/types.js";

export const ChargeApiRequest = z.strictObject({
  amount: Amount,
  currency: Currency,
  source: Source,
  /** The caller's order id: the gateway's ledger can be searched by it. */
  reference: identifier("reference"),
});
export type ChargeApiRequest = z.infer<typeof ChargeApiRequest>;

/** 201 Created. */
export interface ChargeApiResponse {
  id: string;
  amount: number;
  currency: string;
  reference: string;
  status: "succeeded";
}

/** Every error answer: 400, 402, 409, 422, 503. */
export interface ChargeApiError {
  error: { code: string; message: string };
}

/** The header a replayed answer carries, as at Stripe. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** How app.ts is configured; the checker sets these when it starts it. */
export const APP_ENV = {
  /** Port to listen on (default 9095). */
  port: "APP_PORT",
  /** Where the payment gateway is. */
  gatewayUrl: "GATEWAY_URL",
  /** Restate's ingress, for the Restate-backed store. */
  ingressUrl: "INGRESS_URL",
  /** "memory" (default), "restate" or "postgres". */
  store: "IDEMPOTENCY_STORE",
  /** The folder of the PostgreSQL store's database (PGlite), created when missing. */
  pgDataDir: "IDEMPOTENCY_PG_DIR",
  /** How long a completed key is remembered, in ms (default 24 h). */
  ttlMs: "IDEMPOTENCY_TTL_MS",
} as const;

export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** Relative to where app.ts is started, in the data dir `npm start` keeps its data in too (git ignores it). */
export const DEFAULT_PG_DATA_DIR = `${DEFAULT_DATA_DIR}/exercise-4-postgres`;
