import "core-js/actual/promise/with-resolvers.js";
// Exercise 4's endpoint: serves the IdempotencyKeys object (the Restate-backed store) on SERVICE_PORT.
// The checker starts it, and app.ts, for you.
import { serve } from "../support/serve.js";
import { idempotencyKeys } from "./restate_store.js";

serve("Exercise 4 (custom idempotency store)", [idempotencyKeys]);
