// Restate's admin SQL API (`POST /query` on the admin port), which shows what
// restate-server holds: invocations, their journals, state, idempotency keys.
// The playground, the tests, the benchmark and the checker all read it through
// this one call. It lives in code/ because the playground, which the launchers
// start, reads it too, and the launchers' folder imports the playground's, not
// the other way round.
import { z } from "zod";

/**
 * The rows `query` selects, each checked against `row` (the columns the caller selected, as it reads them); a failed
 * query, or a row of another shape, is an error that names the query.
 */
export async function adminQuery<Row extends z.ZodType>(adminUrl: string, query: string, row: Row, options: { timeoutMs?: number } = {}): Promise<z.output<Row>[]> {
  const response = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  if (!response.ok) throw new Error(`admin query failed (${response.status}): ${await response.text()}\n  query: ${query}`);
  const answer = z.object({ rows: z.array(row) }).safeParse(await response.json());
  if (!answer.success) throw new Error(`admin query answered rows of another shape: ${z.prettifyError(answer.error)}\n  query: ${query}`);
  return answer.data.rows;
}
