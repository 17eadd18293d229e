// The service's safe defaults, tried as an attacker on the same machine would:
// an oversized body is refused at the ingress before it is stored, and the
// endpoint refuses requests restate-server did not sign.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as http2 from "node:http2";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGRESS_REQUEST_SIZE_LIMIT } from "../orchestration/parts.js";
import { Ingress, PaymentAnswer, postWithExpectContinue } from "./support/ingress.js";
import { uniqueId, visa } from "./support/payments.js";
import { type ThrowawayStack, startThrowawayStack } from "../orchestration/throwaway.js";

let stack: ThrowawayStack;

beforeAll(async () => {
  stack = await startThrowawayStack();
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
});

/** The data dir's size on disk in MiB. */
const dataDirMiB = () => Number(execFileSync("du", ["-sk", path.join(stack.dir, "restate")]).toString().split("\t")[0]) / 1024;

const post = async (url: string, body: Buffer) => {
  const response = await postWithExpectContinue(url, body, { "content-type": "application/json" });
  return { status: response.status, text: await response.text() };
};

/** A create body with the three expected fields and one extra field padded to `bytes` in all. */
function createBodyOf(bytes: number): Buffer {
  const head = JSON.stringify({ ...visa, pad: "" }).slice(0, -2);
  const padding = randomBytes(bytes).toString("base64").slice(0, bytes - head.length - 2);
  return Buffer.from(`${head}${padding}"}`);
}

describe("oversized input", () => {
  it("refuses five 20 MB bodies with a 413 at the ingress, storing almost nothing", async () => {
    // What the server accepted shows on disk only after its storage engine flushes, which a restart does;
    // measured right after start, the size is still settling by a few MB.
    const restartRestate = async () => {
      await stack.restate.stop(30_000);
      await stack.startRestateAgain();
    };
    await restartRestate();
    const before = dataDirMiB();
    const body = createBodyOf(20 * 1024 * 1024);
    for (let i = 0; i < 5; i++) {
      const answer = await post(`${stack.ingressUrl}/PaymentService/${uniqueId("big")}/create`, body);
      expect(answer.status).toBe(413);
      expect(answer.text).toMatch(/length limit exceeded/);
    }
    await restartRestate();
    const growth = dataDirMiB() - before;
    // Without the limit the five grow it by about 200 MiB.
    expect(growth, `the data dir grew ${growth.toFixed(1)} MiB`).toBeLessThan(5);
  }, 180_000);

  it("answers a body just under the limit that is otherwise invalid with the usual 400", async () => {
    const body = createBodyOf(INGRESS_REQUEST_SIZE_LIMIT.bytes - 100);
    const answer = await post(`${stack.ingressUrl}/PaymentService/${uniqueId("under")}/create`, body);
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/Unrecognized key: \\?"pad\\?"/);
  }, 60_000);
});

describe("request identity", () => {
  it("refuses a request straight to the endpoint that restate-server did not sign", async () => {
    const session = http2.connect(stack.endpoints[0]!.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = session.request({ ":method": "POST", ":path": "/invoke/PaymentService/create" });
        request.on("response", (headers) => resolve(Number(headers[":status"])));
        request.on("error", reject);
        request.end();
      });
      expect([401, 403]).toContain(status);
    } finally {
      session.close();
    }
  });

  it("still runs requests that come through the ingress", async () => {
    const ingress = new Ingress(stack.ingressUrl);
    const answer = await ingress.request(`/PaymentService/${uniqueId("signed")}/create`, visa, {}, PaymentAnswer);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("succeeded");
  }, 60_000);

  it("leaves no unsigned-requests warning in the endpoint's output", () => {
    const output = stack.logTail("service", 1_000);
    expect(output).toMatch(/PaymentService endpoint listening on/); // the log is the endpoint's
    expect(output).not.toMatch(/without validating request signatures/);
  });
});
