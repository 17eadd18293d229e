// The whole catalogue, exercise by exercise.
import type { ExerciseCatalogue } from "./catalogue.js";
import { catalogue as beyondIdempotency } from "./06-exactly-once-beyond-idempotency.js";

export const CATALOGUE: ExerciseCatalogue[] = [beyondIdempotency];
