// At-least-once delivery (redelivered, reordered, a crash right after the
// commit and before the acknowledgement) counted once by a plain consumer with
// an inbox table, and the outbox drained by a crashing relay, on PGlite; with
// chapter 3's LeaderBoard point: a republish under a new message id gets past a
// message id, not a business id. The same cases on a PostgreSQL server, and
// Restate's consumers: test/crash_matrix (`npm run test:crash`).
import { describe } from "vitest";
import { openDatabase } from "../../handrolled/database.js";
import { consumerTable, inboxCases } from "../support/consumer_cases.js";

const rows = consumerTable();

describe("a plain consumer with an inbox table, and the outbox, on PGlite", () => {
  inboxCases("PGlite", () => openDatabase({}), rows);
});
