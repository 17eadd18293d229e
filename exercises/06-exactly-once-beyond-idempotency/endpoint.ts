import "core-js/actual/promise/with-resolvers.js";
// Exercise 6's endpoint: serves ShootingRange and LeaderBoard on SERVICE_PORT. The checker starts it for you.
import { serve } from "../support/serve.js";
import { leaderBoard } from "./leaderboard.js";
import { shootingRange } from "./shooting_range.js";

serve("Exercise 6 (exactly-once beyond idempotency)", [shootingRange, leaderBoard]);
