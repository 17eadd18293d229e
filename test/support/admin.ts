// Restate's admin API, for what a test needs to see inside the server:
// invocations that have not finished (hung, backing off, paused).
export async function sql<T = Record<string, unknown>>(adminUrl: string, query: string): Promise<T[]> {
  const response = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`admin query failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { rows: T[] }).rows;
}

export interface UnfinishedInvocation {
  id: string;
  target: string;
  status: string;
  retry_count: number | null;
  last_failure: string | null;
}

/** Invocations of a service that are not completed: none should remain once a test's requests are answered. */
export function unfinishedInvocations(adminUrl: string, service = "PaymentService"): Promise<UnfinishedInvocation[]> {
  return sql<UnfinishedInvocation>(
    adminUrl,
    `SELECT id, target, status, retry_count, last_failure FROM sys_invocation WHERE target_service_name = '${service}' AND status <> 'completed'`,
  );
}
