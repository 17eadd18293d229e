// Under the checker (REPLAY_EVERY_STEP=1) an endpoint runs in request-response
// mode, where a handler replays only when it waits for something after a step.
// Its last step would run once: a side effect outside ctx.run just before
// `return` is never repeated, so nothing shows it. Each handler is therefore
// wrapped: once the learner's code has returned (or thrown a TerminalError, the
// answer too), it awaits one more ctx.run. The SDK must have that run's result
// acknowledged by restate-server before going on, which request-response mode
// cannot do within the attempt: the attempt ends (a suspension) and
// restate-server sends the invocation again with its journal. The whole handler
// replays, its last step included, before its answer is recorded. Code that is
// correct under replay answers exactly as before.
import { TerminalError } from "@restatedev/restate-sdk";

/** The extra step's name, as it shows in the journal (and in a journal mismatch the learner might see). */
export const FINAL_STEP = "checker: replay the handler before its answer";

type Handler = (this: unknown, ctx: { run(name: string, action: () => undefined): PromiseLike<unknown> }, input: unknown) => Promise<unknown>;

/** The SDK's HandlerWrapper (kind, options), which it keeps on a handler function under a private symbol. */
interface SdkHandlerWrapper {
  kind: unknown;
  options: unknown;
  handler: Handler;
  transpose(): Handler;
}

type RouteField = "service" | "object" | "workflow";
const ROUTE_FIELDS: RouteField[] = ["service", "object", "workflow"];

/** A copy of a service, object or workflow definition whose every handler replays once more before it answers. */
export function replayBeforeAnswering<D extends object>(definition: D): D {
  const field = ROUTE_FIELDS.find((name) => name in definition);
  if (!field) throw new Error(`replayBeforeAnswering: ${describe(definition)} is no service, object or workflow definition`);
  const routes = (definition as Record<RouteField, Record<string, Handler>>)[field];
  const wrapped = Object.fromEntries(Object.entries(routes).map(([name, route]) => [name, withFinalReplay(route, `${describe(definition)}/${name}`)]));
  return { ...definition, [field]: wrapped };
}

function withFinalReplay(route: Handler, where: string): Handler {
  const wrapper = sdkWrapperOf(route, where);
  const learners = wrapper.handler;
  const replaying: Handler = async function (this: unknown, ctx, input) {
    const outcome = await learners.call(this, ctx, input).then(
      (value) => ({ value }),
      (error: unknown) => {
        if (error instanceof TerminalError) return { error };
        throw error; // a retryable error: Restate retries, which replays anyway
      },
    );
    await ctx.run(FINAL_STEP, () => undefined);
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
  const Wrapper = wrapper.constructor as new (kind: unknown, handler: Handler, options: unknown) => SdkHandlerWrapper;
  return new Wrapper(wrapper.kind, replaying, wrapper.options).transpose();
}

function sdkWrapperOf(route: Handler, where: string): SdkHandlerWrapper {
  const symbol = Object.getOwnPropertySymbols(route).find((candidate) => candidate.description === "Handler");
  const wrapper = symbol ? (route as unknown as Record<symbol, SdkHandlerWrapper | undefined>)[symbol] : undefined;
  // Loud, not silently unwrapped: an SDK that keeps its handlers otherwise would make the checker miss last-step side effects.
  if (typeof wrapper?.handler !== "function" || typeof wrapper.transpose !== "function") {
    throw new Error(`replayBeforeAnswering: ${where} carries no SDK handler wrapper; has @restatedev/restate-sdk changed how it keeps handlers?`);
  }
  return wrapper;
}

const describe = (definition: object) => String((definition as { name?: unknown }).name ?? "(unnamed)");
