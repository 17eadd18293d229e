// The playground against the cluster (as `npm run start:cluster` starts it):
// creates go to each node in turn, each answer names its node, and a dead
// node is skipped for the next one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../orchestration/ports.js";
import { type Answer, type Playground, startPlayground } from "../../playground/server.js";
import { type TestCluster, startTestCluster } from "../support/cluster_under_test.js";
import { uniqueId, visa } from "../support/payments.js";

let cluster: TestCluster;
let playground: Playground;

beforeAll(async () => {
  cluster = await startTestCluster();
  playground = await startPlayground({
    port: await freePort(),
    ingressUrl: cluster.nodes[0]!.ingressUrl,
    ingressNodes: cluster.nodes.map((node) => ({ name: node.name, url: node.ingressUrl })),
    adminUrl: cluster.nodes[0]!.adminUrl,
    gatewayUrl: cluster.gatewayUrl,
  });
}, 60_000);

afterAll(async () => {
  await playground?.close();
  await cluster?.dispose();
});

async function send(paymentId: string, copies: number): Promise<Answer[]> {
  const response = await fetch(new URL(`/api/payments/${paymentId}/create`, playground.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ request: visa, idempotencyKey: `key-${paymentId}`, copies, concurrently: false }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { answers: Answer[] }).answers;
}

describe("the playground on a cluster", () => {
  it("sends each copy through the next node and says which one answered; a dead node is skipped", async () => {
    const id = uniqueId("pg-cluster");
    const answers = await send(id, 3);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.node?.split(" ")[0]).sort()).toEqual(["n1", "n2", "n3"]);
    expect(answers[0]!.node).toBe(`n1 (${cluster.nodes[0]!.ports.ingress})`);
    expect(new Set(answers.map((a) => a.invocationId)).size).toBe(1);

    await cluster.nodes[1]!.server.kill();
    const withoutN2 = await send(id, 3);
    expect(withoutN2.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(withoutN2.map((a) => a.node?.split(" ")[0])).not.toContain("n2");
    expect(new Set(withoutN2.map((a) => a.invocationId))).toEqual(new Set(answers.map((a) => a.invocationId)));
    await cluster.startNode(2);
  });
});
