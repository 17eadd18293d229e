import "core-js/actual/promise/with-resolvers.js";
// Exercise 7's endpoint: serves InvoiceWorkflow and ExportService on SERVICE_PORT. The checker starts it for you.
import { serve } from "../../exercises/support/serve.js";
import { exportService } from "./export_service.js";
import { invoiceRecord } from "./invoice_record.js";
import { invoiceWorkflow } from "./invoice_workflow.js";

serve("Exercise 7 (workflow keys), solution", [invoiceWorkflow, invoiceRecord, exportService]);
