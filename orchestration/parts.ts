// The three parts of a stack, each started, waited for and registered:
// restate-server, the mock gateway and a service endpoint.
import { createRequire } from "node:module";
import { mkdirSync, rmSync } from "node:fs";
import { arch, platform } from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { FAULT_VARIABLES, type FaultSettings } from "../code/types.js";
import { GATEWAY_ENTRY, PAYMENT_ENDPOINT, tsxArgs } from "./paths.js";
import { tcpOpen } from "./ports.js";
import { type ManagedProcess, type Output, httpOk, readyOrStopped, spawnManaged, waitFor } from "./processes.js";
import { type RequestIdentity, requestIdentityEndpointEnv, requestIdentityServerEnv } from "./request_identity.js";

const require = createRequire(import.meta.url);

export function restateServerBinary(): string {
  // The npm wrapper would run the binary as its own child; we want the real PID.
  return require.resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
}

/**
 * The largest request body the ingress takes. A create or refund body is under
 * 1 KiB (three short fields); 64 KiB leaves 64 times that for longer ids or new
 * fields, and is still 500 times smaller than restate-server's default (32 MiB),
 * which journals whatever fits before the handler can refuse it. Larger bodies
 * are answered 413 before anything is stored.
 */
export const INGRESS_REQUEST_SIZE_LIMIT = { bytes: 64 * 1024, setting: "64 KiB" };

/** Server settings every stack shares: the ingress's body limit. */
function ingressLimitsEnv(): Record<string, string> {
  return { RESTATE_INGRESS__REQUEST_SIZE_LIMIT: INGRESS_REQUEST_SIZE_LIMIT.setting };
}

export interface RestateServer extends ManagedProcess {
  ingressUrl: string;
  adminUrl: string;
}

export async function startRestateServer(options: {
  dataDir: string;
  ingressPort: number;
  adminPort: number;
  /** Node-to-node port; unused by a single node, but it must not collide. */
  nodePort: number;
  output: Output;
  /** Extra server settings, e.g. RESTATE_DEFAULT_IDEMPOTENCY_RETENTION. */
  env?: Record<string, string>;
  /** Sign requests to endpoints with this key (orchestration/request_identity.ts). */
  requestIdentity?: RequestIdentity;
  /** The node's name, unique in a cluster. */
  nodeName?: string;
  /** Join (or, with autoProvision, found) a multi-node cluster instead of running alone. */
  cluster?: ClusterMembership;
}): Promise<RestateServer> {
  mkdirSync(options.dataDir, { recursive: true });
  // restate-server makes scratch dirs (invoker-<id>) in TMPDIR and leaves them behind; keep them in the
  // data dir, emptied at each start, so a test's temp dir takes them along and /tmp stays clean.
  const scratchDir = path.join(options.dataDir, "tmp");
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true });
  const server = spawnManaged(
    options.nodeName ? `restate-${options.nodeName}` : "restate",
    restateServerBinary(),
    ["--no-logo", "--base-dir", options.dataDir, "--node-name", options.nodeName ?? "course", "--listen-mode", "tcp"],
    {
      output: options.output,
      env: {
        TMPDIR: scratchDir,
        RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${options.ingressPort}`,
        RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${options.adminPort}`,
        RESTATE_BIND_ADDRESS: `127.0.0.1:${options.nodePort}`,
        RESTATE_DISABLE_TELEMETRY: "true",
        // octocrab is the update check; there is no internet to reach here.
        RESTATE_LOG_FILTER: "warn,octocrab=off",
        RESTATE_LOG_FORMAT: "compact",
        RESTATE_LOG_DISABLE_ANSI_CODES: options.output.kind === "file" ? "true" : "false",
        // Restate's default, 24 partitions, is sized for clusters: on 2 cores each one costs CPU
        // per request and start-up time (bench/README.md has the numbers). A data dir keeps the
        // count it was created with; the variable still overrides it for a new one.
        RESTATE_DEFAULT_NUM_PARTITIONS: process.env.RESTATE_DEFAULT_NUM_PARTITIONS ?? "2",
        ...ingressLimitsEnv(),
        ...(options.requestIdentity ? requestIdentityServerEnv(options.requestIdentity) : {}),
        ...(options.cluster ? clusterMembershipEnv(options.cluster, options.nodePort) : {}),
        ...options.env,
      },
    },
  );
  const ingressUrl = `http://127.0.0.1:${options.ingressPort}`;
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  await readyOrStopped(server, async () => {
    await waitFor("restate-server admin API", httpOk(`${adminUrl}/health`), { process: server });
    await waitFor("restate-server ingress", httpOk(`${ingressUrl}/restate/health`), { process: server });
  });
  return Object.assign(server, { ingressUrl, adminUrl });
}

export interface ClusterMembership {
  name: string;
  /** The node-to-node addresses of every node, where the replicated metadata store is reached. */
  metadataAddresses: string[];
  /** Exactly one node of a new cluster provisions it; the others wait for it. */
  autoProvision: boolean;
  /** Nodes every log record and every partition is kept on. */
  replication: number;
}

/** restate-server's settings for a node of a loopback cluster (the local cluster guide's, as variables). */
function clusterMembershipEnv(cluster: ClusterMembership, nodePort: number): Record<string, string> {
  return {
    RESTATE_CLUSTER_NAME: cluster.name,
    RESTATE_AUTO_PROVISION: String(cluster.autoProvision),
    RESTATE_DEFAULT_REPLICATION: String(cluster.replication),
    RESTATE_METADATA_CLIENT__ADDRESSES: JSON.stringify(cluster.metadataAddresses),
    RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${nodePort}`,
  };
}

export interface GatewayProcess extends ManagedProcess {
  url: string;
}

export async function startGatewayProcess(options: {
  port: number;
  output: Output;
  faults?: Partial<FaultSettings>;
  /** Keep the provider's ledger in this file across restarts (in memory when unset). */
  ledgerFile?: string;
}): Promise<GatewayProcess> {
  const env: Record<string, string> = { GATEWAY_PORT: String(options.port) };
  if (options.ledgerFile) env.GATEWAY_LEDGER_FILE = options.ledgerFile;
  for (const [fault, value] of Object.entries(options.faults ?? {})) {
    if (value !== undefined) env[FAULT_VARIABLES[fault as keyof FaultSettings]] = String(value);
  }
  const gateway = spawnManaged("gateway", process.execPath, [...tsxArgs(), GATEWAY_ENTRY], { output: options.output, env });
  const url = `http://127.0.0.1:${options.port}`;
  await readyOrStopped(gateway, () => waitFor("the mock gateway", httpOk(`${url}/health`), { process: gateway }));
  return Object.assign(gateway, { url });
}

export interface EndpointProcess extends ManagedProcess {
  url: string;
}

/** Starts a service endpoint (by default code/endpoint.ts) and waits until it accepts connections. */
export async function startEndpoint(options: {
  port: number;
  gatewayUrl: string;
  output: Output;
  entry?: string;
  /** What it is, in messages (default: the service endpoint). */
  name?: string;
  env?: Record<string, string>;
  /** Accept only requests restate-server signed with this key. */
  requestIdentity?: RequestIdentity;
}): Promise<EndpointProcess> {
  const identityEnv = options.requestIdentity ? requestIdentityEndpointEnv(options.requestIdentity) : {};
  const endpoint = spawnManaged(options.name ?? "service", process.execPath, [...tsxArgs(), options.entry ?? PAYMENT_ENDPOINT], {
    output: options.output,
    env: { SERVICE_PORT: String(options.port), GATEWAY_URL: options.gatewayUrl, ...identityEnv, ...options.env },
  });
  const what = `${options.name ?? "the service endpoint"} to accept connections on port ${options.port}`;
  await readyOrStopped(endpoint, () => waitFor(what, tcpOpen(options.port), { process: endpoint }));
  return Object.assign(endpoint, { url: `http://127.0.0.1:${options.port}` });
}

/** A deployment as restate-server's admin API answers it (the list names the services only, without their handlers). */
const Deployment = z.object({
  id: z.string(),
  uri: z.string().optional(),
  services: z.array(z.object({ name: z.string(), handlers: z.array(z.object({ name: z.string() })).optional() })),
});
type Deployment = z.infer<typeof Deployment>;

/**
 * Registers an endpoint with restate-server (service discovery). restate-server
 * 1.7 answers a plain re-registration of a known URI with the deployment it
 * already has, without looking at what the endpoint now serves; so every
 * registration is forced, which discovers the endpoint again and replaces the
 * deployment at that URI (fine in development, where the code at a URI is the
 * code in the working tree). A change of services is reported, not guessed.
 */
export async function registerDeployment(adminUrl: string, endpointUrl: string, options: { log?: (line: string) => void } = {}) {
  const before = await registeredAt(adminUrl, endpointUrl);
  const response = await fetch(`${adminUrl}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri: endpointUrl, force: true }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`registering ${endpointUrl} with ${adminUrl} failed: ${response.status} ${await response.text()}`);
  const after = Deployment.parse(await response.json());
  if (before && handlerNames(before) !== handlerNames(after)) {
    options.log?.(`the services at ${endpointUrl} changed since they were registered (${handlerNames(before)} -> ${handlerNames(after)}); registered again`);
  }
  return after;
}

async function registeredAt(adminUrl: string, endpointUrl: string): Promise<Deployment | undefined> {
  const response = await fetch(`${adminUrl}/deployments`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) return undefined;
  const { deployments } = z.object({ deployments: z.array(Deployment) }).parse(await response.json());
  const normalize = (uri: string | undefined) => uri?.replace(/\/+$/, "");
  const known = deployments.find((d) => normalize(d.uri) === normalize(endpointUrl));
  if (!known) return undefined;
  // The list names the services only; the deployment itself has their handlers.
  const detail = await fetch(`${adminUrl}/deployments/${known.id}`, { signal: AbortSignal.timeout(10_000) });
  return detail.ok ? Deployment.parse(await detail.json()) : undefined;
}

const handlerNames = (deployment: Deployment) =>
  deployment.services
    .flatMap((service) => (service.handlers ?? []).map((handler) => `${service.name}/${handler.name}`))
    .sort()
    .join(", ");
