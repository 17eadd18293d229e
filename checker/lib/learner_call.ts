// Runs in a child process of the checker, never inside it: imports one of the
// learner's modules and calls its functions, so a `process.exit`, an endless
// loop or a crash in the learner's code ends or blocks this process only.
// Started by learner_module.ts, which gives every call a deadline. Its stdout
// and stderr are the learner's.
//
// With an IPC channel (the checker's async calls) it imports the module, says
// {"loaded": [function exports]} (or {"error"}), then answers each
// {"id", "name", "args"} with {"id", "result"} or {"id", "error"}, until it is
// stopped:
//
//   node --import tsx learner_call.ts <module file>
//
// Without one (a blocking call: spawnSync has no IPC), it makes one call and
// appends the same answers, as JSON lines, to the file LEARNER_CALL_ANSWER:
//
//   LEARNER_CALL_ANSWER=<file> node --import tsx learner_call.ts <module file> <function> <JSON array of arguments>
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [file, name, args] = process.argv.slice(2) as [string, string | undefined, string | undefined];
const answer = process.send
  ? (message: unknown) => void process.send!(message)
  : (message: unknown) => appendFileSync(process.env.LEARNER_CALL_ANSWER!, `${JSON.stringify(message)}\n`);
const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

let module: Record<string, unknown> | undefined;
try {
  module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  answer({ loaded: Object.keys(module).filter((key) => typeof module![key] === "function") });
} catch (error) {
  answer({ error: describe(error) });
}

if (module && name !== undefined) {
  try {
    const result = await (module[name] as (...args: unknown[]) => unknown)(...(JSON.parse(args ?? "[]") as unknown[]));
    answer({ result: result === undefined ? null : result });
  } catch (error) {
    answer({ error: describe(error) });
  }
} else if (module && process.send) {
  process.on("message", async (message: { id: number; name: string; args: unknown[] }) => {
    try {
      const result = await (module![message.name] as (...args: unknown[]) => unknown)(...message.args);
      answer({ id: message.id, result: result === undefined ? null : result });
    } catch (error) {
      answer({ id: message.id, error: describe(error) });
    }
  });
}
