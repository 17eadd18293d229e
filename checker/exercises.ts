// Every exercise the checker knows, in order.
import { exercise as orderCreation } from "./checks/01-order-creation.js";
import { exercise as refunds } from "./checks/02-refunds.js";
import { exercise as emailDedup } from "./checks/03-email-dedup.js";
import { exercise as customIdempotency } from "./checks/04-custom-idempotency.js";
import { exercise as batchTopUp } from "./checks/05-batch-topup.js";
import { exercise as beyondIdempotency } from "./checks/06-exactly-once-beyond-idempotency.js";
import { exercise as workflowKeys } from "./checks/07-workflow-keys.js";
import { exercise as ledgerDatabase } from "./checks/08-ledger-database.js";
import type { ExerciseDefinition } from "./lib/exercise.js";

export const EXERCISES: ExerciseDefinition[] = [orderCreation, refunds, emailDedup, customIdempotency, batchTopUp, beyondIdempotency, workflowKeys, ledgerDatabase];

/** "3", "03", "03-email-dedup" or "email-dedup" → the exercise; undefined if none matches. */
export function findExercise(name: string): ExerciseDefinition | undefined {
  const wanted = name.trim().toLowerCase();
  return EXERCISES.find(
    (exercise) =>
      String(exercise.number) === wanted.replace(/^0+/, "") ||
      exercise.folder === wanted ||
      exercise.folder.slice(3) === wanted,
  );
}
