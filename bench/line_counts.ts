// How much code each approach of chapter 8 is, split into the logic that keeps a
// payment charged once and the plumbing around it (HTTP server, routing,
// validation, migrations, database adapters). `npx tsx bench/line_counts.ts`
// prints the table chapter 8 shows; test/docs.test.ts checks that the chapter
// shows exactly what this prints.
//
// A line counts when it is not blank and not a comment (`//`, `/*`, `/**`, or a
// line starting with `*` inside a block comment).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../orchestration/paths.js";

interface Part {
  approach: string;
  kind: "logic" | "plumbing";
  files: string[];
}

/** Every file of both services, in exactly one row; the files both use are listed apart. */
const PARTS: Part[] = [
  { approach: "Restate", kind: "logic", files: ["code/payment_service.ts"] },
  { approach: "Restate", kind: "plumbing", files: ["code/endpoint.ts", "code/logger.ts"] },
  {
    approach: "hand-rolled, phased",
    kind: "logic",
    files: [
      "handrolled/idempotency_keys.ts",
      "handrolled/create_phases.ts",
      "handrolled/refund_phases.ts",
      "handrolled/payments_store.ts",
      "handrolled/service.ts",
      "handrolled/background.ts",
      "handrolled/provider.ts",
    ],
  },
  {
    approach: "hand-rolled, phased",
    kind: "plumbing",
    files: ["handrolled/app.ts", "handrolled/requests.ts", "handrolled/server.ts", "handrolled/schema.ts", "handrolled/database.ts"],
  },
  { approach: "hand-rolled, naive (on top of the phased plumbing and store)", kind: "logic", files: ["handrolled/naive.ts"] },
  { approach: "shared by both (payment rules and answers)", kind: "logic", files: ["code/payment_outcomes.ts"] },
  {
    approach: "shared by both (request schemas, provider client, ports)",
    kind: "plumbing",
    files: ["code/types.ts", "code/gateway_client.ts", "code/provider_client.ts", "code/config.ts"],
  },
];

/** Every file a row counts, to check that none is missing. */
export const countedFiles = (): string[] => PARTS.flatMap((part) => part.files);

function countLines(source: string): number {
  return source.split("\n").filter((line) => !/^\s*(\/\/|\/\*|\*|$)/.test(line)).length;
}

/** The markdown table chapter 8 shows. */
export function lineCountTable(): string {
  const rows = PARTS.map((part) => {
    const lines = part.files.reduce((sum, file) => sum + countLines(readFileSync(path.join(REPO_ROOT, file), "utf8")), 0);
    const names = part.files.map((file) => `\`${path.basename(file)}\``).join(", ");
    return `| ${part.approach} | ${part.kind} | ${names} | ${lines} |`;
  });
  return ["| approach | part | files | lines |", "|---|---|---|---:|", ...rows].join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(REPO_ROOT, "bench/line_counts.ts")) console.log(lineCountTable());
