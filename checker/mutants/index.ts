// The whole catalogue, exercise by exercise.
import type { ExerciseCatalogue } from "./catalogue.js";
import { catalogue as orderCreation } from "./01-order-creation.js";
import { catalogue as refunds } from "./02-refunds.js";
import { catalogue as emailDedup } from "./03-email-dedup.js";
import { catalogue as customIdempotency } from "./04-custom-idempotency.js";
import { catalogue as batchTopUp } from "./05-batch-topup.js";
import { catalogue as beyondIdempotency } from "./06-exactly-once-beyond-idempotency.js";
import { catalogue as workflowKeys } from "./07-workflow-keys.js";
import { catalogue as ledgerDatabase } from "./08-ledger-database.js";

export const CATALOGUE: ExerciseCatalogue[] = [orderCreation, refunds, emailDedup, customIdempotency, batchTopUp, beyondIdempotency, workflowKeys, ledgerDatabase];
