// A whole single-node stack: restate-server, the mock gateway and the service
// endpoint(s) started together, registered, and stopped in order.
import type { Ports } from "../code/config.js";
import type { FaultSettings } from "../code/types.js";
import { type EndpointProcess, type GatewayProcess, type RestateServer, registerDeployment, startEndpoint, startGatewayProcess, startRestateServer } from "./parts.js";
import { PAYMENT_ENDPOINT } from "./paths.js";
import { type Output, startAllOrNone } from "./processes.js";
import { ensureRequestIdentity } from "./request_identity.js";

export interface StackOptions {
  dataDir: string;
  ports: Ports & { node: number };
  output: (part: "restate" | "gateway" | "service") => Output;
  gatewayFaults?: Partial<FaultSettings>;
  gatewayLedgerFile?: string;
  restateEnv?: Record<string, string>;
  /** Lines worth a user's attention (a registration replaced, say); dropped when unset. */
  log?: (line: string) => void;
  /** Sign requests to endpoints and have them verify it (on unless false); the key lives in the data dir. */
  requestIdentity?: boolean;
  /** Endpoints to start and register; by default the payment service. */
  endpoints?: { entry: string; port: number; env?: Record<string, string> }[];
}

export interface Stack {
  ports: Ports & { node: number };
  ingressUrl: string;
  adminUrl: string;
  gatewayUrl: string;
  restate: RestateServer;
  gateway: GatewayProcess;
  endpoints: EndpointProcess[];
  /** Start the endpoint `index` again (after a kill), same port and entry. */
  startEndpointAgain(index?: number): Promise<EndpointProcess>;
  /** Start restate-server again on the same data dir and ports (after a stop or kill). */
  startRestateAgain(): Promise<RestateServer>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports } = options;
  const endpointSpecs = options.endpoints ?? [{ entry: PAYMENT_ENDPOINT, port: ports.service }];
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const requestIdentity = options.requestIdentity === false ? undefined : ensureRequestIdentity(options.dataDir);
  const launchRestate = () =>
    startRestateServer({
      dataDir: options.dataDir,
      ingressPort: ports.ingress,
      adminPort: ports.admin,
      nodePort: ports.node,
      output: options.output("restate"),
      env: options.restateEnv,
      requestIdentity,
    });
  const launchEndpoint = (index: number) => {
    const spec = endpointSpecs[index];
    if (!spec) throw new Error(`no endpoint ${index}`);
    return startEndpoint({ port: spec.port, gatewayUrl, entry: spec.entry, env: spec.env, requestIdentity, output: options.output("service") });
  };

  const started = await startAllOrNone([
    launchRestate(),
    startGatewayProcess({
      port: ports.gateway,
      faults: options.gatewayFaults,
      ledgerFile: options.gatewayLedgerFile,
      output: options.output("gateway"),
    }),
    ...endpointSpecs.map((_, index) => launchEndpoint(index)),
  ]);
  const [restate, gateway, ...endpoints] = started as [RestateServer, GatewayProcess, ...EndpointProcess[]];
  try {
    for (const endpoint of endpoints) await registerDeployment(restate.adminUrl, endpoint.url, { log: options.log });

    const stack: Stack = {
      ports,
      ingressUrl: restate.ingressUrl,
      adminUrl: restate.adminUrl,
      gatewayUrl,
      restate,
      gateway,
      endpoints,
      async startEndpointAgain(index = 0) {
        const endpoint = await launchEndpoint(index);
        stack.endpoints[index] = endpoint;
        return endpoint;
      },
      async startRestateAgain() {
        stack.restate = await launchRestate();
        return stack.restate;
      },
      async stop() {
        for (const endpoint of stack.endpoints) await endpoint.stop(5_000);
        await stack.gateway.stop(5_000);
        await stack.restate.stop(15_000);
      },
    };
    return stack;
  } catch (error) {
    await Promise.all(started.map((p) => p.stop(5_000)));
    throw error;
  }
}
