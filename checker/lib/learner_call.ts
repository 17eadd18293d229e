// Runs in a child process of the checker, never inside it: imports one of the
// learner's modules and calls one of its functions, so a `process.exit`, an
// endless loop or a crash in the learner's code ends or blocks this process
// only. Started by learner_module.ts, which gives it a deadline.
//
//   LEARNER_CALL_ANSWER=<file> node --import tsx learner_call.ts <module file> [<function> <JSON array of arguments>]
//
// It appends JSON lines to the answer file: {"loaded": [function exports]} once
// the module is imported, then {"result": ...} or {"error": "..."}; its stdout
// and stderr are the learner's.
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [file, name, args] = process.argv.slice(2) as [string, string | undefined, string | undefined];
const answer = (message: unknown) => appendFileSync(process.env.LEARNER_CALL_ANSWER!, `${JSON.stringify(message)}\n`);

try {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  answer({ loaded: Object.keys(module).filter((key) => typeof module[key] === "function") });
  if (name !== undefined) {
    const result = await (module[name] as (...args: unknown[]) => unknown)(...(JSON.parse(args ?? "[]") as unknown[]));
    answer({ result: result === undefined ? null : result });
  }
} catch (error) {
  answer({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
