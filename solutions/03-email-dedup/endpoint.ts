import "core-js/actual/promise/with-resolvers.js";
// Exercise 3's endpoint: serves EmailService and EmailIntent on SERVICE_PORT. The checker starts it for you.
import { serve } from "../../exercises/support/serve.js";
import { emailIntent, emailService } from "./email_service.js";

serve("Exercise 3 (email dedup), solution", [emailService, emailIntent]);
