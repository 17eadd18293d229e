// Preloaded into the learner's endpoint (node --import) when a check moves its
// clock: Date.now() and new Date() run CHECKER_CLOCK_SHIFT_MS ahead, as on a
// machine whose clock jumped (a restart the next day, NTP correcting a drift).
// Restate's clock, the providers' and the checker's stay real, so a provider
// key built from the date differs between an attempt and its retry, as it
// would in production. Plain JavaScript, so it loads before tsx does; no system
// package (faketime) needed. Timers (setTimeout) and performance.now() keep
// real time: only what a key could be built from moves.
const shift = Number(process.env.CHECKER_CLOCK_SHIFT_MS ?? "0");
if (Number.isFinite(shift) && shift !== 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + shift;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver) => (property === "now" ? now : Reflect.get(target, property, receiver)),
  });
}
