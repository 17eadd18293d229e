// The endpoint (code/endpoint.ts, or BENCH_PROFILED_ENTRY) under V8's CPU profiler, for `npm run bench -- --cpu-prof <dir>`.
// Node refuses --cpu-prof in NODE_OPTIONS, so the profiler is started from
// here; the profile is written when the endpoint is stopped, and opens in
// Chrome DevTools (Performance tab) or speedscope.
import "core-js/actual/promise/with-resolvers.js";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const directory = process.env.BENCH_CPU_PROFILE_DIR;
if (!directory) throw new Error("BENCH_CPU_PROFILE_DIR is not set");

const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.start");

// Registered before endpoint.ts's own handlers, which exit at once: the main-thread
// inspector session answers synchronously, so the profile is on disk first.
const writeProfile = () => {
  session.post("Profiler.stop", (error, result) => {
    if (error) {
      console.error(`could not stop the CPU profiler: ${error.message}`);
      return;
    }
    const file = path.join(directory, `endpoint-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.log(`CPU profile written to ${file}`);
  });
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, writeProfile);

await import(process.env.BENCH_PROFILED_ENTRY ? pathToFileURL(process.env.BENCH_PROFILED_ENTRY).href : "../code/endpoint.js");
