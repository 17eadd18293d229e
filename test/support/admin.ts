// Restate's admin API, for what a test needs to see inside the server:
// invocations that have not finished (hung, backing off, paused).
import { adminQuery } from "../../orchestration/admin_query.js";

export interface UnfinishedInvocation {
  id: string;
  target: string;
  status: string;
  retry_count: number | null;
  last_failure: string | null;
}

/** Invocations of a service that are not completed: none should remain once a test's requests are answered. */
export function unfinishedInvocations(adminUrl: string, service = "PaymentService"): Promise<UnfinishedInvocation[]> {
  return adminQuery<UnfinishedInvocation>(
    adminUrl,
    `SELECT id, target, status, retry_count, last_failure FROM sys_invocation WHERE target_service_name = '${service}' AND status <> 'completed'`,
  );
}
