// A typed client for PaymentService, the way an application (a web shop's
// checkout, say) would call it: through the Restate ingress, with an
// idempotency key it derives from its own order, so retrying is always safe.
//
//   npx tsx code/client.ts [paymentId] [amount]
//
// The ingress URL comes from INGRESS_URL (default http://localhost:8080).
import { parseArgs } from "node:util";
import * as clients from "@restatedev/restate-sdk-clients";
import type { PaymentService } from "./payment_service.js";
import { portsFromEnv } from "./config.js";

const { positionals } = parseArgs({ allowPositionals: true });
const paymentId = positionals[0] ?? `order-${Date.now()}`;
const amount = Number(positionals[1] ?? 4200);

const restate = clients.connect({
  url: process.env.INGRESS_URL ?? `http://localhost:${portsFromEnv().ingress}`,
  // Network errors and 5xx are retried, but only for calls that carry an
  // idempotency key: without one, a retry could run the payment twice.
  retry: { maxAttempts: 5 },
});
const payments = restate.objectClient<PaymentService>({ name: "PaymentService" }, paymentId);
const request = { amount, currency: "USD", source: "tok_visa" };

// 1. A call with an idempotency key, made twice: the second is answered from
//    Restate's stored result; the charge runs once.
const key = `checkout-${paymentId}`;
const first = await payments.create(request, clients.rpc.opts({ idempotencyKey: key }));
const second = await payments.create(request, clients.rpc.opts({ idempotencyKey: key }));
console.log(`create ${paymentId}: ${first.status}, charge ${first.chargeId}`);
console.log(`same key again: ${second.status}, charge ${second.chargeId} (${first.chargeId === second.chargeId ? "the same charge" : "A DIFFERENT CHARGE"})`);

// 2. Fire-and-forget with /send, then collect the result later by its handle.
const sender = restate.objectSendClient<PaymentService>({ name: "PaymentService" }, paymentId);
const handle = await sender.refund({ refundId: "r-1", amount: 1000 }, clients.rpc.sendOpts({ idempotencyKey: `refund-${paymentId}-r-1` }));
const refunded = await restate.result(handle);
console.log(`refund r-1 (sent as invocation ${handle.invocationId}): refunded ${refunded.refundedAmount} of ${refunded.amount}`);

// 3. A terminal error comes back as an HttpCallError with the status and message.
try {
  await restate
    .objectClient<PaymentService>({ name: "PaymentService" }, `${paymentId}-declined`)
    .create({ ...request, source: "tok_chargeDeclined" });
} catch (error) {
  if (!(error instanceof clients.HttpCallError)) throw error;
  console.log(`declined card: HTTP ${error.status}: ${error.responseText}`);
}
