// Restate's admin API, for what a test needs to see inside the server:
// invocations that have not finished (hung, backing off, paused).
import { adminQuery } from "../../code/admin_query.js";
import { z } from "zod";

const UnfinishedInvocation = z.object({
  id: z.string(),
  target: z.string(),
  status: z.string(),
  retry_count: z.number().nullable(),
  last_failure: z.string().nullable(),
});
export type UnfinishedInvocation = z.infer<typeof UnfinishedInvocation>;

/** Invocations of a service that are not completed: none should remain once a test's requests are answered. */
export function unfinishedInvocations(adminUrl: string, service = "PaymentService"): Promise<UnfinishedInvocation[]> {
  return adminQuery(
    adminUrl,
    `SELECT id, target, status, retry_count, last_failure FROM sys_invocation WHERE target_service_name = '${service}' AND status <> 'completed'`,
    UnfinishedInvocation,
  );
}
