// The reliability cases that make sense for any implementation of the payment
// API, written once against "a payment API under test" (an HTTP base URL, the
// gateway, and a way to crash and restart the service). Each case returns what
// happened; the test files say what each implementation must do about it.
import { NO_FAULTS } from "../../code/mock_provider.js";
import { waitFor } from "../../orchestration/processes.js";
import { auditLedger } from "./audit.js";
import type { HandrolledStack } from "./handrolled_under_test.js";
import { createWithRetries, succeededCharges, uniqueId, visa } from "./payments.js";

export interface CaseOutcome {
  /** Ledger audit violations right after recovery (a charge the service does not know about, a double charge, ...). */
  violations: string[];
  chargesSeen: number;
  chargesExpected: number;
  statuses: number[];
}

export type PaymentApiUnderTest = HandrolledStack;

export interface ReliabilityCase {
  name: string;
  run(api: PaymentApiUnderTest): Promise<CaseOutcome>;
}

const key = (id: string) => `key-${id}`;
/**
 * A storm's requests retry as a real client with an idempotency key does (back-off, a few attempts): a storm reuses
 * the hundreds of keep-alive connections the one before left idle, and the server closes an idle one after 5 s
 * (Node's keepAliveTimeout) while the client, meant to give it up a little earlier (the server's Keep-Alive hint
 * less a margin), runs its timers late on a busy machine: it sends on a socket the server is closing and sees
 * ECONNRESET or "other side closed". The key makes the retry safe; that is what it is for.
 */
const STORM_ATTEMPTS = 4;
/** Long enough for the phased variant's lease (2 s in tests) and completer to act; the naive one has neither. */
const RECOVERY_WINDOW_MS = 5_000;

async function outcome(api: PaymentApiUnderTest, ids: string[], statuses: number[], expected = ids.length): Promise<CaseOutcome> {
  const audit = await auditLedger(api.gatewayClient, api.api, ids);
  return { violations: audit.violations, chargesSeen: audit.successfulCharges, chargesExpected: expected, statuses };
}

/** After a crash: until the payment is settled, or the recovery window ends without it. */
async function settledWithin(api: PaymentApiUnderTest, id: string): Promise<boolean> {
  return waitFor(`${id} to settle`, async () => (await api.api.getStatus(id)).body?.status === "succeeded", { timeoutMs: RECOVERY_WINDOW_MS }).then(
    () => true,
    () => false,
  );
}

/** Creates the payment, its answer held back, SIGKILLs the service once the provider has charged, and restarts it. */
async function crashOnceTheProviderCharged(api: PaymentApiUnderTest, id: string): Promise<void> {
  await api.gatewayClient.setFaults({ answerDelayMs: 3_000 });
  const lost = api.api.createPayment(id, visa, { idempotencyKey: key(id) }).catch((error: Error) => error);
  await waitFor("the provider to record the charge", async () => (await succeededCharges(api.gatewayClient, id)).length === 1);
  await api.crash();
  await lost;
  await api.gatewayClient.setFaults(NO_FAULTS);
  await api.restart();
}

export const CASES: ReliabilityCase[] = [
  {
    name: "SIGKILL after the provider charged, before the record was written (client never retries)",
    async run(api) {
      const id = uniqueId("after-charge");
      await crashOnceTheProviderCharged(api, id);
      await settledWithin(api, id);
      return outcome(api, [id], []);
    },
  },
  {
    name: "SIGKILL after the provider charged, then the client retries with its key",
    async run(api) {
      const id = uniqueId("after-charge-retry");
      await crashOnceTheProviderCharged(api, id);
      let last = 0;
      await waitFor("the retry to get a final answer", async () => {
        last = (await api.api.createPayment(id, visa, { idempotencyKey: key(id) })).status;
        return last !== 409;
      }, { timeoutMs: 20_000, intervalMs: 250 });
      return outcome(api, [id], [last]);
    },
  },
  {
    name: "SIGKILL while the charge is in flight (client never retries)",
    async run(api) {
      const id = uniqueId("inflight");
      await api.gatewayClient.setFaults({ latencyMs: 1_500 });
      const lost = api.api.createPayment(id, visa, { idempotencyKey: key(id) }).catch((error: Error) => error);
      await new Promise((resolve) => setTimeout(resolve, 300)); // no state to poll in the naive variant: the request is in the provider's latency
      await api.crash();
      await lost;
      await waitFor("the provider to finish the orphaned call", async () => (await succeededCharges(api.gatewayClient, id)).length === 1, { timeoutMs: 10_000 }).catch(() => undefined);
      await api.gatewayClient.setFaults(NO_FAULTS);
      await api.restart();
      await settledWithin(api, id);
      return outcome(api, [id], []);
    },
  },
  {
    name: "the provider charges but drops its answer twice",
    async run(api) {
      const id = uniqueId("dropped");
      await api.gatewayClient.setFaults({ dropNext: 2 });
      const response = await api.api.createPayment(id, visa, { idempotencyKey: key(id) });
      await api.gatewayClient.setFaults(NO_FAULTS);
      return outcome(api, [id], [response.status]);
    },
  },
  {
    name: "a 2 s provider outage (every call 503) with 10 payments",
    async run(api) {
      const ids = Array.from({ length: 10 }, () => uniqueId("outage"));
      await api.gatewayClient.setFaults({ failureRate: 1 });
      const responses = ids.map((id) => api.api.createPayment(id, visa, { idempotencyKey: key(id) }));
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the outage lasts 2 s: the duration is the case
      await api.gatewayClient.setFaults(NO_FAULTS);
      return outcome(api, ids, (await Promise.all(responses)).map((r) => r.status));
    },
  },
  {
    name: "500 concurrent duplicates: one key",
    async run(api) {
      const id = uniqueId("storm-one-key");
      const responses = await Promise.all(Array.from({ length: 500 }, () => createWithRetries(api.api, id, visa, { idempotencyKey: key(id), attempts: STORM_ATTEMPTS })));
      return outcome(api, [id], responses.map((r) => r.status));
    },
  },
  {
    name: "500 concurrent duplicates: one payment, 500 keys",
    async run(api) {
      const id = uniqueId("storm-many-keys");
      const responses = await Promise.all(
        Array.from({ length: 500 }, (_, i) => createWithRetries(api.api, id, visa, { idempotencyKey: `${key(id)}-${i}`, attempts: STORM_ATTEMPTS })),
      );
      return outcome(api, [id], responses.map((r) => r.status));
    },
  },
  {
    name: "500 concurrent requests mixed: 50 payments, 5 keys each, 2 tries per key",
    async run(api) {
      const ids = Array.from({ length: 50 }, () => uniqueId("storm-mixed"));
      const calls = ids.flatMap((id) =>
        Array.from({ length: 10 }, (_, i) => createWithRetries(api.api, id, visa, { idempotencyKey: `${key(id)}-${i % 5}`, attempts: STORM_ATTEMPTS })),
      );
      return outcome(api, ids, (await Promise.all(calls)).map((r) => r.status));
    },
  },
];
