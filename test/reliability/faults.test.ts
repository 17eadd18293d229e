// Cases 3 and 4: the provider has an outage, or charges and loses its answer.
import { describe, expect, it } from "vitest";
import { NO_FAULTS } from "../../code/mock_provider.js";
import { PROVIDER_RETRIES } from "../../code/payment_service.js";
import { auditLedger } from "../support/audit.js";
import { CHAOS, succeededCharges, uniqueId, visa } from "../support/payments.js";
import { reliabilityFile } from "../support/reliability.js";

// A lost answer is looked up 1 s later (30 s by default): each case's audit waits for those follow-ups to finish.
const file = reliabilityFile("provider faults", { endpointEnv: { RECONCILE_AFTER_MS: "1000" } });

describe("case 3: provider outage", () => {
  it("rides out an outage shorter than the retry policy: every payment completes, one charge each", async () => {
    const count = CHAOS ? 50 : 15;
    await file.report.measure(`2 s outage (every call 503), ${count} payments`, async () => {
      const ids = Array.from({ length: count }, () => uniqueId("outage-short"));
      await file.stack.gatewayClient.setFaults({ failureRate: 1 });
      const creating = ids.map((id) => file.ingress.createPayment(id, visa));
      // The outage is a window in time: it ends 2 s after it began.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      const responses = await Promise.all(creating);
      for (const response of responses) expect(response.body.status).toBe("succeeded");
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(count);
      return { requests: count, chargesExpected: count, chargesSeen: result.successfulCharges };
    });
  });

  it("calls payments unconfirmed through an outage longer than the retry policy, and finishes each with one charge once it ends", async () => {
    const count = CHAOS ? 20 : 5;
    await file.report.measure(`outage past ${PROVIDER_RETRIES.maxRetryAttempts} attempts, then recovery, ${count} payments`, async () => {
      const ids = Array.from({ length: count }, () => uniqueId("outage-long"));
      await file.stack.gatewayClient.setFaults({ failNext: 1_000_000 });
      const unconfirmed = await Promise.all(ids.map((id) => file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` })));
      for (const response of unconfirmed) {
        expect(response.status).toBe(504);
        expect(response.body.metadata?.code).toBe("charge_unconfirmed");
        expect(response.body.message).not.toMatch(/nothing was charged|no charge/i);
      }
      for (const id of ids) expect((await file.ingress.getStatus(id)).body).toMatchObject({ status: "unconfirmed", failure: { code: "charge_unconfirmed" } });
      const duringOutage = await auditLedger(file.stack.gatewayClient, file.ingress, ids);
      expect(duringOutage.successfulCharges).toBe(0);

      // The same key replays the stored answer (that is what a key promises)...
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      const replayed = await file.ingress.createPayment(ids[0]!, visa, { idempotencyKey: `key-${ids[0]}` });
      expect(replayed.status).toBe(504);
      expect(replayed.text).toBe(unconfirmed[0]!.text);
      // ...while a create without the old key looks the charge up first, then charges once; the service's own
      // follow-ups would have done the same without any client.
      const recovered = await Promise.all(ids.map((id) => file.ingress.createPayment(id, visa)));
      for (const response of recovered) expect(response.body.status).toBe("succeeded");
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(count);
      return { requests: count * 2 + 1, chargesExpected: count, chargesSeen: result.successfulCharges };
    });
  }, 60_000);

  it("retries a flaky provider (30% of calls fail) to success", async () => {
    const count = CHAOS ? 100 : 30;
    await file.report.measure(`30% transient 5xx, ${count} payments`, async () => {
      const ids = Array.from({ length: count }, () => uniqueId("flaky"));
      await file.stack.gatewayClient.setFaults({ failureRate: 0.3 });
      const responses = await Promise.all(ids.map((id) => file.ingress.createPayment(id, visa)));
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      for (const response of responses) expect(response.body.status).toBe("succeeded");
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(count);
      return { requests: count, chargesExpected: count, chargesSeen: result.successfulCharges };
    });
  });
});

describe("case 4: dropped responses", () => {
  it("charges once per payment and refunds once per refund when the provider's answers are lost", async () => {
    const count = CHAOS ? 50 : 15;
    await file.report.measure(`${count} charges + ${count} refunds, every answer dropped once`, async () => {
      const ids = Array.from({ length: count }, () => uniqueId("dropped"));
      await file.stack.gatewayClient.setFaults({ dropNext: count });
      const created = await Promise.all(ids.map((id) => file.ingress.createPayment(id, visa)));
      for (const response of created) expect(response.body.status).toBe("succeeded");

      await file.stack.gatewayClient.setFaults({ dropNext: count });
      const refunded = await Promise.all(ids.map((id) => file.ingress.refund(id, { refundId: "r1", amount: 4_000 })));
      for (const response of refunded) expect(response.body.refundedAmount).toBe(4_000);
      expect((await file.stack.gatewayClient.setFaults({})).dropNext).toBe(0); // every drop happened

      for (const id of ids) {
        const charges = await succeededCharges(file.stack.gatewayClient, id);
        expect(charges).toHaveLength(1);
        expect(await file.stack.gatewayClient.listRefunds({ reference: id })).toHaveLength(1);
      }
      const result = await file.audit(ids);
      return { requests: count * 2, chargesExpected: count, chargesSeen: result.successfulCharges };
    });
  });
});
