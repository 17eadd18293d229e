// How the endpoint logs: one line per event, the stack only where it helps.
import { inspect } from "node:util";
import * as restate from "@restatedev/restate-sdk";

/**
 * One line per event, and expected errors as `Name: message`: a TerminalError
 * (an answer to the caller) or a retried provider outage (ProviderUnavailable
 * keeps a one-line stack) says all there is to say. Any other error keeps its
 * stack on the lines below: it is a bug, and the stack says where it is.
 * RESTATE_LOGGING sets the level (default info), as it does for the SDK's own logger.
 */
export function oneLineLogger(): restate.LoggerTransport {
  const levels = ["trace", "debug", "info", "warn", "error"];
  const minimum = Math.max(0, levels.indexOf((process.env.RESTATE_LOGGING ?? "info").toLowerCase()));
  const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
  const describe = (part: unknown) => {
    if (part instanceof restate.TerminalError) return `${part.name}: ${oneLine(part.message)}`;
    if (part instanceof Error) return part.stack ?? `${part.name}: ${part.message}`;
    if (typeof part !== "string") return inspect(part, { breakLength: Infinity });
    return /\n\s+at /.test(part) ? part.trim() : oneLine(part); // the SDK's "Unexpected error: <stack>" keeps its stack too
  };
  return (meta, message, ...rest) => {
    if (levels.indexOf(meta.level) < minimum) return;
    const where = meta.context ? `[${meta.context.invocationTarget} ${meta.context.invocationId}] ` : "";
    const text = [message, ...rest].map(describe).filter(Boolean).join(" ");
    const write = meta.level === "error" || meta.level === "warn" ? console.error : console.log;
    write(`${meta.level.toUpperCase()} ${where}${text}`);
  };
}
