// What every reliability file shares: one stack for the file, the table of
// cases printed at the end, and the audit every case ends with.
import { afterAll, beforeAll, expect } from "vitest";
import { waitFor } from "../../orchestration/processes.js";
import { unfinishedInvocations } from "./admin.js";
import { type AuditReport, auditLedger } from "./audit.js";
import { Ingress } from "./ingress.js";
import { CaseReport } from "./case_report.js";
import { type ThrowawayStack, type ThrowawayStackOptions, startThrowawayStack } from "../../orchestration/throwaway.js";

export interface ReliabilityFile {
  readonly stack: ThrowawayStack;
  readonly ingress: Ingress;
  readonly report: CaseReport;
  /** The ledger audit over `ids`, after every invocation has finished; fails the test on any violation. */
  audit(ids: Iterable<string>): Promise<AuditReport>;
}

export function reliabilityFile(title: string, options: ThrowawayStackOptions = {}): ReliabilityFile {
  let stack: ThrowawayStack | undefined;
  let ingress: Ingress | undefined;
  const report = new CaseReport();
  beforeAll(async () => {
    stack = await startThrowawayStack(options);
    ingress = new Ingress(stack.ingressUrl);
  });
  afterAll(async () => {
    report.print(title);
    await stack?.dispose();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the stack is not started yet (use it inside a test)");
    return value;
  };
  return {
    get stack() {
      return started(stack);
    },
    get ingress() {
      return started(ingress);
    },
    report,
    async audit(ids) {
      const adminUrl = started(stack).adminUrl;
      await waitFor("every invocation to finish", async () => (await unfinishedInvocations(adminUrl)).length === 0, { timeoutMs: 30_000 });
      const result = await auditLedger(started(stack).gatewayClient, started(ingress), ids);
      expect(result.violations).toEqual([]);
      return result;
    },
  };
}
