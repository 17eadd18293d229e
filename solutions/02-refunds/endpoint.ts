import "core-js/actual/promise/with-resolvers.js";
// Exercise 2's endpoint: serves the Payments object on SERVICE_PORT. The checker starts it for you.
import { serve } from "../../exercises/support/serve.js";
import { payments } from "./payments.js";

serve("Exercise 2 (refunds), solution", [payments]);
