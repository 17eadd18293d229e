// Where an exercise's endpoint finds its providers: environment variables,
// set by the checker; the defaults match `npm start` (gateway on 9090) plus
// `npx tsx exercises/support/providers.ts` (the other providers on 9091).
import { gatewayUrlFromEnv, portFromEnv } from "../../code/config.js";

export interface ProviderUrls {
  gateway: string;
  inventory: string;
  mailer: string;
  topups: string;
}

export function providerUrls(env: NodeJS.ProcessEnv = process.env): ProviderUrls {
  const providers = `http://127.0.0.1:${portFromEnv("providers", env)}`;
  return {
    gateway: gatewayUrlFromEnv(env),
    inventory: env.INVENTORY_URL || `${providers}/inventory`,
    mailer: env.MAILER_URL || `${providers}/mailer`,
    topups: env.TOPUPS_URL || `${providers}/topups`,
  };
}

/** The variable names, for whoever starts an endpoint (the checker). */
export const PROVIDER_URL_VARIABLES: Record<keyof ProviderUrls, string> = {
  gateway: "GATEWAY_URL",
  inventory: "INVENTORY_URL",
  mailer: "MAILER_URL",
  topups: "TOPUPS_URL",
};
