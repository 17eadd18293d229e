// Exercise 7, solved: the invoices billed, one object per customer and period,
// kept in Restate state for as long as the business needs it. This is the
// second line of defence: the workflow id makes a repeat find the run only
// while Restate retains the completed workflow; after that the same id runs
// again, and this record is what says "already billed".
import * as restate from "@restatedev/restate-sdk";
import type { ObjectContext, ObjectSharedContext } from "@restatedev/restate-sdk";
import type { InvoiceRequest, InvoiceResult } from "../../exercises/support/invoice_contract.js";

/** The business identity of an invoice, independent of how the workflow id is spelled. */
export const invoiceRecordKey = (request: Pick<InvoiceRequest, "customerId" | "period">) => `${request.customerId}-${request.period}`;

export const invoiceRecord = restate.object({
  name: "InvoiceRecord",
  handlers: {
    /** The invoice billed for this customer and period, or null. */
    get: restate.handlers.object.shared(async (ctx: ObjectSharedContext<{ invoice: InvoiceResult }>): Promise<InvoiceResult | null> => ctx.get("invoice")),
    /** Records the billed invoice; the first record stays (a second run finds it and bills nothing). */
    record: restate.handlers.object.exclusive(async (ctx: ObjectContext<{ invoice: InvoiceResult }>, invoice: InvoiceResult): Promise<InvoiceResult> => {
      const earlier = await ctx.get("invoice");
      if (earlier) return earlier;
      ctx.set("invoice", invoice);
      return invoice;
    }),
  },
});

export type InvoiceRecord = typeof invoiceRecord;
