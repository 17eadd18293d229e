// The ledger audit: what a payments engineer checks after any incident.
// For every payment id: at most one successful charge; refunds never exceed the
// charge; a payment the service reports as succeeded has exactly its charge in
// the ledger, and a charge in the ledger belongs to a payment reported succeeded.
// Worst of all, and named as such: a payment reported failed or declined while
// the ledger holds its charge (the customer was charged and told otherwise).
import type { GatewayClient } from "../../code/gateway_client.js";
import type { Payment } from "../../code/types.js";
import type { Ingress } from "./ingress.js";

export interface AuditReport {
  violations: string[];
  successfulCharges: number;
  attempts: number;
  refunds: number;
}

export async function auditLedger(gateway: GatewayClient, ingress: Ingress, paymentIds: Iterable<string>): Promise<AuditReport> {
  const violations: string[] = [];
  const charges = await gateway.listCharges();
  const refunds = await gateway.listRefunds();
  let successfulCharges = 0;
  for (const paymentId of new Set(paymentIds)) {
    const ledger = charges.filter((c) => c.reference === paymentId);
    const succeeded = ledger.filter((c) => c.status === "succeeded");
    successfulCharges += succeeded.length;
    if (succeeded.length > 1) violations.push(`${paymentId}: charged ${succeeded.length} times (${succeeded.map((c) => c.id).join(", ")})`);

    const status = await ingress.getStatus(paymentId);
    const payment = status.status === 200 ? (status.body as Payment) : null;
    if (payment?.status === "succeeded") {
      if (succeeded.length !== 1 || succeeded[0]!.id !== payment.chargeId) {
        violations.push(`${paymentId}: reported succeeded with charge ${payment.chargeId}, ledger has [${succeeded.map((c) => c.id).join(", ")}]`);
      }
    } else if (succeeded.length > 0 && (payment?.status === "failed" || payment?.status === "declined")) {
      violations.push(`${paymentId}: MONEY LOST: the service reports ${payment.status} while the ledger holds charge ${succeeded[0]!.id}`);
    } else if (succeeded.length > 0) {
      violations.push(`${paymentId}: ledger has charge ${succeeded[0]!.id} but the service reports ${payment?.status ?? `HTTP ${status.status}`}`);
    }

    for (const charge of succeeded) {
      const refunded = refunds.filter((r) => r.charge === charge.id).reduce((sum, r) => sum + r.amount, 0);
      if (refunded > charge.amount) violations.push(`${paymentId}: refunded ${refunded} of a ${charge.amount} charge`);
      if (payment && payment.chargeId === charge.id && payment.refundedAmount !== refunded) {
        violations.push(`${paymentId}: service says ${payment.refundedAmount} refunded, ledger says ${refunded}`);
      }
    }
  }
  return { violations, successfulCharges, attempts: charges.length, refunds: refunds.length };
}
