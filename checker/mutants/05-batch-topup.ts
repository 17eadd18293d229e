// Exercise 5's wrong solutions and correct alternatives.
import { readFileSync } from "node:fs";
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const FILE = "topup_batch.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const CHARGE_KEY = "charge: (batchId: string) => `batch-${batchId}-charge`,";
const CHARGE_REFUND_KEY = "chargeRefund: (batchId: string) => `batch-${batchId}-charge-refund`,";
/** The top-up step's handling of an error: a refusal is the item's failure, anything else is retried. */
const TOP_UP_CATCH = `            } catch (error) {
              if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key
              return { topUpId: null, failure: error.message };
            }`;
/** The charge step's look-up after the deadline: the effect of an attempt sent before it may have happened. */
const CHARGE_LOOKUP = `          if (Date.now() > deadline) {
            const made = (await gateway.listCharges({ reference: batchId })).find((charge) => charge.status === "succeeded");
            return made ? { kind: "charged-then-expired" as const, chargeId: made.id } : { kind: "expired" as const };
          }
`;
const REFUND_KEY = "refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}`,";
const TOP_UP_KEY = "topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}`,";

export const catalogue: ExerciseCatalogue = {
  folder: "05-batch-topup",
  mutants: [
    {
      id: "solution-before-lookup",
      scenario:
        "the reference solution as it was before the deadline look-up: a charge made before the deadline whose answer was lost is forgotten on the retry after it; the customer is told nothing was charged (410) while the gateway holds the charge",
      patches: [{ file: FILE, create: readFileSync(new URL("fixtures/05-topup_batch.before-lookup.ts.txt", import.meta.url), "utf8") }],
      hint: /the gateway holds its charge \S+ of \d+, unrefunded/,
    },
    {
      id: "deadline-without-lookup",
      scenario: "past the deadline the charge step refuses without looking the charge up: a charge whose answer was lost stays with the customer, unrefunded",
      patches: [{ file: FILE, find: CHARGE_LOOKUP, replace: '          if (Date.now() > deadline) return { kind: "expired" as const };\n' }],
      hint: /the gateway holds its charge \S+ of \d+, unrefunded/,
    },
    {
      id: "topup-not-looked-up-after-deadline",
      scenario: "past the deadline an item fails without asking the provider: a top-up made before it, whose answer was lost, is refunded too (the customer gets both)",
      patches: [
        {
          file: FILE,
          find: `              const made = await topups.listTopUps({ reference: batchId, phoneNumber: item.phoneNumber });
              const succeeded = made.find((topUp) => topUp.status === "succeeded");
              if (succeeded) return { topUpId: succeeded.id, failure: null };
              if (made.length > 0) return { topUpId: null, failure: \`the provider refused it (\${made[0]!.failureCode})\` };
`,
          replace: "",
        },
      ],
      hint: /look the item's top-up up at the provider by the batch id and number/,
    },
    {
      id: "refund-key-random-per-attempt",
      fast: true,
      scenario: "a failed item's refund key gets a random suffix: a refund whose answer was lost is made again by the retry",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}-${Math.random()}`," }],
      hint: /^the refund of a failed item \(compensation\) was made 2 times after its answer was lost/,
    },
    {
      id: "topup-key-random-per-attempt",
      fast: true,
      scenario: "the top-up key gets a random suffix: a top-up whose answer was lost is made again by the retry",
      patches: [{ file: FILE, find: TOP_UP_KEY, replace: "topUp: (batchId: string, item: number) => `batch-${batchId}-topup-${item}-${Math.random()}`," }],
      hint: /was topped up 2 times in one batch: journal each top-up in ctx\.run and give the provider a key derived from the batch id and the item/,
    },
    {
      id: "refund-outside-run-last-step",
      scenario: "a failed item's refund, the batch's last step, is sent straight from the handler: a replay after it refunds the item again",
      patches: [
        { file: FILE, find: "const refund = await ctx.run(`refund ${item.phoneNumber}`, () =>", replace: "const refund = await (() =>" },
        { file: FILE, find: "key.refund(batchId, index)),\n          );", replace: "key.refund(batchId, index))\n          )();" },
      ],
      hint: /^the refund of the failed item was sent \d+ times where once was expected: a replay of the handler sent it again; make it inside ctx\.run/,
    },
    {
      id: "report-not-answered-from-state",
      scenario: "a repeated batch is not answered from the stored report: the double-submitted batch runs again",
      patches: [{ file: FILE, find: "        if (report) return report;\n", replace: "" }],
      hint: /the batch's charge was sent 2 times where once was expected: the repeat ran the batch again/,
    },
    {
      id: "no-compensation",
      scenario: "failed top-ups are reported but never refunded: the customer pays for airtime they never got",
      patches: [{ file: FILE, find: 'if (item.status !== "failed") continue;', replace: 'if (item.status !== "failed" || item.status === "failed") continue;' }],
      hint: /refund each failed item's amount \(compensation\)/,
    },
    {
      id: "deadline-checked-once-before-charge",
      scenario: "the deadline is not checked inside the retried charge: a batch retried after its deadline (gateway down) is charged anyway",
      patches: [{ file: FILE, find: CHARGE_LOOKUP, replace: "" }],
      hint: /the batch ran after its deadline/,
    },
    {
      id: "decline-retried",
      scenario: "a declined card is thrown as an ordinary error: Restate retries a charge that can never succeed",
      patches: [
        {
          file: FILE,
          find: 'if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key\n            return { kind: "declined"',
          replace: 'throw error;\n            return { kind: "declined"',
        },
      ],
      hint: /a decline is final \(TerminalError\)|Restate keeps retrying/,
    },
    {
      id: "topup-key-without-batch",
      scenario: "the top-up key is the phone number alone: a second batch for the same number gets the first batch's top-up, and the number is topped up once for two payments",
      patches: [
        { file: FILE, find: TOP_UP_KEY, replace: "topUp: (_batchId: string, phoneNumber: string) => `topup-${phoneNumber}`," },
        { file: FILE, find: "key.topUp(batchId, index)", replace: "key.topUp(batchId, item.phoneNumber)" },
      ],
      hint: /another batch's effects answered its own, because their provider keys are equal/,
    },
    {
      id: "refund-key-salted-per-process",
      scenario:
        "a failed item's refund key ends in a salt drawn when the module loads: a refund whose answer was lost just before the endpoint crashed is made again by the new process",
      patches: [
        addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'),
        { file: FILE, find: "const key = {", replace: "/** Unique to this deployment of the endpoint. */\nconst INSTANCE = randomUUID();\n\nconst key = {" },
        { file: FILE, find: REFUND_KEY, replace: "refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}-${INSTANCE}`," },
      ],
      hint: /^the refund of a failed item \(compensation\) was made 2 times when your endpoint was restarted between the attempt and its retry/,
    },
    {
      id: "refund-key-per-day",
      scenario: "a failed item's refund key carries the date: a refund whose answer was lost before midnight is made again by the retry after it",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "refund: (batchId: string, item: number) => `batch-${batchId}-refund-${item}-${new Date().toISOString().slice(0, 10)}`," }],
      hint: /^the refund of a failed item \(compensation\) was made 2 times when the retry ran on a date a day apart/,
    },
    {
      id: "topup-refusal-reported-as-success",
      scenario: "every error of a top-up is logged and the item counted as done: a refused number is reported topped up, and its amount is never refunded",
      patches: [
        {
          file: FILE,
          find: TOP_UP_CATCH,
          replace: `            } catch (error) {
              console.warn(\`top-up of \${item.phoneNumber} for batch \${batchId}: \${String(error)}\`); // the provider will sort it out
              return { topUpId: \`unconfirmed-\${index}\`, failure: null };
            }`,
        },
      ],
      hint: /the report says outcome "all", expected "some"/,
    },
    {
      id: "decline-swallowed",
      scenario: "a failed charge is logged and the batch goes on: a declined card gets every number topped up for free, and the caller a 200",
      patches: [
        {
          file: FILE,
          find: `            if (!(error instanceof ProviderRejection)) throw error; // unknown outcome: retried, same key
            return { kind: "declined" as const, message: error.message };`,
          replace: `            console.error(\`charge for batch \${batchId} failed, topping up anyway: \${String(error)}\`);
            return { kind: "charged" as const, chargeId: "" };`,
        },
        {
          file: FILE,
          find: 'if (payment.kind === "declined") refuse(402, `The card for batch \'${batchId}\' was declined: ${payment.message} Nothing was topped up.`, { code: "card_declined" });\n',
          replace: "",
        },
      ],
      hint: /^a declined card answered 200/,
    },
  ],
  alternatives: [
    {
      id: "keys-with-colons",
      description: "the provider keys spelled `batch:<id>:charge`, `batch:<id>:topup:<n>`, `batch:<id>:refund:<n>`",
      patches: [
        { file: FILE, find: "charge: (batchId: string) => `batch-${batchId}-charge`,", replace: "charge: (batchId: string) => `batch:${batchId}:charge`," },
        { file: FILE, find: TOP_UP_KEY, replace: "topUp: (batchId: string, item: number) => `batch:${batchId}:topup:${item}`," },
        { file: FILE, find: REFUND_KEY, replace: "refund: (batchId: string, item: number) => `batch:${batchId}:refund:${item}`," },
      ],
      fast: true,
    },
    {
      id: "top-up-key-by-phone-number",
      description: "each top-up keyed by the batch and the phone number instead of the item's index",
      patches: [
        { file: FILE, find: TOP_UP_KEY, replace: "topUp: (batchId: string, phoneNumber: string) => `batch-${batchId}-topup-${phoneNumber}`," },
        { file: FILE, find: "key.topUp(batchId, index)", replace: "key.topUp(batchId, item.phoneNumber)" },
      ],
    },
    {
      id: "keys-as-json-in-helper-folder",
      description: "every provider key built by one helper in a folder of its own (keys/), as the JSON of its parts: no separator for an id to contain",
      patches: [
        {
          file: "keys/provider_keys.ts",
          create:
            "/** A provider key for one effect of one batch: the JSON of its parts, so no batch id can make two keys equal. */\n" +
            "export const providerKey = (batchId: string, effect: \"charge\" | \"top-up\" | \"refund\" | \"charge-refund\", item?: number) =>\n" +
            "  JSON.stringify({ batch: batchId, effect, item: item ?? null });\n",
        },
        addImport(FILE, FIRST_IMPORT, 'import { providerKey } from "./keys/provider_keys.js";'),
        { file: FILE, find: CHARGE_KEY, replace: 'charge: (batchId: string) => providerKey(batchId, "charge"),' },
        { file: FILE, find: TOP_UP_KEY, replace: 'topUp: (batchId: string, item: number) => providerKey(batchId, "top-up", item),' },
        { file: FILE, find: REFUND_KEY, replace: 'refund: (batchId: string, item: number) => providerKey(batchId, "refund", item),' },
        { file: FILE, find: CHARGE_REFUND_KEY, replace: 'chargeRefund: (batchId: string) => providerKey(batchId, "charge-refund"),' },
      ],
    },
    {
      id: "refusals-409-in-other-words",
      description: "a batch past its deadline refused with 409 (the contract allows 409 or 422) and every refusal worded otherwise: the checks judge status and metadata, not words",
      patches: [
        {
          file: FILE,
          find: "refuse(422, `Batch '${batchId}' passed its deadline (${request.deadline}) before it ran; the gateway has no charge for it and nothing was topped up.`, {",
          replace: "refuse(409, `Too late: the cut-off for ${batchId} was ${request.deadline}. No money was taken, no number was credited.`, {",
        },
        {
          file: FILE,
          find: "            422,\n            `Batch '${batchId}' passed its deadline (${request.deadline}) while its charge was unconfirmed: charge ${payment.chargeId} of ${total} was made and refunded in full (${refund.id}); nothing was topped up.`,",
          replace: "            409,\n            `Too late: the cut-off for ${batchId} was ${request.deadline}. Your payment ${payment.chargeId} went back to you (${refund.id}); no number was credited.`,",
        },
        {
          file: FILE,
          find: "refuse(402, `The card for batch '${batchId}' was declined: ${payment.message} Nothing was topped up.`, { code: \"card_declined\" });",
          replace: "refuse(402, `Payment refused by the bank (${payment.message}); no number was credited.`, { code: \"card_declined\" });",
        },
      ],
    },
  ],
};
