import "core-js/actual/promise/with-resolvers.js";
// Exercise 3's endpoint: serves EmailService (and whatever else you add) on SERVICE_PORT.
// The checker starts it for you.
import { serve } from "../support/serve.js";
import { emailService } from "./email_service.js";

// TODO(exercise): serve the other services or objects you add here too.
serve("Exercise 3 (email dedup)", [emailService]);
