// The playground page. Plain JavaScript, no build step: it calls the playground
// server on this origin, which forwards to the public endpoints (Restate's
// ingress and admin API, the mock gateway).

const CRASH_LATENCY_MS = 3_000;
const MAX_GROUPS = 15;
const MAX_OTHER_LEDGER_ROWS = 30;

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const state = {
  config: null,
  /** `${paymentId} ${key}` -> how many requests carried that key for that payment. */
  keySends: new Map(),
  lastKey: null,
  /** Invocation id -> the highest attempt number seen. */
  attemptsSeen: new Map(),
  groups: [],
  nextGroupId: 1,
  ledger: { charges: [], refunds: [] },
  /** Set during "crash mid-charge": Restate's view of the invocation is logged step by step. */
  watch: null,
  /** Bumped by every change the page makes, so an older poll's answer cannot undo it. */
  faultsVersion: 0,
  faultChangesUnderWay: 0,
  /** The payment's status as getStatus last said, and what Restate last said about its invocations. */
  paymentStatus: null,
  invocationsSeen: "",
};

// ---------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------

/** Creates an element; children are nodes or text (never parsed as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (method !== "GET") {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.message ?? data?.error?.message ?? `${method} ${path} answered ${response.status}`);
  return data;
}

/** Polls `check` until it returns something truthy; fails at the deadline. */
async function until(description, check, timeoutMs, intervalMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${description} after ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

function announce(text) {
  $("announcer").textContent = text;
}

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;
const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) + "." + String(new Date(iso).getMilliseconds()).padStart(3, "0") : "");

function money(minorUnits, currency) {
  try {
    const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** digits);
  } catch {
    return `${minorUnits} ${currency}`;
  }
}

function badgeClass(status) {
  if (status === null || status === undefined) return "error";
  if (status >= 200 && status < 300) return "ok";
  if (status >= 500) return "error";
  return "warn";
}

const statusBadge = (status) =>
  h("span", { class: `badge ${badgeClass(status)}`, "data-status": status ?? "none" }, status === null ? "no answer" : String(status));

const PAYMENT_BADGE = { succeeded: "ok", pending: "warn", declined: "error", failed: "error" };

// ---------------------------------------------------------------------------
// The form: payment, key, the equivalent curl line.
// ---------------------------------------------------------------------------

const paymentId = () => $("payment-id").value.trim();
const usesKey = () => $("use-key").checked;
const currentKey = () => (usesKey() ? $("idempotency-key").value.trim() : null);

function paymentRequest() {
  const amount = $("amount").value.trim();
  return { amount: amount === "" ? null : Number(amount), currency: $("currency").value, source: $("source").value };
}

function randomSuffix() {
  return crypto.randomUUID().slice(0, 8);
}

function newKey() {
  $("idempotency-key").value = crypto.randomUUID();
  updateForm();
}

function reuseKey() {
  if (!state.lastKey) {
    announce("No key has been sent yet: send a request first, then “Reuse key” brings its key back.");
    return;
  }
  $("use-key").checked = true;
  $("idempotency-key").value = state.lastKey;
  updateForm();
  announce(`The next request reuses key ${state.lastKey}.`);
}

function newPayment() {
  $("payment-id").value = `pay-${randomSuffix()}`;
  newKey();
  $("payment-summary").textContent = `${paymentId()}: not created yet.`;
  $("payment-json").textContent = "—";
  state.paymentStatus = null;
  state.invocationsSeen = "";
  renderInvocation([]);
  renderLedger();
  void refreshPanels();
}

function updateForm() {
  const copies = copiesWanted();
  $("send-many").textContent = `Send ${copies} concurrently`;
  $("idempotency-key").disabled = !usesKey();
  $("new-key").disabled = !usesKey();
  $("reuse-key").disabled = !usesKey();

  const key = currentKey();
  let note;
  if (key === null) {
    note = "No header: Restate runs every request as its own invocation; the payment id (the object's state) still stops a second charge.";
  } else {
    const sent = state.keySends.get(`${paymentId()} ${key}`) ?? 0;
    note =
      sent === 0
        ? "A key never sent for this payment: the first request with it runs the handler."
        : `Already sent ${plural(sent, "time")} for this payment: Restate attaches to that invocation or replays its stored answer.`;
  }
  $("key-note").textContent = note;

  const ingress = state.config.ingressUrl; // start() reads the config before the form is shown
  const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
  $("curl-line").textContent =
    `curl -s ${ingress}/PaymentService/${encodeURIComponent(paymentId())}/create -H 'content-type: application/json'` +
    (key === null ? "" : ` -H ${quote(`idempotency-key: ${key}`)}`) +
    ` -d ${quote(JSON.stringify(paymentRequest()))}`;
}

function copiesWanted() {
  const max = state.config.maxCopies;
  const value = Math.round(Number($("copies").value));
  return Number.isFinite(value) ? Math.min(Math.max(value, 2), max) : 10;
}

// ---------------------------------------------------------------------------
// Sending.
// ---------------------------------------------------------------------------

/** Sends `copies` identical create requests; resolves with the finished group (null if nothing was sent). */
async function send({ copies, concurrently, label }) {
  const id = paymentId();
  if (!$("payment-id").checkValidity() || id === "") {
    announce("The payment id must be 1-64 letters, digits, '-' or '_', starting with a letter or digit.");
    $("payment-id").focus();
    return null;
  }
  const key = currentKey();
  if (key === "") {
    announce("Type an idempotency key, press “New key”, or untick the header.");
    $("idempotency-key").focus();
    return null;
  }
  const request = paymentRequest();
  if (key !== null) {
    const mapKey = `${id} ${key}`;
    state.keySends.set(mapKey, (state.keySends.get(mapKey) ?? 0) + copies);
    state.lastKey = key;
  }
  const group = { id: state.nextGroupId++, label, paymentId: id, key, copies, concurrently, startedAt: new Date(), answers: null, error: null };
  state.groups.unshift(group);
  state.groups.length = Math.min(state.groups.length, MAX_GROUPS);
  renderGroups();
  updateForm();
  announce(`${label}: ${plural(copies, "request")} sent, waiting for the answers…`);

  try {
    const result = await api("POST", `/api/payments/${encodeURIComponent(id)}/create`, { request, idempotencyKey: key, copies, concurrently });
    group.answers = result.answers;
  } catch (error) {
    group.error = error.message;
  }
  renderGroups();
  await refreshPanels();
  announce(`${label}: ${groupSummary(group)}. ${ledgerSentence(id)}`);
  return group;
}

function groupSummary(group) {
  if (group.error) return `the playground could not send it: ${group.error}`;
  if (!group.answers) return "waiting for the answers…";
  const counts = new Map();
  for (const answer of group.answers) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
  const byStatus = [...counts].map(([status, count]) => `${count} × ${status ?? "no answer"}`).join(", ");
  const answered = group.answers.filter((answer) => answer.status !== null).length;
  return `${answered} of ${group.copies} answered (${byStatus})`;
}

function ledgerSentence(id) {
  const mine = state.ledger.charges.filter((charge) => charge.reference === id);
  const succeeded = mine.filter((charge) => charge.status === "succeeded").length;
  return `The ledger holds ${plural(succeeded, "successful charge")} for ${id}.`;
}

function renderGroups() {
  const list = $("requests");
  list.replaceChildren(
    ...state.groups.map((group) => {
      const answers = group.answers ?? [];
      const invocations = new Set(answers.map((a) => a.invocationId).filter(Boolean));
      const charges = new Set(answers.map((a) => a.body?.chargeId).filter(Boolean));
      const oneInvocation = invocations.size === 1 ? [...invocations][0] : null;
      const facts = [
        groupSummary(group),
        oneInvocation ? `1 invocation (${oneInvocation})` : invocations.size > 1 ? plural(invocations.size, "invocation") : null,
        charges.size > 0 ? `${plural(charges.size, "distinct charge id")} in the bodies` : null,
      ].filter(Boolean);
      return h(
        "li",
        { class: group.answers || group.error ? "group" : "group pending", "data-group": group.id },
        h(
          "h3",
          {},
          `${group.label} · ${group.paymentId} · `,
          group.key === null ? "no key" : h("span", { class: "mono" }, `key ${group.key.slice(0, 13)}${group.key.length > 13 ? "…" : ""}`),
          h("span", { class: "muted" }, ` · ${group.startedAt.toLocaleTimeString([], { hour12: false })}`),
        ),
        h("p", { class: "group-summary" }, facts.join(" · ")),
        h(
          "ol",
          { class: "answers", "aria-label": `Answers to ${group.label}` },
          answers.map((answer) =>
            h(
              "li",
              { class: "answer" },
              statusBadge(answer.status),
              ` #${answer.n} · ${answer.ms} ms`,
              answer.node ? ` · via ${answer.node}` : "",
              answer.body?.status ? ` · ${answer.body.status}` : "",
              answer.body?.chargeId ? h("span", { class: "mono" }, ` · ${answer.body.chargeId}`) : "",
              answer.invocationId && !oneInvocation ? h("span", { class: "mono muted" }, ` · ${answer.invocationId}`) : "",
              answer.error ? ` · ${answer.error}` : "",
              " · ",
              h("details", {}, h("summary", {}, "body"), h("pre", { tabindex: 0 }, JSON.stringify(answer.body, null, 2))),
            ),
          ),
        ),
      );
    }),
  );
}

// ---------------------------------------------------------------------------
// Live panels, each polled on its own (a stalled one must not stall the others).
// ---------------------------------------------------------------------------

async function refreshStatus() {
  const id = paymentId();
  if (!id) return;
  const result = await api("GET", `/api/payments/${encodeURIComponent(id)}/status`);
  if (id !== paymentId()) return;
  state.paymentStatus = result.status === 200 ? result.body.status : null;
  const summary = $("payment-summary");
  if (result.status === 404) {
    summary.replaceChildren(`${id}: not created yet.`);
  } else if (result.status === 200) {
    const payment = result.body;
    summary.replaceChildren(
      `${id}: `,
      h("span", { class: `badge ${PAYMENT_BADGE[payment.status] ?? "neutral"}`, "data-payment-status": payment.status }, payment.status),
      ` · ${money(payment.amount, payment.currency)}`,
      payment.chargeId ? h("span", { class: "mono" }, ` · ${payment.chargeId}`) : "",
      payment.refundedAmount > 0 ? ` · refunded ${money(payment.refundedAmount, payment.currency)}` : "",
      payment.failure ? ` · ${payment.failure.message}` : "",
    );
  } else {
    summary.replaceChildren(`${id}: getStatus answered ${result.status}: ${result.body?.message ?? JSON.stringify(result.body)}`);
  }
  $("payment-json").textContent = JSON.stringify(result.body, null, 2);
}

async function refreshLedger() {
  state.ledger = await api("GET", "/api/ledger");
  renderLedger();
}

function renderLedger() {
  const id = paymentId();
  const { charges, refunds } = state.ledger;
  const mine = charges.filter((charge) => charge.reference === id);
  const succeeded = mine.filter((charge) => charge.status === "succeeded").length;
  const myRefunds = refunds.filter((refund) => refund.reference === id).length;
  $("ledger-summary").textContent =
    `${id}: ${plural(succeeded, "successful charge")}` +
    (mine.length > succeeded ? `, ${plural(mine.length - succeeded, "failed attempt")}` : "") +
    `, ${plural(myRefunds, "refund")}. All payments: ${plural(charges.length, "charge")}.`;

  const others = charges.filter((charge) => charge.reference !== id).slice(0, MAX_OTHER_LEDGER_ROWS);
  const shown = [...mine, ...others].sort((a, b) => b.created.localeCompare(a.created));
  const rows = shown.map((charge) => {
    const current = charge.reference === id;
    return h(
      "tr",
      { class: current ? "current" : null, "data-charge": charge.id },
      h("td", {}, clock(charge.created)),
      h("td", { class: "mono wrap" }, charge.id),
      h("td", {}, charge.reference, current ? h("span", { class: "this-payment" }, "this payment") : null),
      h("td", {}, money(charge.amount, charge.currency)),
      h("td", {}, h("span", { class: `badge ${charge.status === "succeeded" ? "ok" : "error"}` }, charge.status)),
      h("td", { class: "mono wrap" }, charge.idempotencyKey ?? "none"),
    );
  });
  $("ledger-charges").tBodies[0].replaceChildren(...(rows.length > 0 ? rows : [h("tr", {}, h("td", { class: "empty", colspan: 6 }, "No charges yet."))]));

  const refundRows = refunds.slice(0, MAX_OTHER_LEDGER_ROWS).map((refund) =>
    h(
      "tr",
      { class: refund.reference === id ? "current" : null },
      h("td", {}, clock(refund.created)),
      h("td", { class: "mono" }, refund.id),
      h("td", {}, refund.reference, refund.reference === id ? h("span", { class: "this-payment" }, "this payment") : null),
      h("td", { class: "mono" }, refund.charge),
      h("td", {}, String(refund.amount)),
    ),
  );
  $("ledger-refunds").tBodies[0].replaceChildren(...(refundRows.length > 0 ? refundRows : [h("tr", {}, h("td", { class: "empty", colspan: 5 }, "No refunds yet."))]));
}

async function refreshFaults() {
  const version = state.faultsVersion;
  const faults = await api("GET", "/api/faults");
  if (version === state.faultsVersion && state.faultChangesUnderWay === 0) renderFaults(faults);
}

function renderFaults(faults) {
  const parts = [
    `latency ${faults.latencyMs} ms`,
    `transient 5xx rate ${Math.round(faults.failureRate * 100)} %`,
    `drop next response: ${faults.dropNext > 0 ? `on (${faults.dropNext})` : "off"}`,
  ];
  if (faults.failNext > 0) parts.push(`fail next ${faults.failNext}`);
  for (const [name, value] of Object.entries(faults)) {
    if (!["latencyMs", "failureRate", "dropNext", "failNext"].includes(name) && typeof value === "number" && value > 0) parts.push(`${name} ${value}`);
  }
  $("faults-now").textContent = parts.join(" · ");
  $("drop-next").checked = faults.dropNext > 0;
}

async function refreshInvocations() {
  const id = paymentId();
  if (!$("payment-id").checkValidity() || !id) return;
  const { invocations } = await api("GET", `/api/invocations?paymentId=${encodeURIComponent(id)}`);
  if (id !== paymentId()) return;
  renderInvocation(invocations);
}

function renderInvocation(invocations) {
  // getStatus is itself an invocation (the service logs each one), so it is not
  // polled blindly: it is asked again when Restate reports a change, e.g. a curl
  // from a terminal, and while the payment is pending.
  const seen = invocations.map((row) => `${row.id} ${row.status} ${row.modified_at}`).join(",");
  if (seen !== state.invocationsSeen) {
    state.invocationsSeen = seen;
    if (invocations.length > 0) void refreshStatus().catch(() => {});
  }
  for (const row of invocations) {
    if (typeof row.retry_count === "number") {
      state.attemptsSeen.set(row.id, Math.max(state.attemptsSeen.get(row.id) ?? 0, row.retry_count));
    }
  }
  const latestAnswered = state.groups.find((g) => g.paymentId === paymentId())?.answers?.find((a) => a.invocationId)?.invocationId;
  const row = invocations.find((r) => r.id === latestAnswered) ?? invocations[0];
  if (!row) {
    $("invocation-id").replaceChildren("none yet");
    $("invocation-status").replaceChildren("—");
    $("invocation-attempts").replaceChildren("—");
    $("invocation-failure").replaceChildren("—");
    return;
  }
  const others = invocations.length - 1;
  $("invocation-id").replaceChildren(
    h("a", { href: row.uiUrl, target: "_blank", rel: "noopener", id: "invocation-link" }, row.id),
    " (opens Restate's UI)",
    others > 0 ? h("span", { class: "muted" }, ` · and ${plural(others, "other create invocation")} for this payment`) : "",
  );
  const statusText = row.status === "completed" && row.completion_result ? `completed (${row.completion_result})` : row.status;
  const statusKind = row.status === "completed" ? (row.completion_result === "success" ? "ok" : "warn") : row.status === "backing-off" ? "error" : "neutral";
  $("invocation-status").replaceChildren(h("span", { class: `badge ${statusKind}` }, statusText));
  const attempts = state.attemptsSeen.get(row.id);
  $("invocation-attempts").replaceChildren(attempts ? String(attempts) : row.status === "completed" ? "finished before the page looked" : "—");
  $("invocation-failure").replaceChildren(row.last_failure ?? "none");
  watchInvocation(row);
}

/** During "crash mid-charge": log each change Restate reports about the invocation. */
function watchInvocation(row) {
  const watch = state.watch;
  if (!watch || watch.paymentId !== paymentId()) return;
  const attempt = row.retry_count ?? watch.attempt;
  if (row.status === watch.status && attempt === watch.attempt) return;
  // A back-off lasts 100 ms at first: the page may poll past it. A higher attempt number says an attempt failed all the same.
  const missedFailure = row.status !== "backing-off" && watch.status !== "backing-off" && attempt > 1 && attempt !== watch.attempt;
  watch.status = row.status;
  watch.attempt = attempt;
  if (missedFailure) logStep(`Restate: attempt ${attempt - 1} failed (${shorten(row.last_failure ?? "no reason given")}); retried.`, "restate");
  if (row.status === "running") logStep(`Restate: attempt ${attempt} is running.`, "restate");
  else if (row.status === "backing-off") logStep(`Restate: attempt ${attempt} failed (${shorten(row.last_failure ?? "no reason given")}); retrying after a backoff.`, "restate");
  else if (row.status === "completed") logStep(`Restate: the invocation completed (${row.completion_result ?? "done"}).`, "restate");
  else logStep(`Restate: the invocation is ${row.status}.`, "restate");
}

/** Restate's failure texts repeat the error's own message; the first sentence says it. */
function shorten(text, max = 140) {
  const firstSentence = text.replace(/^\[\d+ [^\]]*\]\s*/, "").split(/(?<=\.)\s/)[0] ?? text;
  return firstSentence.length > max ? `${firstSentence.slice(0, max - 1)}…` : firstSentence;
}

function logStep(text, kind = "step") {
  $("crash-log").append(h("li", { class: kind }, `${new Date().toLocaleTimeString([], { hour12: false })} ${text}`));
}

function startPolling(refresh, intervalMs) {
  void (async () => {
    for (;;) {
      if (document.visibilityState !== "hidden") {
        try {
          await refresh();
        } catch (error) {
          console.warn(error);
        }
      }
      await sleep(typeof intervalMs === "function" ? intervalMs() : intervalMs);
    }
  })();
}

async function refreshPanels() {
  await Promise.allSettled([refreshStatus(), refreshLedger(), refreshFaults(), refreshInvocations()]);
}

// ---------------------------------------------------------------------------
// Faults.
// ---------------------------------------------------------------------------

async function setFaults(settings, description) {
  const version = ++state.faultsVersion;
  state.faultChangesUnderWay += 1;
  try {
    const faults = await api("PUT", "/api/faults", settings);
    if (version === state.faultsVersion) renderFaults(faults);
    if (description) announce(description);
    return faults;
  } catch (error) {
    announce(`The provider refused the fault settings: ${error.message}`);
    throw error;
  } finally {
    state.faultChangesUnderWay -= 1;
    state.faultsVersion += 1; // polls that started while this was under way are stale too
  }
}

async function applyFaults(event) {
  event.preventDefault();
  const latencyMs = Number($("latency").value);
  const percent = Number($("failure-rate").value);
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 60_000) {
    announce("Latency must be a whole number of milliseconds, 0 to 60000.");
    $("latency").focus();
    return;
  }
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    announce("The transient 5xx rate must be a percentage, 0 to 100.");
    $("failure-rate").focus();
    return;
  }
  await setFaults({ latencyMs, failureRate: percent / 100 }, `Provider faults set: latency ${latencyMs} ms, transient 5xx rate ${percent} %.`).catch(() => {});
}

async function toggleDropNext() {
  const on = $("drop-next").checked;
  await setFaults(
    { dropNext: on ? 1 : 0 },
    on ? "Drop the next response: on. The next charge is made, then the provider cuts the connection before answering." : "Drop the next response: off.",
  ).catch(() => {});
}

async function clearFaults() {
  $("latency").value = "0";
  $("failure-rate").value = "0";
  await setFaults({ latencyMs: 0, failureRate: 0, failNext: 0, dropNext: 0 }, "Provider faults cleared.").catch(() => {});
}

// ---------------------------------------------------------------------------
// Crash the service mid-charge.
// ---------------------------------------------------------------------------

async function crashMidCharge() {
  if (!state.config?.crashAvailable) {
    announce("Crashing the service needs the playground as `npm start` serves it: only the launcher can restart the endpoint.");
    return;
  }
  const button = $("crash");
  button.disabled = true;
  $("crash-log").replaceChildren();
  let restoreLatency = null;
  try {
    newPayment();
    const id = paymentId();
    const before = await api("GET", "/api/faults");
    await setFaults({ latencyMs: CRASH_LATENCY_MS });
    restoreLatency = before.latencyMs;
    logStep(`New payment ${id} with a new key; the provider now takes ${CRASH_LATENCY_MS / 1000} s per charge.`);
    state.watch = { paymentId: id, status: null, attempt: null };

    const sending = send({ copies: 1, concurrently: false, label: "Send once (crash mid-charge)" });
    await until(
      "the payment to be pending",
      async () => (await api("GET", `/api/payments/${encodeURIComponent(id)}/status`)).body?.status === "pending",
      15_000,
      100,
    );
    const { charges } = await api("GET", "/api/ledger");
    const charged = charges.filter((charge) => charge.reference === id).length;
    logStep(`The charge is in flight: ${id} is pending and the ledger has ${plural(charged, "charge")} for it.`);
    logStep("Asking the launcher to kill the service endpoint with SIGKILL…");
    const crash = await api("POST", "/api/service/crash", {});
    logStep(`Killed the service endpoint (pid ${crash.killedPid}); the launcher started it again (pid ${crash.restartedPid}).`);

    const group = await sending;
    await setFaults({ latencyMs: restoreLatency });
    restoreLatency = null;
    await refreshInvocations().catch(() => {});
    const answer = group?.answers?.[0];
    if (!answer) throw new Error(group?.error ?? "the payment was not sent");
    const outcome = answer.body?.status ? `${answer.body.status}, charge ${answer.body.chargeId}` : JSON.stringify(answer.body);
    logStep(`Completed: the payment answered ${answer.status ?? "nothing"} (${outcome}). ${ledgerSentence(id)}`, "done");
    announce(`Crash mid-charge: the invocation resumed after the crash and answered ${answer.status}. ${ledgerSentence(id)}`);
  } catch (error) {
    logStep(`Stopped: ${error.message}`, "done");
    announce(`Crash mid-charge stopped: ${error.message}`);
  } finally {
    if (restoreLatency !== null) await setFaults({ latencyMs: restoreLatency }).catch(() => {});
    state.watch = null;
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// Start.
// ---------------------------------------------------------------------------

async function start() {
  state.config = await api("GET", "/api/config");
  $("restate-ui-link").href = state.config.adminUiUrl;
  $("ledger-link").href = `${state.config.gatewayUrl}/v1/charges`;
  $("copies").max = String(state.config.maxCopies);
  if (!state.config.crashAvailable) {
    $("crash-help").textContent += " (Needs the playground as `npm start` serves it: only the launcher restarts the endpoint.)";
  }

  for (const id of ["payment-id", "amount", "currency", "source", "idempotency-key", "use-key", "copies"]) {
    $(id).addEventListener("input", updateForm);
    $(id).addEventListener("change", updateForm);
  }
  $("payment-id").addEventListener("change", () => void refreshPanels());
  $("new-payment").addEventListener("click", newPayment);
  $("new-key").addEventListener("click", newKey);
  $("reuse-key").addEventListener("click", reuseKey);
  $("send-once").addEventListener("click", () => void send({ copies: 1, concurrently: false, label: "Send once" }));
  $("send-twice").addEventListener("click", () => void send({ copies: 2, concurrently: false, label: "Send twice" }));
  $("send-many").addEventListener("click", () => {
    const copies = copiesWanted();
    void send({ copies, concurrently: true, label: `Send ${copies} concurrently` });
  });
  $("faults-form").addEventListener("submit", (event) => void applyFaults(event));
  $("drop-next").addEventListener("change", () => void toggleDropNext());
  $("clear-faults").addEventListener("click", () => void clearFaults());
  $("crash").addEventListener("click", () => void crashMidCharge());

  const faults = await api("GET", "/api/faults");
  $("latency").value = String(faults.latencyMs);
  $("failure-rate").value = String(Math.round(faults.failureRate * 100));
  renderFaults(faults);
  newPayment();

  startPolling(() => (state.paymentStatus === "pending" ? refreshStatus() : undefined), 700);
  startPolling(refreshLedger, 700);
  startPolling(refreshFaults, 1_000);
  startPolling(refreshInvocations, () => (state.watch ? 200 : 1_000));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refreshPanels();
  });
  document.body.dataset.ready = "true";
}

start().catch((error) => announce(`The playground could not start: ${error.message}`));
