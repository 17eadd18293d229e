// The checker still imports the admin query from here, with the row type it expects and no schema; the query
// itself is code/admin_query.ts. This file goes when checker/lib/restate.ts imports code/admin_query.ts.
import { z } from "zod";
import { adminQuery as queryRows } from "../code/admin_query.js";

/** @deprecated Use code/admin_query.ts with a row schema: the rows here are not checked against `Row`. */
export async function adminQuery<Row = Record<string, unknown>>(adminUrl: string, query: string, options: { timeoutMs?: number } = {}): Promise<Row[]> {
  return (await queryRows(adminUrl, query, z.record(z.string(), z.unknown()), options)) as Row[];
}
