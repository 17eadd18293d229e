// Where everything listens and keeps its data: every port of the course, the
// data dir and the payment provider's URL, each with its default and the
// environment variable that moves it, read and checked here and nowhere else.
//
// It lives in code/ because the service reads it itself (the endpoint its
// port, the service the provider's URL), and code/ imports nothing outside
// code/; the launchers, the playground, the hand-rolled peer, the exercises,
// the benchmark and the checker all import it from here.
import * as path from "node:path";

/** Every port, by default. */
export const DEFAULT_PORT = {
  /** Restate's ingress: where callers send requests. */
  ingress: 8080,
  /** Restate's admin API and UI. */
  admin: 9070,
  /** The service endpoint restate-server invokes. */
  service: 9080,
  /** The mock payment gateway. */
  gateway: 9090,
  /** restate-server's node-to-node port (metrics, cluster traffic). */
  node: 5122,
  playground: 9100,
  /** The hand-rolled PostgreSQL peer (`npm run start:handrolled`). */
  handrolled: 8088,
  /** The exercises' mock providers (inventory, mailer, top-ups). */
  providers: 9091,
  /** Exercise 4's HTTP app. */
  app: 9095,
  /** The operations drill's second endpoint. */
  drill: 9081,
  /** The benchmark's baseline server (never beside the playground). */
  baseline: 9100,
} as const;

export type PortName = keyof typeof DEFAULT_PORT;

/** The variable that moves each port. */
export const PORT_VARIABLE = {
  ingress: "INGRESS_PORT",
  admin: "ADMIN_PORT",
  service: "SERVICE_PORT",
  gateway: "GATEWAY_PORT",
  node: "NODE_PORT",
  playground: "PLAYGROUND_PORT",
  handrolled: "HANDROLLED_PORT",
  providers: "PROVIDERS_PORT",
  app: "APP_PORT",
  drill: "DRILL_PORT",
  baseline: "BASELINE_PORT",
} as const satisfies Record<PortName, string>;

/** The port `name` listens on: its variable when set, else its default; a value that is no TCP port is an error. */
export function portFromEnv(name: PortName, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PORT_VARIABLE[name]];
  if (raw === undefined || raw === "") return DEFAULT_PORT[name];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${PORT_VARIABLE[name]}=${raw} is not a TCP port (1-65535)`);
  return port;
}

/** The four ports of a single-node stack. */
export type Ports = Record<"ingress" | "admin" | "service" | "gateway", number>;

export const DEFAULT_PORTS: Readonly<Ports> = {
  ingress: DEFAULT_PORT.ingress,
  admin: DEFAULT_PORT.admin,
  service: DEFAULT_PORT.service,
  gateway: DEFAULT_PORT.gateway,
};

export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Ports {
  return { ingress: portFromEnv("ingress", env), admin: portFromEnv("admin", env), service: portFromEnv("service", env), gateway: portFromEnv("gateway", env) };
}

/** The payment provider: GATEWAY_URL, else the mock gateway on its port on loopback. */
export function gatewayUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.GATEWAY_URL || `http://127.0.0.1:${portFromEnv("gateway", env)}`;
}

/** Where the launchers keep Restate's data, the provider's ledger and the peer's database (git ignores it). */
export const DEFAULT_DATA_DIR = ".restate";

/** DATA_DIR, else .restate/, resolved against `root` (the repository). */
export function dataDirFromEnv(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(root, env.DATA_DIR || DEFAULT_DATA_DIR);
}
