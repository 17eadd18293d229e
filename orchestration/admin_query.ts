// Restate's admin SQL API (`POST /query` on the admin port), which shows what
// restate-server holds: invocations, their journals, state, idempotency keys.
// The tests, the benchmark and the checker all read it through this one call.

/** The rows `query` selects; a failed query is an error with restate-server's answer in it. */
export async function adminQuery<Row = Record<string, unknown>>(adminUrl: string, query: string, options: { timeoutMs?: number } = {}): Promise<Row[]> {
  const response = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  if (!response.ok) throw new Error(`admin query failed (${response.status}): ${await response.text()}\n  query: ${query}`);
  return ((await response.json()) as { rows: Row[] }).rows;
}
