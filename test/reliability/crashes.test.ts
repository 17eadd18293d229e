// Cases 1 and 2: the service endpoint and restate-server die (SIGKILL) with
// payments in flight. Every case ends with the ledger audit.
import { describe, expect, it } from "vitest";
import { NO_FAULTS } from "../../code/mock_provider.js";
import { waitFor } from "../../orchestration/processes.js";
import { CHAOS, createWithRetries, succeededCharges, uniqueId, visa, waitForStatus } from "../support/payments.js";
import { reliabilityFile } from "../support/reliability.js";

// A lost answer is looked up 1 s later (30 s by default), so the audit does not wait long for the follow-ups.
const file = reliabilityFile("crashes", { endpointEnv: { RECONCILE_AFTER_MS: "1000" } });
const touched = new Set<string>();
const newId = (prefix: string) => {
  const id = uniqueId(prefix);
  touched.add(id);
  return id;
};

describe("case 1: the service endpoint crashes mid-charge", () => {
  it("is killed while the provider call is in flight, restarts, and the payment completes with one charge", async () => {
    await file.report.measure("endpoint SIGKILL while the charge is in flight", async () => {
      const id = newId("crash-inflight");
      await file.stack.gatewayClient.setFaults({ latencyMs: 1_500 });
      const creating = file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` });
      await waitForStatus(file.ingress, id, "pending"); // state is set just before the provider call
      await file.stack.endpoints[0]!.kill();
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      await file.stack.startEndpointAgain();

      const response = await creating;
      expect(response.status).toBe(200);
      expect(response.body.status).toBe("succeeded");
      const charges = await succeededCharges(file.stack.gatewayClient, id);
      expect(charges.map((c) => c.id)).toEqual([response.body.chargeId]);
      await file.audit([id]);
      return { requests: 1, chargesExpected: 1, chargesSeen: charges.length };
    });
  });

  it("is killed after the provider charged but before the answer was journaled, and the retry reuses the provider key", async () => {
    await file.report.measure("endpoint SIGKILL after the provider charged, before the journal", async () => {
      const id = newId("crash-answered");
      // The provider charges at once, then waits 3 s before answering: the window to crash in.
      await file.stack.gatewayClient.setFaults({ answerDelayMs: 3_000 });
      const creating = file.ingress.createPayment(id, visa);
      await waitFor("the provider to record the charge", async () => (await succeededCharges(file.stack.gatewayClient, id)).length === 1);
      await file.stack.endpoints[0]!.kill();
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      await file.stack.startEndpointAgain();

      const response = await creating;
      expect(response.status).toBe(200);
      const charges = await succeededCharges(file.stack.gatewayClient, id);
      expect(charges.map((c) => c.id)).toEqual([response.body.chargeId]);
      expect(charges[0]!.idempotencyKey).toBe(`payment-${id}-charge`);
      await file.audit([id]);
      return { requests: 1, chargesExpected: 1, chargesSeen: charges.length };
    });
  });

  it("survives repeated crashes at arbitrary moments with many payments in flight", async () => {
    const payments = CHAOS ? 40 : 12;
    const crashes = CHAOS ? 8 : 3;
    await file.report.measure(`${crashes} endpoint crashes, ${payments} payments in flight`, async () => {
      const ids = Array.from({ length: payments }, () => newId("crash-storm"));
      await file.stack.gatewayClient.setFaults({ latencyMs: 400 });
      const creating = ids.map((id) => file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` }));
      for (let crash = 0; crash < crashes; crash++) {
        // Crash at a varying point: after the first, second, ... payment has settled.
        await waitFor("some progress", async () => {
          const statuses = await Promise.all(ids.map(async (id) => (await file.ingress.getStatus(id)).body?.status));
          return statuses.filter((s) => s !== undefined).length >= Math.min(ids.length, crash + 1);
        });
        await file.stack.endpoints[0]!.kill();
        await file.stack.startEndpointAgain();
      }
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      const responses = await Promise.all(creating);
      for (const response of responses) expect(response.status).toBe(200);
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(payments);
      return { requests: payments, chargesExpected: payments, chargesSeen: result.successfulCharges };
    });
  });
});

describe("case 1b: the endpoint crashes while every answer of the provider is lost", () => {
  it("charges each payment once, and never reports failed for a payment the ledger shows charged", async () => {
    const payments = CHAOS ? 20 : 6;
    await file.report.measure(`endpoint SIGKILL, every answer lost, ${payments} payments, no client retry`, async () => {
      const ids = Array.from({ length: payments }, () => newId("crash-lost"));
      await file.stack.gatewayClient.setFaults({ dropNext: 1_000_000 });
      const creating = ids.map((id) => file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` }).catch((error: Error) => error));
      await waitFor("every charge to reach the provider", async () => (await Promise.all(ids.map((id) => succeededCharges(file.stack.gatewayClient, id)))).every((c) => c.length === 1));
      await file.stack.endpoints[0]!.kill();
      await file.stack.startEndpointAgain();
      for (const answer of await Promise.all(creating)) {
        if (answer instanceof Error) throw answer;
        expect(answer.status).toBe(504); // unconfirmed: every answer of every attempt was lost
      }
      // The provider answers again; nobody retries: the service's own follow-ups must find every charge.
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      for (const id of ids) await waitForStatus(file.ingress, id, "succeeded", 30_000);
      const result = await file.audit(ids);
      expect(result.successfulCharges).toBe(payments);
      return { requests: payments, chargesExpected: payments, chargesSeen: result.successfulCharges };
    });
  }, 90_000);
});

describe("case 2: restate-server is killed and restarted on the same data dir", () => {
  it("keeps every result and state, finishes in-flight payments, and charges nothing new", async () => {
    const settledCount = 5;
    const inflightCount = CHAOS ? 30 : 10;
    await file.report.measure(`restate-server SIGKILL with ${inflightCount} in flight`, async () => {
      const settled = Array.from({ length: settledCount }, () => newId("restart-settled"));
      const firstAnswers = await Promise.all(settled.map((id) => file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` })));
      for (const answer of firstAnswers) expect(answer.status).toBe(200);

      const inflight = Array.from({ length: inflightCount }, () => newId("restart-inflight"));
      await file.stack.gatewayClient.setFaults({ latencyMs: 1_500 });
      const lost = inflight.map((id) => file.ingress.createPayment(id, visa, { idempotencyKey: `key-${id}` }).catch((error: Error) => error));
      for (const id of inflight) await waitForStatus(file.ingress, id, "pending");

      await file.stack.restate.kill();
      await Promise.all(lost); // those connections break; the clients will retry with their keys
      await file.stack.gatewayClient.setFaults(NO_FAULTS);
      await file.stack.startRestateAgain();

      const retried = await Promise.all(inflight.map((id) => createWithRetries(file.ingress, id, visa, { idempotencyKey: `key-${id}` })));
      for (const response of retried) {
        expect(response.status).toBe(200);
        expect(response.body.status).toBe("succeeded");
      }
      for (const [index, id] of settled.entries()) {
        const sameKey = await createWithRetries(file.ingress, id, visa, { idempotencyKey: `key-${id}` });
        expect(sameKey.text).toBe(firstAnswers[index]!.text);
        expect(sameKey.headers.get("x-restate-id")).toBe(firstAnswers[index]!.headers.get("x-restate-id"));
        const noKey = await createWithRetries(file.ingress, id, visa);
        expect(noKey.body).toEqual(firstAnswers[index]!.body);
        expect((await file.ingress.getStatus(id)).body).toEqual(firstAnswers[index]!.body);
      }
      const result = await file.audit([...settled, ...inflight]);
      expect(result.successfulCharges).toBe(settledCount + inflightCount);
      return {
        requests: settledCount * 3 + inflightCount * 2,
        chargesExpected: settledCount + inflightCount,
        chargesSeen: result.successfulCharges,
      };
    });
  });
});

describe("after all crashes", () => {
  it("the ledger audit over every payment of this file is clean", async () => {
    const result = await file.audit(touched);
    expect(result.successfulCharges).toBe(touched.size);
  });
});
