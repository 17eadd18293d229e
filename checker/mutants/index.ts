// The whole catalogue, exercise by exercise.
import type { ExerciseCatalogue } from "./catalogue.js";
import { catalogue as orderCreation } from "./01-order-creation.js";
import { catalogue as refunds } from "./02-refunds.js";
import { catalogue as beyondIdempotency } from "./06-exactly-once-beyond-idempotency.js";

export const CATALOGUE: ExerciseCatalogue[] = [orderCreation, refunds, beyondIdempotency];
