// The top-up provider's API as a caller sees it: its request, its record, and
// the client (the mock itself is in topups.ts).
import { z } from "zod";
import { ProviderClient } from "../../code/provider_client.js";

export const PhoneNumber = z.string().regex(/^\+[1-9]\d{6,14}$/, "phoneNumber must be in E.164 form, e.g. \"+14155550123\"");

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
