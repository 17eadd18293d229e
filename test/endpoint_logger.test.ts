// The endpoint's log: an expected error (an answer to the caller, a provider
// outage that Restate retries) stays one line; anything else keeps its stack.
import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderUnavailable } from "../code/provider_client.js";
import { oneLineLogger } from "../code/logger.js";

type Meta = Parameters<restate.LoggerTransport>[0];
const WARN = { level: "warn", source: "SYSTEM", replaying: false } as unknown as Meta;

/** What the SDK logs when a handler throws `error` (its own words, then the error), as the endpoint prints it. */
function logged(error: unknown): string {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  oneLineLogger()(WARN, "Error when processing a Restate context operation.\n", error);
  spy.mockRestore();
  return lines.join("\n");
}

afterEach(() => vi.restoreAllMocks());

describe("the endpoint's log", () => {
  it("prints a TerminalError in one line", () => {
    const text = logged(new restate.TerminalError("Payment 'p1' was declined:\nyour card was declined", { errorCode: 402 }));
    expect(text).toBe("WARN Error when processing a Restate context operation. TerminalError: Payment 'p1' was declined: your card was declined");
  });

  it("prints a provider outage in one line", () => {
    expect(logged(new ProviderUnavailable("the gateway answered 503"))).toBe(
      "WARN Error when processing a Restate context operation. ProviderUnavailable: the gateway answered 503",
    );
  });

  it("prints an unexpected error with its stack", () => {
    const bug = (() => {
      try {
        (undefined as unknown as { amount: number }).amount;
      } catch (error) {
        return error;
      }
    })();
    const text = logged(bug);
    expect(text).toMatch(/^WARN Error when processing a Restate context operation\. TypeError: Cannot read properties of undefined/);
    expect(text).toMatch(/\n\s+at .*endpoint_logger\.test\.ts:\d+/);
  });
});
