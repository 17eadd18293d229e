// The outsider catalogue, exercise by exercise: wrong solutions written from
// the exercise READMEs and issue 27's classes of mistake, without reading the
// checks. `npm run check:mutants` runs them beside the mutants; each must fail
// some check (`--outsiders` runs only these).
import type { OutsiderCatalogue } from "../mutants/catalogue.js";
import { outsiders as orderCreation } from "./01-order-creation.js";
import { outsiders as refunds } from "./02-refunds.js";
import { outsiders as emailDedup } from "./03-email-dedup.js";
import { outsiders as customIdempotency } from "./04-custom-idempotency.js";
import { outsiders as batchTopUp } from "./05-batch-topup.js";
import { outsiders as beyondIdempotency } from "./06-exactly-once-beyond-idempotency.js";
import { outsiders as workflowKeys } from "./07-workflow-keys.js";
import { outsiders as ledgerDatabase } from "./08-ledger-database.js";

export const OUTSIDERS: OutsiderCatalogue[] = [orderCreation, refunds, emailDedup, customIdempotency, batchTopUp, beyondIdempotency, workflowKeys, ledgerDatabase];
