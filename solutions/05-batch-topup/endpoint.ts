import "core-js/actual/promise/with-resolvers.js";
// Exercise 5's endpoint: serves TopUpBatch on SERVICE_PORT. The checker starts it for you.
import { serve } from "../../exercises/support/serve.js";
import { topUpBatch } from "./topup_batch.js";

serve("Exercise 5 (batch top-up), solution", [topUpBatch]);
