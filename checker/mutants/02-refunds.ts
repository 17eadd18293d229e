// Exercise 2's wrong solutions and correct alternatives.
import { type ExerciseCatalogue, addImport } from "./catalogue.js";

const FILE = "payments.ts";
const FIRST_IMPORT = 'import * as restate from "@restatedev/restate-sdk";';
const REFUND_KEY = "`payments-${paymentId}/refund-${request.refundId}`";

export const catalogue: ExerciseCatalogue = {
  folder: "02-refunds",
  mutants: [
    {
      id: "charge-key-random-per-attempt",
      scenario: "the charge's key gets a random suffix: a charge whose answer was lost is made again by the retry",
      patches: [{ file: FILE, find: "`payments-${paymentId}-charge`", replace: "`payments-${paymentId}-charge-${Math.random()}`" }],
      hint: /^the payment's charge was made 2 times after its answer was lost/,
    },
    {
      id: "refund-outside-run",
      scenario: "the refund is sent straight from the handler (with its key): every replay asks the gateway to refund again",
      patches: [
        { file: FILE, find: "const refund = await ctx.run(`refund ${request.refundId}`, () =>", replace: "const refund = await (() =>" },
        { file: FILE, find: "              throw error;\n            }),\n        );", replace: "              throw error;\n            })\n        )();" },
      ],
      hint: /^the refund was sent \d+ times where once was expected: a replay/,
      fast: true,
    },
    {
      id: "charge-outside-run",
      scenario: "the charge is made outside ctx.run: every replay of the charge handler asks the gateway again",
      patches: [
        { file: FILE, find: 'const outcome = await ctx.run("charge", async () => {', replace: "const outcome = await (async () => {" },
        { file: FILE, find: "        });\n        const payment: Payment = {", replace: "        })();\n        const payment: Payment = {" },
      ],
      hint: /^the charge was sent \d+ times where once was expected: a replay/,
    },
    {
      id: "refund-key-random",
      scenario: "the refund's key is a fresh UUID per attempt: a lost answer and its retry refund the customer twice",
      patches: [addImport(FILE, FIRST_IMPORT, 'import { randomUUID } from "node:crypto";'), { file: FILE, find: REFUND_KEY, replace: "randomUUID()" }],
      hint: /^refunded 2 times for one refund: .*key derived from the payment id and the refundId/,
    },
    {
      id: "refund-key-from-clock",
      scenario: "the refund's key ends in the current time: the retry after a lost answer is a new refund to the gateway",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`payments-${paymentId}-refund-${Date.now()}`" }],
      hint: /^refunded 2 times for one refund: .*key derived from the payment id and the refundId/,
    },
    {
      id: "refund-id-ignored",
      scenario: "a repeated refundId is refunded again (the gateway's key absorbs it, the payment records it twice): the books say twice the refund",
      patches: [{ file: FILE, find: "const earlier = payment.refunds.find((refund) => refund.refundId === request.refundId);", replace: "const earlier = undefined as Payment[\"refunds\"][number] | undefined;" }],
      hint: /was recorded as a second refund.*the refundId identifies the refund/,
    },
    {
      id: "payments-in-module-map",
      scenario: "payments are kept in a module-level Map: after a deploy the refund of a real payment answers 404",
      patches: [
        { file: FILE, find: "type PaymentState = { payment: Payment };", replace: "type PaymentState = { payment: Payment };\nconst known = new Map<string, Payment>();" },
        { file: FILE, find: 'const stored = await ctx.get("payment");', replace: "const stored = known.get(paymentId) ?? null;" },
        { file: FILE, find: 'ctx.set("payment", payment);', replace: "known.set(paymentId, payment);" },
        { file: FILE, find: 'const payment = await ctx.get("payment");\n        if (!payment) {', replace: "const payment = known.get(paymentId);\n        if (!payment) {" },
        { file: FILE, find: 'ctx.set("payment", updated);', replace: "known.set(paymentId, updated);" },
      ],
      // The forced replays show it on the first request already: a replay finds the payment in the Map and answers early.
      hint: /remembered in the endpoint's memory|after the endpoint restarted, the payment was gone/,
    },
    {
      id: "declined-payment-refunded",
      scenario: "a refund of a declined payment goes to the gateway: the customer is told the gateway refused, not that there is nothing to refund",
      patches: [{ file: FILE, find: 'if (payment.status !== "succeeded" || payment.chargeId === null) {', replace: "if (false) {" }],
      hint: /refunding a declined payment answered \d+, expected 409/,
    },
    {
      id: "refund-key-dash-separator",
      scenario: "the refund key joins the ids with '-', which ids may contain: payment 'a-refund-b' refund 'c' and payment 'a' refund 'b-refund-c' share one key, and the second refund is never made",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`payments-${paymentId}-refund-${request.refundId}`" }],
      hint: /because its provider key is the key of another \(payment, refund\) pair/,
    },
    {
      id: "refund-key-without-payment",
      scenario: "the refund key is the refundId alone: refund 'r1' of a second payment gets the first payment's refund back",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`refund-${request.refundId}`" }],
      hint: /because its provider key is the key of another \(payment, refund\) pair/,
    },
    {
      id: "refund-key-per-process",
      scenario: "the refund key carries process.pid: the same on every retry while the endpoint lives, a new refund after it restarts",
      patches: [{ file: FILE, find: REFUND_KEY, replace: "`payments-${paymentId}/refund-${request.refundId}/${process.pid}`" }],
      hint: /^the refund was made 2 times when your endpoint was restarted between the attempt and its retry/,
    },
    {
      id: "charge-key-dated",
      scenario: "the charge key carries today's date: a retry after midnight charges the card again",
      patches: [{ file: FILE, find: "`payments-${paymentId}-charge`", replace: "`payments-${paymentId}-charge-${new Date().toISOString().slice(0, 10)}`" }],
      hint: /^the payment's charge was made 2 times when the retry ran on a date a day apart/,
    },
    {
      id: "refund-limit-left-to-provider",
      scenario: "no check of what is left: the refund beyond the charge goes to the gateway, whose refusal is passed on as a 422 (the rule is the provider's, not the service's)",
      patches: [{ file: FILE, find: "if (request.amount > left) {", replace: "if (false as boolean) {" }],
      hint: /refund r3, beyond what is left was sent to the gateway .* the refusal was the gateway's rule, not yours/,
    },
    {
      id: "refund-id-reuse-left-to-provider",
      scenario: "a reused refundId with another amount goes to the gateway under the same key; its key-mismatch refusal is passed on as a 422",
      patches: [{ file: FILE, find: "        if (earlier) {", replace: "        if (earlier && earlier.amount === request.amount) {" }],
      hint: /refund r1 with another amount was sent to the gateway .* the refusal was the gateway's rule, not yours/,
    },
  ],
  alternatives: [
    {
      id: "refund-key-json-in-helper-file",
      description: "the refund key is the JSON of its parts, built in a helper file (no separator to collide on)",
      patches: [
        { file: "refund_keys.ts", create: 'export const refundKey = (paymentId: string, refundId: string) => JSON.stringify(["refund", paymentId, refundId]);\n' },
        addImport(FILE, FIRST_IMPORT, 'import { refundKey } from "./refund_keys.js";'),
        { file: FILE, find: REFUND_KEY, replace: "refundKey(paymentId, request.refundId)" },
      ],
    },
    {
      id: "refund-key-from-ctx-rand",
      description: "the refund's gateway key drawn with ctx.rand.uuidv4(): the same in every retry of the invocation, and a duplicate is answered from state",
      patches: [
        { file: FILE, find: "        const chargeId = payment.chargeId;", replace: "        const chargeId = payment.chargeId;\n        const refundKey = ctx.rand.uuidv4();" },
        { file: FILE, find: REFUND_KEY, replace: "refundKey" },
      ],
      fast: true,
    },
    {
      id: "refusal-in-other-words",
      description: "the declined payment's refusal worded otherwise (the checks judge its status and metadata code, not its words)",
      patches: [{ file: FILE, find: "is ${payment.status}; only a succeeded payment can be refunded.", replace: "cannot be refunded: its charge failed, so there is nothing to refund." }],
    },
    {
      id: "other-key-scheme",
      description: "keys spelled `refund:<payment>:<refundId>` and `charge:<payment>`",
      patches: [
        { file: FILE, find: REFUND_KEY, replace: "`refund:${paymentId}:${request.refundId}`" },
        { file: FILE, find: "`payments-${paymentId}-charge`", replace: "`charge:${paymentId}`" },
      ],
    },
    {
      id: "keys-escaped-in-helper-folder",
      description: "both gateway keys built by a helper in a folder of its own (lib/), each part URI-encoded and joined with '/': no id can fake a separator",
      patches: [
        {
          file: "lib/gateway_keys.ts",
          create:
            "/** One gateway key per payment and step: each part escaped, so '/' only ever separates parts. */\n" +
            "export const gatewayKey = (...parts: string[]) => parts.map(encodeURIComponent).join(\"/\");\n",
        },
        addImport(FILE, FIRST_IMPORT, 'import { gatewayKey } from "./lib/gateway_keys.js";'),
        { file: FILE, find: REFUND_KEY, replace: 'gatewayKey("payments", paymentId, "refund", request.refundId)' },
        { file: FILE, find: "`payments-${paymentId}-charge`", replace: 'gatewayKey("payments", paymentId, "charge")' },
      ],
    },
  ],
};
