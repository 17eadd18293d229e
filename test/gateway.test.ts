// The mock gateway on its own, in process: it must behave like a real
// provider, or the end-to-end tests prove nothing.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MockGatewayClient } from "../code/mock_admin_client.js";
import { ProviderRejection, ProviderUnavailable } from "../code/provider_client.js";
import { type MockGateway, createGateway, listenGateway } from "../code/mock_gateway.js";
import { faultsFromEnv } from "../code/mock_provider.js";

let gateway: MockGateway;
let server: Server;
let url: string;
let client: MockGatewayClient;

beforeAll(async () => {
  gateway = createGateway();
  server = await listenGateway(gateway, 0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new MockGatewayClient(url);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  await client.reset();
});

const charge = { amount: 1_000, currency: "USD", source: "tok_visa", reference: "order-1" };

function post(path: string, body: unknown, key?: string) {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("charges", () => {
  it("charges a good card and lists it in the ledger", async () => {
    const result = await client.charge(charge, "k1");
    expect(result).toMatchObject({ object: "charge", status: "succeeded", amount: 1_000, reference: "order-1", idempotencyKey: "k1" });
    expect(result.id).toMatch(/^ch_/);
    expect(await client.listCharges({ reference: "order-1" })).toEqual([result]);
  });

  it("replays the stored answer for a repeated Idempotency-Key instead of charging again", async () => {
    const first = await post("/v1/charges", charge, "same-key");
    const second = await post("/v1/charges", charge, "same-key");
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
    expect(await client.listCharges()).toHaveLength(1);
  });

  it("forgets a key after its retention: the same key is then a new charge, while the ledger still lists both by reference", async () => {
    const first = await client.charge({ ...charge, reference: "order-retention" }, "retention-key");
    await client.setFaults({ keyRetentionMs: 0 });
    try {
      const second = await client.charge({ ...charge, reference: "order-retention" }, "retention-key");
      expect(second.id).not.toBe(first.id);
      expect((await client.listCharges({ reference: "order-retention" })).map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
    } finally {
      await client.setFaults({ keyRetentionMs: 86_400_000 });
    }
  });

  it("charges again for every request without a key (why keys matter)", async () => {
    await post("/v1/charges", charge);
    await post("/v1/charges", charge);
    expect(await client.listCharges()).toHaveLength(2);
  });

  it("refuses a key reused with different parameters", async () => {
    await post("/v1/charges", charge, "k2");
    const reused = await post("/v1/charges", { ...charge, amount: 2_000 }, "k2");
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: { type: "idempotency_error", code: "idempotency_key_reused" } });
    expect(await client.listCharges()).toHaveLength(1);
  });

  it("answers 409 to a second request with a key that is still being processed", async () => {
    await client.setFaults({ latencyMs: 300 });
    const [a, b] = await Promise.all([post("/v1/charges", charge, "k3"), post("/v1/charges", charge, "k3")]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect(await client.listCharges()).toHaveLength(1);
  });

  it("declines test cards with 402 card_error, and remembers the decline for the key", async () => {
    const declined = await post("/v1/charges", { ...charge, source: "tok_chargeDeclinedExpiredCard" }, "k4");
    const again = await post("/v1/charges", { ...charge, source: "tok_chargeDeclinedExpiredCard" }, "k4");
    expect(declined.status).toBe(402);
    const body = await declined.json();
    expect(body).toMatchObject({ error: { type: "card_error", code: "card_declined", declineCode: "expired_card" } });
    expect(await again.json()).toEqual(body);
    const ledger = await client.listCharges();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ status: "failed", declineCode: "expired_card" });
  });

  it("rejects unknown tokens and bad bodies with 400 and a message, never a 500", async () => {
    const unknown = await post("/v1/charges", { ...charge, source: "tok_nope" }, "k5");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toContain("No such token");
    const malformed = await post("/v1/charges", "{not json", "k6");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.type).toBe("invalid_request_error");
    const invalid = await post("/v1/charges", { amount: -1 }, "k7");
    expect(invalid.status).toBe(400);
    const oversized = await post("/v1/charges", { ...charge, description: "x".repeat(200_000) }, "k8");
    expect(oversized.status).toBe(413);
    expect(((await oversized.json()) as any).error.message).toBe("The request body is larger than the limit of 102400 bytes.");
    expect(await client.listCharges()).toHaveLength(0);
  });
});

describe("refunds", () => {
  it("refunds up to the charged amount, once per key", async () => {
    const charged = await client.charge(charge, "c1");
    const refund = { charge: charged.id, amount: 600, reference: "order-1" };
    const first = await client.refund(refund, "r1");
    const replay = await client.refund(refund, "r1");
    expect(replay).toEqual(first);
    await expect(client.refund({ ...refund, amount: 500 }, "r2")).rejects.toThrow(/greater than the unrefunded amount/);
    await client.refund({ ...refund, amount: 400 }, "r3");
    expect((await client.listRefunds({ charge: charged.id })).map((r) => r.amount).sort()).toEqual([400, 600]);
    expect((await client.listCharges())[0]!.amountRefunded).toBe(1_000);
  });
});

describe("faults", () => {
  it("fail-next answers 500, does nothing and does not burn the key", async () => {
    await client.setFaults({ failNext: 2 });
    await expect(client.charge(charge, "f1")).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(client.charge(charge, "f1")).rejects.toBeInstanceOf(ProviderUnavailable);
    const third = await client.charge(charge, "f1");
    expect(third.status).toBe("succeeded");
    expect(await client.listCharges()).toHaveLength(1);
  });

  it("drop-next charges, then cuts the connection; the retry with the same key gets that charge", async () => {
    await client.setFaults({ dropNext: 1 });
    await expect(client.charge(charge, "d1")).rejects.toBeInstanceOf(ProviderUnavailable);
    const ledger = await client.listCharges();
    expect(ledger).toHaveLength(1);
    const retried = await client.charge(charge, "d1");
    expect(retried.id).toBe(ledger[0]!.id);
    expect(await client.listCharges()).toHaveLength(1);
  });

  it("a failure rate of 1 answers 503 every time", async () => {
    await client.setFaults({ failureRate: 1 });
    const response = await post("/v1/charges", charge, "x");
    expect(response.status).toBe(503);
    expect(await client.listCharges()).toHaveLength(0);
  });

  it("latency delays the answer", async () => {
    await client.setFaults({ latencyMs: 200 });
    const started = performance.now();
    await client.charge(charge, "slow");
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("refuses bad fault settings with 400 and resets everything", async () => {
    const bad = await fetch(`${url}/admin/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ failureRate: 2, bogus: true }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/failureRate|bogus/);
    await client.setFaults({ latencyMs: 5, failNext: 3 });
    await client.charge({ ...charge, source: "tok_visa" }, "z").catch(() => undefined);
    await client.reset();
    expect(await (await fetch(`${url}/admin/faults`)).json()).toEqual({ latencyMs: 0, failureRate: 0, failNext: 0, dropNext: 0, answerDelayMs: 0, keyRetentionMs: 86_400_000 });
    expect(await client.listCharges()).toEqual([]);
  });

  it("reads fault settings from the environment and refuses nonsense", () => {
    expect(faultsFromEnv({ GATEWAY_LATENCY_MS: "25", GATEWAY_FAILURE_RATE: "0.1" })).toEqual({
      latencyMs: 25,
      failureRate: 0.1,
      failNext: 0,
      dropNext: 0,
      answerDelayMs: 0,
      keyRetentionMs: 86_400_000,
    });
    expect(faultsFromEnv({ GATEWAY_KEY_RETENTION_MS: "0" }).keyRetentionMs).toBe(0);
    expect(() => faultsFromEnv({ GATEWAY_FAILURE_RATE: "often" })).toThrow(/failureRate/);
  });
});

describe("a ledger file", () => {
  it("keeps charges, refunds and idempotency keys across a restart of the gateway", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gateway-ledger-"));
    const ledgerFile = path.join(dir, "ledger.jsonl");
    const servers: Server[] = [];
    const start = async () => {
      const server = await listenGateway(createGateway({ ledgerFile }), 0);
      servers.push(server);
      return new MockGatewayClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    };
    try {
      const before = await start();
      const charged = await before.charge(charge, "persist-1");
      await before.refund({ charge: charged.id, amount: 300, reference: "order-1" }, "persist-r1");

      const after = await start();
      expect(await after.listCharges()).toEqual(await before.listCharges());
      expect((await after.listCharges())[0]!.amountRefunded).toBe(300);
      expect(await after.listRefunds()).toHaveLength(1);
      expect((await after.charge(charge, "persist-1")).id).toBe(charged.id); // the key survived too
      expect(await after.listCharges()).toHaveLength(1);

      await after.reset();
      expect(await (await start()).listCharges()).toEqual([]);
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("client error classes", () => {
  it("sorts answers into rejections (do not retry) and unavailability (retry)", async () => {
    await expect(client.charge({ ...charge, source: "tok_chargeDeclined" }, "e1")).rejects.toBeInstanceOf(ProviderRejection);
    const closed = new MockGatewayClient("http://127.0.0.1:1");
    await expect(closed.charge(charge, "e2")).rejects.toBeInstanceOf(ProviderUnavailable);
  });

  it("gives a decline's typed fields, the same as a value and as an exception, with the declined charge's id", async () => {
    const declined = { ...charge, source: "tok_chargeDeclinedInsufficientFunds" };
    const outcome = await client.chargeOutcome(declined, "e3");
    const [made] = await client.listCharges();
    expect(outcome).toEqual({
      outcome: "rejected",
      rejection: {
        provider: "payment provider",
        status: 402,
        type: "card_error",
        code: "card_declined",
        declineCode: "insufficient_funds",
        chargeId: made!.id,
        message: "Your card has insufficient funds.",
      },
    });
    const thrown = await client.charge(declined, "e3").catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(ProviderRejection);
    expect({ ...(thrown as ProviderRejection), message: (thrown as ProviderRejection).message }).toMatchObject(
      outcome.outcome === "rejected" ? outcome.rejection : {},
    );
  });

  it("sorts 409 (the same key in progress) and 5xx as unavailable, a 400 as rejected", async () => {
    await client.setFaults({ failNext: 1 });
    expect(await client.chargeOutcome(charge, "e4")).toMatchObject({ outcome: "unavailable", message: expect.stringMatching(/answered 500/) });
    await client.setFaults({ latencyMs: 300 });
    const [a, b] = await Promise.all([client.chargeOutcome(charge, "e5"), client.chargeOutcome(charge, "e5")]);
    expect([a.outcome, b.outcome].sort()).toEqual(["done", "unavailable"]);
    expect(await client.chargeOutcome({ ...charge, source: "tok_nope" }, "e6")).toMatchObject({
      outcome: "rejected",
      rejection: { status: 400, code: "resource_missing" },
    });
  });
});
