import "core-js/actual/promise/with-resolvers.js";
// Exercise 1's endpoint: serves OrderService on SERVICE_PORT. The checker starts it for you.
import { serve } from "../support/serve.js";
import { orderService } from "./order_service.js";

serve("Exercise 1 (order creation)", [orderService]);
