import "core-js/actual/promise/with-resolvers.js";
// Exercise 8's endpoint: serves Ledger (and the checker's LedgerInspection, which reads the same database) on
// SERVICE_PORT. The checker starts it for you, with a database of its own.
import { ledgerInspection } from "../../exercises/support/ledger_contract.js";
import { serve } from "../../exercises/support/serve.js";
import { database, ledger } from "./ledger.js";

serve("Exercise 8 (a ledger in your own database)", [ledger, ledgerInspection(database)]);
