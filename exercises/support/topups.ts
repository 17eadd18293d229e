// A mock phone top-up provider (prepaid airtime). Test numbers: any number
// ending in 0000 is not a prepaid line and is refused (422 number_not_prepaid),
// like a declined card; every other valid number is topped up. Every attempt is
// in the ledger (`GET /v1/topups?reference=...`), refused ones with status "failed".
import { z } from "zod";
import { ProviderClient } from "./provider_client.js";
import { type MockProvider, ProviderError, type ProviderFaults, createMockProvider, listNewestFirst, newId } from "./provider_kit.js";

export const PhoneNumber = z.string().regex(/^\+[1-9]\d{6,14}$/, "phoneNumber must be in E.164 form, e.g. \"+14155550123\"");

/** Numbers that are refused, for checks and experiments: not prepaid lines. */
export const isRefusedNumber = (phoneNumber: string) => phoneNumber.endsWith("0000");

export const TopUpRequest = z.strictObject({
  phoneNumber: PhoneNumber,
  amount: z.number().int().min(1).max(100_000),
  currency: z.string().regex(/^[A-Z]{3}$/, "currency must be an upper-case ISO 4217 code"),
  /** The caller's own reference (a batch id), so the ledger can be searched by it. */
  reference: z.string().min(1).max(200),
});
export type TopUpRequest = z.infer<typeof TopUpRequest>;

export interface TopUp {
  id: string;
  object: "topup";
  phoneNumber: string;
  amount: number;
  currency: string;
  reference: string;
  status: "succeeded" | "failed";
  failureCode: string | null;
  idempotencyKey: string | null;
  created: string;
}

export function createTopUps(options: { log?: (line: string) => void; faults?: Partial<ProviderFaults> } = {}): MockProvider & { topUps: TopUp[] } {
  const topUps: TopUp[] = [];
  const log = options.log ?? (() => {});
  const provider = createMockProvider({
    name: "top-up provider",
    log,
    faults: options.faults,
    clearLedger: () => {
      topUps.length = 0;
    },
    define: (kit) => {
      kit.operation("post", "/v1/topups", TopUpRequest, (request, idempotencyKey) => {
        const refused = isRefusedNumber(request.phoneNumber);
        const topUp: TopUp = {
          id: newId("tu"),
          object: "topup",
          ...request,
          status: refused ? "failed" : "succeeded",
          failureCode: refused ? "number_not_prepaid" : null,
          idempotencyKey,
          created: new Date().toISOString(),
        };
        topUps.push(topUp);
        log(`top-up ${topUp.id} ${topUp.status}: ${request.amount} ${request.currency} to ${request.phoneNumber} ref=${request.reference}`);
        if (refused) throw new ProviderError(422, "number_not_prepaid", `${request.phoneNumber} is not a prepaid line; it cannot be topped up.`);
        return { status: 200, body: topUp };
      });
      kit.query("/v1/topups", (query) => listNewestFirst(topUps, query, ["reference", "phoneNumber", "status"]));
    },
  });
  return Object.assign(provider, { topUps });
}

export class TopUpClient extends ProviderClient {
  constructor(baseUrl: string, timeoutMs?: number) {
    super(baseUrl, "top-up provider", timeoutMs);
  }

  topUp(request: TopUpRequest, idempotencyKey?: string): Promise<TopUp> {
    return this.post<TopUp>("/v1/topups", request, idempotencyKey);
  }

  listTopUps(filter: { reference?: string; phoneNumber?: string; status?: TopUp["status"] } = {}): Promise<TopUp[]> {
    return this.list<TopUp>("/v1/topups", filter);
  }
}
