// The benchmark's variant of PaymentService: the shared read path. `create` is
// a shared handler that answers a settled payment from state without waiting
// for the object's lock, and hands anything else to an exclusive, ingress-private
// `charge`, which is the reference service's own `create`. Every handler but that
// front door is the reference service's code.
//
// What it buys: duplicates of a settled payment (a hot key, a storm of no-key
// retries) never queue, and a refund is not stuck behind them. What it costs:
// every fresh payment is two invocations (two journals to read), a create that
// waits for its charge holds an invocation slot, and each keyless duplicate of an
// unsettled payment queues a `charge` of its own. `npm run bench` measures both
// designs in every run (bench/README.md); the course teaches the reference one.
import * as restate from "@restatedev/restate-sdk";
import type { ObjectSharedContext } from "@restatedev/restate-sdk";
import {
  INVOCATION_RETRIES,
  answerIfSettled,
  createPayment,
  getStatus,
  paymentOutput,
  paymentService,
  reconcilePayment,
  refundPayment,
} from "../../code/payment_service.js";
import { CreatePaymentRequest, type Payment, RefundRequest } from "../../code/types.js";

export const sharedCreatePaymentService = restate.object({
  name: paymentService.name,
  description: "PaymentService with a shared create (the benchmark's variant).",
  handlers: {
    create: restate.handlers.object.shared(
      {
        input: restate.serde.schema(CreatePaymentRequest),
        output: paymentOutput,
        // A create waiting for its charge holds one of restate-server's invocation slots (1,000 by default): after
        // this long it suspends, giving its slot back, so a burst of waiting creates cannot starve the charges.
        inactivityTimeout: 1_000,
      },
      async (ctx: ObjectSharedContext<{ payment: Payment }>, request: CreatePaymentRequest): Promise<Payment> => {
        const stored = await ctx.get("payment");
        const settled = stored ? answerIfSettled(stored, request) : undefined;
        return settled ?? ctx.objectClient(sharedCreatePaymentService, ctx.key).charge(request);
      },
    ),
    charge: restate.handlers.object.exclusive({ input: restate.serde.schema(CreatePaymentRequest), output: paymentOutput, ingressPrivate: true }, createPayment),
    refund: restate.handlers.object.exclusive({ input: restate.serde.schema(RefundRequest), output: paymentOutput }, refundPayment),
    reconcile: restate.handlers.object.exclusive({ output: paymentOutput }, reconcilePayment),
    getStatus: restate.handlers.object.shared({ output: paymentOutput }, getStatus),
  },
  options: { retryPolicy: INVOCATION_RETRIES },
});
