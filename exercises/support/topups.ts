// A mock phone top-up provider (prepaid airtime). Test numbers: any number
// ending in 0000 is not a prepaid line and is refused (422 number_not_prepaid),
// like a declined card; every other valid number is topped up. Every attempt is
// in the ledger (`GET /v1/topups?reference=...`), refused ones with status
// "failed". Its API and client: topup_client.ts.
import { createMockProvider, invalidRequest, listNewestFirst, type MockProvider, newId } from "../../code/mock_provider.js";
import type { FaultSettings } from "../../code/types.js";
import { type TopUp, TopUpRequest } from "./topup_client.js";

/** Numbers that are refused, for checks and experiments: not prepaid lines. */
export const isRefusedNumber = (phoneNumber: string) => phoneNumber.endsWith("0000");

export function createTopUps(options: { log?: (line: string) => void; faults?: Partial<FaultSettings> } = {}): MockProvider & { topUps: TopUp[] } {
  const topUps: TopUp[] = [];
  const log = options.log ?? (() => {});
  const provider = createMockProvider<{ type: "topup"; topUp: TopUp }>({
    name: "top-up provider",
    log,
    faults: options.faults,
    apply: (event) => void topUps.push(event.topUp),
    clearLedger: () => {
      topUps.length = 0;
    },
    define: (kit) => {
      kit.operation("/v1/topups", TopUpRequest, (request, { idempotencyKey, record }) => {
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
        record({ type: "topup", topUp });
        log(`top-up ${topUp.id} ${topUp.status}: ${request.amount} ${request.currency} to ${request.phoneNumber} ref=${request.reference}`);
        if (refused) throw invalidRequest(`${request.phoneNumber} is not a prepaid line; it cannot be topped up.`, "number_not_prepaid", 422);
        return { status: 200, body: topUp };
      });
      kit.query("/v1/topups", (query) => listNewestFirst(topUps, query, ["reference", "phoneNumber", "status"]));
    },
  });
  return Object.assign(provider, { topUps });
}
