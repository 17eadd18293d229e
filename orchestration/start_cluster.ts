// `npm run start:cluster`: the same service on a 3-node Restate cluster on
// loopback (data under .restate/cluster/nN), with the mock gateway, the
// endpoint and the playground. Ctrl-C stops every process by PID. A dead
// endpoint is started again; a dead Restate node is only reported, with the
// command that starts it again, so that a learner can watch the other two
// ride it out:
//
//   npm run start:cluster -- --node 2   # asks the running launcher to start node 2 again
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PORT_VARIABLE, dataDirFromEnv, portFromEnv, portsFromEnv } from "../code/config.js";
import { CLUSTER_REPLICATION, CLUSTER_SIZE, type Cluster, type NodePorts, startCluster } from "./cluster.js";
import { beginLaunch, exitWith, startOrExit, type WantedPort } from "./launch.js";
import { REPO_ROOT } from "./paths.js";
import { runningLauncher } from "./process_record.js";
import { waitFor } from "./processes.js";
import { superviseAndServePlayground } from "./serve_playground.js";

const startedAt = performance.now();
const launcherLog = (line: string) => console.log(`[launcher] ${line}`);
const dataDir = path.join(dataDirFromEnv(REPO_ROOT), "cluster");
/** Node N listens on the base port + N - 1 of each kind. */
const nodePorts: NodePorts[] = Array.from({ length: CLUSTER_SIZE }, (_, index) => ({
  ingress: portFromEnv("ingress") + index,
  admin: portFromEnv("admin") + index,
  node: portFromEnv("node") + index,
}));
const { service: servicePort, gateway: gatewayPort } = portsFromEnv();
const restartCommand = (number: number) => `npm run start:cluster -- --node ${number}`;
const requestFile = (number: number) => path.join(dataDir, `node-${number}.start-request`);
const answerFile = (number: number) => path.join(dataDir, `node-${number}.start-answer`);

const { values } = parseArgs({ options: { node: { type: "string" } }, strict: true });
if (values.node !== undefined) await askLauncherToStartNode(Number(values.node));
else await launch();

/** `--node N`: the launcher owns every process, so it is asked (a request file and SIGUSR2) to start node N again. */
async function askLauncherToStartNode(number: number): Promise<never> {
  if (!Number.isInteger(number) || number < 1 || number > CLUSTER_SIZE) exitWith(`--node takes a node number, 1 to ${CLUSTER_SIZE}`);
  const launcher = await runningLauncher(dataDir);
  if (launcher === undefined) exitWith(`no npm run start:cluster runs on ${path.relative(process.cwd(), dataDir)}/; start the cluster first: npm run start:cluster`);
  rmSync(answerFile(number), { force: true });
  writeFileSync(requestFile(number), `${process.pid}\n`);
  process.kill(launcher, "SIGUSR2");
  console.log(`Asked the launcher (pid ${launcher}) to start node n${number} again...`);
  await waitFor(`the launcher to answer`, async () => existsSync(answerFile(number)), { timeoutMs: 60_000, intervalMs: 100 });
  const answer = readFileSync(answerFile(number), "utf8").trim();
  rmSync(answerFile(number), { force: true });
  console.log(answer);
  process.exit(answer.startsWith("Could not") ? 1 : 0);
}

async function launch(): Promise<void> {
  const playgroundPort = portFromEnv("playground");
  const wanted: WantedPort[] = [
    ...nodePorts.flatMap((ports, index): WantedPort[] => [
      { part: `n${index + 1} ingress`, port: ports.ingress, variable: PORT_VARIABLE.ingress },
      { part: `n${index + 1} admin`, port: ports.admin, variable: PORT_VARIABLE.admin },
      { part: `n${index + 1} node-to-node`, port: ports.node, variable: PORT_VARIABLE.node },
    ]),
    { part: "service", port: servicePort, variable: PORT_VARIABLE.service },
    { part: "gateway", port: gatewayPort, variable: PORT_VARIABLE.gateway },
    { part: "playground", port: playgroundPort, variable: PORT_VARIABLE.playground },
  ];
  const record = await beginLaunch({ dataDir, command: "npm run start:cluster", ports: wanted, log: launcherLog });

  console.log(`Starting a ${CLUSTER_SIZE}-node Restate cluster (data in ${path.relative(process.cwd(), dataDir)}/), the mock gateway and PaymentService...`);
  // Listening from the moment the record names this launcher: SIGUSR2's default action would end it.
  let clusterStarted: () => void = () => {};
  let serving = new Promise<void>((resolve) => (clusterStarted = resolve));
  process.on("SIGUSR2", () => {
    serving = serving.then(() => startRequestedNodes(cluster)).catch((error: Error) => launcherLog(`could not serve a node start request: ${error.message}`));
  });
  const cluster: Cluster = await startOrExit(record, () =>
    startCluster({
      dataDir,
      nodes: nodePorts,
      servicePort,
      gatewayPort,
      gatewayLedgerFile: path.join(dataDir, "gateway-ledger.jsonl"),
      output: () => ({ kind: "terminal" }),
      log: launcherLog,
    }),
  );

  const { shutdown, playground } = await superviseAndServePlayground({
    record,
    command: "npm run start:cluster",
    parts: "the service endpoint, the gateway and the Restate nodes",
    stack: cluster,
    playground: {
      port: playgroundPort,
      ingressUrl: cluster.nodes[0]!.ingressUrl,
      ingressNodes: cluster.nodes.map((node) => ({ name: node.name, url: node.ingressUrl })),
      adminUrl: cluster.nodes[0]!.adminUrl,
      gatewayUrl: cluster.gatewayUrl,
    },
    log: launcherLog,
  });
  void cluster.gateway.exited.then(({ code, signal }) => {
    if (!shutdown.stopping) void shutdown(`the gateway exited unexpectedly (code ${code}, signal ${signal})`, 1);
  });

  // A dead node is the point of the exercise: say what it means, and how to bring it back, but leave it down.
  const watchNode = (number: number) => {
    const node = cluster.nodes[number - 1]!;
    const server = node.server;
    void server.exited.then(({ code, signal }) => {
      if (shutdown.stopping) return;
      const live = cluster.liveNodes().map((n) => n.name);
      const consequence =
        live.length >= CLUSTER_REPLICATION
          ? `${live.join(" and ")} go on (every record is on ${CLUSTER_REPLICATION} of ${CLUSTER_SIZE} nodes)`
          : `only ${live.join(", ") || "no node"} left: fewer than ${CLUSTER_REPLICATION} nodes cannot write, so requests wait until a node is back`;
      launcherLog(`Restate node ${node.name} (pid ${server.pid}) exited (code ${code}, signal ${signal}); ${consequence}. Start it again: ${restartCommand(number)}`);
    });
  };
  cluster.nodes.forEach((node) => watchNode(node.number));
  const startRequestedNodes = async (running: Cluster) => {
    if (shutdown.stopping) return;
    for (const file of readdirSync(dataDir).filter((name) => /^node-\d+\.start-request$/.test(name))) {
      const number = Number(/\d+/.exec(file)![0]);
      rmSync(path.join(dataDir, file), { force: true });
      let answer: string;
      try {
        const server = await running.startNode(number);
        watchNode(number);
        answer = `Node n${number} is back (pid ${server.pid}): it rejoined the cluster; its ingress ${server.ingressUrl} answers again.`;
      } catch (error) {
        answer = `Could not start node n${number}: ${(error as Error).message}`;
      }
      launcherLog(answer);
      writeFileSync(answerFile(number), `${answer}\n`);
    }
  };
  clusterStarted();

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const [n1, n2, n3] = cluster.nodes as [Cluster["nodes"][0], Cluster["nodes"][0], Cluster["nodes"][0]];
  const body = `-H 'content-type: application/json' -H 'idempotency-key: order-1' -d '{"amount": 10000, "currency": "USD", "source": "tok_visa"}'`;
  console.log(`
Ready in ${seconds} s. A ${CLUSTER_SIZE}-node Restate cluster, every record on ${CLUSTER_REPLICATION} nodes:
${cluster.nodes
  .map((node) => `  node ${node.name} (pid ${node.server.pid})  ingress ${node.ingressUrl}  admin/UI ${node.adminUrl}/ui/  node-to-node 127.0.0.1:${node.ports.node}`)
  .join("\n")}
  service endpoint    http://127.0.0.1:${servicePort}  (registered once, with the cluster)
  mock gateway        ${cluster.gatewayUrl}  (ledger: ${cluster.gatewayUrl}/v1/charges)
  playground          ${playground.url}  (each answer says which node it came through)

Try it: the same payment through two nodes (same answer, same x-restate-id), then the ledger: one charge.
  curl -si ${n1.ingressUrl}/PaymentService/cl-1/create ${body}
  curl -si ${n2.ingressUrl}/PaymentService/cl-1/create ${body}
  curl -s '${cluster.gatewayUrl}/v1/charges?reference=cl-1'
Kill a node (kill -9 ${n3.server.pid} is n3) and call the others; then: ${restartCommand(3)}

Ctrl-C stops every node, the gateway and the endpoint.`);
}
