// The floor the benchmark compares against: a plain express handler that
// validates the request like PaymentService does and calls the same mock
// gateway with the same client and provider key, with no journal, no state
// and no dedupe of its own. Whatever PaymentService costs on top of this is
// the price of durability.
//
//   BASELINE_PORT=9100 GATEWAY_URL=http://127.0.0.1:9090 npx tsx bench/baseline_server.ts
import express from "express";
import { z } from "zod";
import { gatewayUrlFromEnv, portFromEnv } from "../code/config.js";
import { GatewayClient } from "../code/gateway_client.js";
import { ProviderRejection } from "../code/provider_client.js";
import { chargeIdempotencyKey } from "../code/payment_service.js";
import { CreatePaymentRequest, PaymentId } from "../code/types.js";

const port = portFromEnv("baseline");
const gatewayUrl = gatewayUrlFromEnv();
const gateway = new GatewayClient(gatewayUrl);

const app = express();
app.disable("x-powered-by");
app.use(express.json({ limit: "100kb" }));

app.post("/payments/:paymentId/create", async (req, res) => {
  const paymentId = PaymentId.safeParse(req.params.paymentId);
  const request = CreatePaymentRequest.safeParse(req.body);
  if (!paymentId.success || !request.success) {
    const error = !paymentId.success ? paymentId.error : request.error!;
    res.status(400).json({ code: 400, message: z.prettifyError(error) });
    return;
  }
  const { amount, currency, source } = request.data;
  try {
    const charge = await gateway.charge({ amount, currency, source, reference: paymentId.data }, chargeIdempotencyKey(paymentId.data));
    res.json({ paymentId: paymentId.data, status: "succeeded", amount, currency, source, chargeId: charge.id });
  } catch (error) {
    const status = error instanceof ProviderRejection ? error.status : 502;
    res.status(status).json({ code: status, message: (error as Error).message });
  }
});

app.get("/health", (_req, res) => {
  res.json({ status: "ok" });
});

const server = app.listen(port, "127.0.0.1", (error?: Error) => {
  if (error) {
    console.error(`baseline server could not listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`baseline server listening on http://127.0.0.1:${port} (gateway ${gatewayUrl})`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
