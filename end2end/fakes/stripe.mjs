#!/usr/bin/env node
// A fake of Stripe for tests (the integration tests and the browser tests
// both start it): it speaks Stripe's wire, so the server's real client
// (async-stripe) talks to it unchanged. Requests are form-encoded with
// nested keys (`line_items[0][price]`) and a bearer secret key; answers are
// JSON objects with ids and `object` fields, lists as `{object: "list"}`,
// errors as `{error: {type, code, message, param}}`; webhook deliveries are
// events signed as Stripe signs them (`Stripe-Signature: t=…,v1=…`).
//
// Beside the API it serves a Checkout page and a Customer Portal page (what
// a browser sees at the addresses the API returns), and, under `/_fake/`,
// controls for tests: move a subscription (renewal, failed payment,
// cancellation, plan change), hold or fail its reads, and read what was
// asked and delivered.
//
// Only Node's own modules: no install. Started as
//   node end2end/fakes/stripe.mjs
// with FAKE_STRIPE_PORT (0: any), FAKE_STRIPE_KEY, FAKE_STRIPE_WEBHOOK_SECRET and
// FAKE_STRIPE_WEBHOOK_URL (where to deliver events; without it they are only
// kept for tests to read, and `/_fake/webhook` can set it later). Its first
// line of output is JSON: the port, and the environment that points a
// Lodestar server at it (keys and the price of each plan sold).

import http from "node:http";
import crypto from "node:crypto";

const KEY = process.env.FAKE_STRIPE_KEY || "sk_test_fake";
const WEBHOOK_SECRET = process.env.FAKE_STRIPE_WEBHOOK_SECRET || "whsec_fake";
let WEBHOOK_URL = process.env.FAKE_STRIPE_WEBHOOK_URL || "";
/** The plans this fake sells, as the server's settings name them. */
const PRICES = {
  STRIPE_PRICE_SUPPORT_PRO_MONTHLY: "price_support_pro_month",
  STRIPE_PRICE_SUPPORT_PRO_YEARLY: "price_support_pro_year",
  STRIPE_PRICE_SUPPORT_ENTERPRISE_MONTHLY: "price_support_enterprise_month",
  STRIPE_PRICE_MENTOR_PRO_MONTHLY: "price_mentor_pro_month",
  STRIPE_PRICE_MENTOR_ENTERPRISE_MONTHLY: "price_mentor_enterprise_month",
};
/** What each price costs (cents) and sells, as the plan table says. */
const AMOUNTS = {
  price_support_pro_month: 4900, price_support_pro_year: 49000, price_support_enterprise_month: 19900,
  price_mentor_pro_month: 1999, price_mentor_enterprise_month: 2999,
};
const API_VERSION = "2026-09-30.endive";
const DAY = 86_400;

const customers = new Map();
const sessions = new Map();
const portals = new Map();
const subscriptions = new Map();
const invoices = new Map();
/** The order invoices were made in (for the newest-first list). */
const invoiceOrder = new Map();
const idempotent = new Map();
const requests = [];
const deliveries = [];
let heldReads = false;
const waiting = [];
let failReads = 0;
let declines = 0;
let counter = 0;

const id = (prefix) => `${prefix}_${(++counter).toString(36).padStart(6, "0")}${crypto.randomBytes(6).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);

// ---- the wire ---------------------------------------------------------------

/** `a[b][0][c]=v` pairs into nested objects and arrays, as Stripe reads them. */
function parseForm(text) {
  const out = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = rawKey.replace(/\]/g, "").split("[");
    let node = out;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]);
      if (last) node[part] = value;
      else node = node[part] ??= nextIsIndex ? [] : {};
    });
  }
  return out;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/html; charset=utf-8" : "application/json",
    "request-id": id("req"),
    ...headers,
  });
  res.end(text);
}

function stripeError(res, status, type, message, extra = {}) {
  send(res, status, { error: { type, message, ...extra } });
}

const missing = (res, param) =>
  stripeError(res, 400, "invalid_request_error", `Missing required param: ${param}.`, { code: "parameter_missing", param });

// ---- objects, in Stripe's shapes --------------------------------------------

function priceJson(priceId) {
  const interval = priceId.includes("year") ? "year" : "month";
  const amount = AMOUNTS[priceId] ?? (interval === "year" ? 49000 : 4900);
  const common = { active: true, billing_scheme: "per_unit", created: 1_700_000_000, currency: "usd", livemode: false, metadata: {}, nickname: null, product: "prod_lodestar" };
  return {
    plan: { id: priceId, object: "plan", ...common, amount, amount_decimal: String(amount), interval, interval_count: 1, meter: null, tiers_mode: null, transform_usage: null, trial_period_days: null, usage_type: "licensed" },
    price: { id: priceId, object: "price", ...common, custom_unit_amount: null, lookup_key: null, recurring: { interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: "licensed" }, tax_behavior: "unspecified", tiers_mode: null, transform_quantity: null, type: "recurring", unit_amount: amount, unit_amount_decimal: String(amount) },
    interval,
  };
}

function subscriptionJson(s) {
  const { plan, price } = priceJson(s.price);
  const item = {
    id: s.item, object: "subscription_item", billing_thresholds: null, created: s.created,
    current_period_end: s.period_end, current_period_start: s.period_start, discounts: [], metadata: {},
    plan, price, quantity: 1, subscription: s.id, tax_rates: [],
  };
  return {
    id: s.id, object: "subscription", application: null, application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: s.anchor, billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: "classic", updated_at: null }, billing_schedules: [], billing_thresholds: null,
    cancel_at: s.cancel_at_period_end ? s.period_end : null, cancel_at_period_end: s.cancel_at_period_end,
    canceled_at: s.canceled_at, cancellation_details: { comment: null, feedback: null, reason: s.canceled_at ? "cancellation_requested" : null },
    collection_method: "charge_automatically", created: s.created, currency: "usd", customer: s.customer,
    days_until_due: null, default_payment_method: "pm_card_visa", default_source: null, default_tax_rates: [],
    description: null, discounts: [], ended_at: s.ended_at, invoice_settings: { account_tax_ids: null, issuer: { type: "self" } },
    items: { object: "list", data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${s.id}` },
    latest_invoice: s.latest_invoice, livemode: false, metadata: s.metadata, next_pending_invoice_item_invoice: null,
    on_behalf_of: null, pause_collection: null, payment_settings: null, pending_invoice_item_interval: null,
    pending_setup_intent: null, pending_update: null, schedule: null, start_date: s.created, status: s.status,
    test_clock: null, transfer_data: null, trial_end: s.trial_end, trial_settings: null, trial_start: s.trial_end ? s.created : null,
  };
}

/** "Pro" for `price_support_pro_month`. */
const planName = (priceId) => (priceId.includes("enterprise") ? "Enterprise" : "Pro");
const periodLength = (priceId) => (priceJson(priceId).interval === "year" ? 365 * DAY : 30 * DAY);

function lineJson(invoiceId, s, { description, amount, start, end }) {
  return {
    id: id("il"), object: "line_item", amount, currency: "usd", description, discount_amounts: [], discountable: true,
    discounts: [], invoice: invoiceId, livemode: false, metadata: {}, parent: null, period: { start, end },
    pretax_credit_amounts: [], pricing: null, quantity: 1, subscription: s.id, subtotal: amount, taxes: [],
  };
}

/** An invoice of `s` in Stripe's shape, kept for the customer's list (the same id again updates it). */
function invoiceJson(s, paid, { invoiceId = s.latest_invoice, lines, reason = "subscription_cycle" } = {}) {
  const { price } = priceJson(s.price);
  lines ??= [{ description: `1 × ${planName(s.price)} (at $${(price.unit_amount / 100).toFixed(2)} / ${price.recurring.interval})`, amount: price.unit_amount, start: s.period_start, end: s.period_end }];
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const due = Math.max(total, 0);
  const invoice = {
    id: invoiceId, object: "invoice", amount_due: due, amount_overpaid: 0, amount_paid: paid ? due : 0,
    amount_remaining: paid ? 0 : due, amount_shipping: 0, attempt_count: 1, attempted: true, billing_reason: reason,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, status: null },
    collection_method: "charge_automatically", created: invoices.get(invoiceId)?.created ?? now(), currency: "usd",
    customer: s.customer, default_tax_rates: [], discounts: [], issuer: { type: "self" }, livemode: false,
    lines: { object: "list", data: lines.map((line) => lineJson(invoiceId, s, line)), has_more: false, url: `/v1/invoices/${invoiceId}/lines` },
    parent: { quote_details: null, subscription_details: { metadata: s.metadata, subscription: s.id }, type: "subscription_details" },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: s.period_start, period_start: s.period_start, post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0, starting_balance: 0, status: paid ? "paid" : "open",
    status_transitions: { finalized_at: now(), marked_uncollectible_at: null, paid_at: paid ? now() : null, voided_at: null },
    hosted_invoice_url: `${base()}/invoice/${invoiceId}`, invoice_pdf: `${base()}/invoice/${invoiceId}.pdf`,
    number: invoices.get(invoiceId)?.number ?? `LODE-${String(invoices.size + 1).padStart(4, "0")}`,
    subtotal: total, total,
  };
  invoices.set(invoiceId, invoice);
  if (!invoiceOrder.has(invoiceId)) invoiceOrder.set(invoiceId, invoiceOrder.size);
  return invoice;
}

/** What moving `s` to `newPrice` at `at` (s) invoices now: Stripe's proration lines. */
function prorate(s, newPrice, at) {
  const [from, to] = [priceJson(s.price).price, priceJson(newPrice).price];
  // (A renewal moved by a test starts after now: at most the whole period is left.)
  const left = Math.min(1, Math.max(0, s.period_end - at) / (s.period_end - s.period_start));
  const day = new Date(at * 1000).toISOString().slice(0, 10);
  const lines = [{ description: `Unused time on ${planName(s.price)} after ${day}`, amount: -Math.round(from.unit_amount * left), start: at, end: s.period_end }];
  // A new interval starts a new billing cycle now: the new plan's whole first period.
  const restart = from.recurring.interval !== to.recurring.interval;
  lines.push(restart
    ? { description: `1 × ${planName(newPrice)} (at $${(to.unit_amount / 100).toFixed(2)} / ${to.recurring.interval})`, amount: to.unit_amount, start: at, end: at + periodLength(newPrice) }
    : { description: `Remaining time on ${planName(newPrice)} after ${day}`, amount: Math.round(to.unit_amount * left), start: at, end: s.period_end });
  return { lines, restart };
}

function sessionJson(cs) {
  return {
    id: cs.id, object: "checkout.session", automatic_tax: { enabled: false, liability: null, status: null },
    cancel_url: cs.cancel_url, client_reference_id: cs.client_reference_id, created: cs.created, currency: "usd",
    custom_fields: [], custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: cs.customer, expires_at: cs.created + DAY, livemode: false, metadata: {}, mode: "subscription",
    payment_method_types: ["card"], payment_status: cs.subscription ? "paid" : "unpaid", shipping_options: [],
    status: cs.subscription ? "complete" : "open", subscription: cs.subscription, success_url: cs.success_url,
    url: cs.subscription ? null : `${base()}/checkout/${cs.id}`,
  };
}

// ---- events -----------------------------------------------------------------

async function emit(type, object, previous) {
  const event = {
    id: id("evt"), object: "event", api_version: API_VERSION, created: now(),
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: false, pending_webhooks: WEBHOOK_URL ? 1 : 0, request: { id: null, idempotency_key: null }, type,
  };
  const body = JSON.stringify(event);
  const delivery = { id: event.id, type, body, header: sign(body, now()), status: null };
  deliveries.push(delivery);
  if (WEBHOOK_URL) {
    try {
      const res = await fetch(WEBHOOK_URL, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": delivery.header }, body });
      delivery.status = res.status;
    } catch (e) {
      delivery.status = String(e);
    }
  }
  return delivery;
}

function sign(body, t) {
  const v1 = crypto.createHmac("sha256", WEBHOOK_SECRET).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}

/** What Stripe emits when a subscription moves. */
async function move(s, change) {
  const previous = {};
  const set = (field, value) => {
    if (s[field] !== value) previous[field] = s[field];
    s[field] = value;
  };
  const emitted = [];
  if (change.renew) {
    set("period_start", s.period_end);
    set("period_end", s.period_end + periodLength(s.price));
    s.latest_invoice = id("in");
  }
  if (change.price) set("price", change.price);
  if (change.cancel_at_period_end !== undefined) set("cancel_at_period_end", change.cancel_at_period_end);
  if (change.status) set("status", change.status);
  if (change.status === "canceled") {
    set("canceled_at", now());
    set("ended_at", now());
  }
  if (change.payment === "failed") emitted.push(await emit("invoice.payment_failed", invoiceJson(s, false)));
  if (change.payment === "paid") emitted.push(await emit("invoice.paid", invoiceJson(s, true)));
  if (Object.keys(previous).length) {
    const type = s.status === "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated";
    emitted.push(await emit(type, subscriptionJson(s), previous));
  }
  if (change.trial_will_end) emitted.push(await emit("customer.subscription.trial_will_end", subscriptionJson(s)));
  return emitted;
}

function newSubscription({ customer, price, metadata = {}, status = "active", trial_days = 0 }) {
  const length = periodLength(price);
  const s = {
    id: id("sub"), item: id("si"), customer, price, metadata, status, created: now(), anchor: now(),
    period_start: now(), period_end: now() + (trial_days ? trial_days * DAY : length), cancel_at_period_end: false,
    canceled_at: null, ended_at: null, trial_end: trial_days ? now() + trial_days * DAY : null, latest_invoice: id("in"),
  };
  subscriptions.set(s.id, s);
  return s;
}

/** Checkout paid: the subscription, then what Stripe sends about it. */
async function completeCheckout(cs) {
  const s = newSubscription({ customer: cs.customer, price: cs.price, metadata: cs.subscription_metadata });
  cs.subscription = s.id;
  return [
    await emit("customer.subscription.created", subscriptionJson(s)),
    await emit("invoice.paid", invoiceJson(s, true)),
    await emit("checkout.session.completed", sessionJson(cs)),
  ];
}

// ---- pages a browser sees ---------------------------------------------------

const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title><style>body{font:16px system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.6rem 1.2rem}</style></head>
<body><p>Fake Stripe (test mode)</p>${body}</body></html>`;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// ---- the server -------------------------------------------------------------

let port = 0;
const base = () => `http://127.0.0.1:${port}`;

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(req, res) {
  const url = new URL(req.url, base());
  const path = url.pathname;
  const text = await readBody(req);

  // Controls for tests.
  if (path.startsWith("/_fake/")) {
    const body = text ? JSON.parse(text) : {};
    if (path === "/_fake/requests") return send(res, 200, requests);
    if (path === "/_fake/webhook") {
      WEBHOOK_URL = body.url ?? "";
      return send(res, 200, { url: WEBHOOK_URL });
    }
    if (path === "/_fake/deliveries") return send(res, 200, deliveries);
    if (path === "/_fake/hold") {
      heldReads = Boolean(body.hold);
      if (!heldReads) waiting.splice(0).forEach((release) => release());
      return send(res, 200, { held: heldReads });
    }
    if (path === "/_fake/decline") {
      declines = body.count ?? 1;
      return send(res, 200, { declining: declines });
    }
    if (path === "/_fake/fail") {
      failReads = body.count ?? 1;
      return send(res, 200, { failing: failReads });
    }
    if (path === "/_fake/subscriptions" && req.method === "POST") {
      const s = newSubscription(body);
      const emitted = [await emit("customer.subscription.created", subscriptionJson(s))];
      return send(res, 200, { subscription: subscriptionJson(s), deliveries: emitted });
    }
    let m = path.match(/^\/_fake\/subscriptions\/([\w]+)$/);
    if (m) {
      const s = subscriptions.get(m[1]);
      if (!s) return send(res, 404, { error: "no such subscription" });
      const emitted = await move(s, body);
      return send(res, 200, { subscription: subscriptionJson(s), deliveries: emitted });
    }
    m = path.match(/^\/_fake\/checkout\/([\w]+)\/pay$/);
    if (m && sessions.has(m[1])) return send(res, 200, { deliveries: await completeCheckout(sessions.get(m[1])) });
    return send(res, 404, { error: "unknown control" });
  }

  // The pages Checkout's and the portal's addresses open (and no icon for them).
  if (path === "/favicon.ico") return send(res, 204, "");
  let m = path.match(/^\/checkout\/([\w]+)(\/pay)?$/);
  if (m) {
    const cs = sessions.get(m[1]);
    if (!cs) return send(res, 404, page("Not found", "<h1>This Checkout page has expired</h1>"));
    if (m[2] && req.method === "POST") {
      if (!cs.subscription) await completeCheckout(cs);
      return send(res, 303, "", { location: cs.success_url.replace("{CHECKOUT_SESSION_ID}", cs.id) });
    }
    const { price, interval } = priceJson(cs.price);
    return send(res, 200, page("Checkout", `<h1>Subscribe to Lodestar</h1>
<p>${escape(cs.price)}: $${(price.unit_amount / 100).toFixed(2)} per ${interval}</p>
<form method="post" action="/checkout/${cs.id}/pay"><label>Card number <input name="card" value="4242 4242 4242 4242"></label>
<p><button type="submit">Pay and subscribe</button></p></form>
<p><a href="${escape(cs.cancel_url)}">Back to Lodestar</a></p>`));
  }
  m = path.match(/^\/portal\/([\w]+)(\/cancel)?$/);
  if (m) {
    const ps = portals.get(m[1]);
    if (!ps) return send(res, 404, page("Not found", "<h1>This portal link has expired</h1>"));
    const subscription = [...subscriptions.values()].find((s) => s.customer === ps.customer && s.status !== "canceled");
    if (m[2] && req.method === "POST" && subscription) {
      await move(subscription, { cancel_at_period_end: true });
      return send(res, 303, "", { location: ps.return_url });
    }
    return send(res, 200, page("Customer portal", `<h1>Manage your subscription</h1>
<p>Opened at: <strong>${escape(ps.flow || "home")}</strong></p>
<p>${subscription ? `Subscription ${escape(subscription.id)}: ${escape(subscription.status)}` : "No subscription"}</p>
${subscription ? `<form method="post" action="/portal/${ps.id}/cancel"><button type="submit">Cancel plan</button></form>` : ""}
<p><a href="${escape(ps.return_url)}">Return to Lodestar</a></p>`));
  }

  // The API.
  if (!path.startsWith("/v1/")) return send(res, 404, page("Not found", "<h1>Not found</h1>"));
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    return stripeError(res, 401, "invalid_request_error", "Invalid API Key provided: sk_test_****");
  }
  if (req.method === "POST" && !(req.headers["content-type"] || "").startsWith("application/x-www-form-urlencoded")) {
    return stripeError(res, 400, "invalid_request_error", "Invalid request: bodies are form-encoded.");
  }
  const form = parseForm(req.method === "GET" ? url.search.slice(1) : text);
  const key = req.headers["idempotency-key"];
  requests.push({ method: req.method, path, form, idempotency_key: key ?? null, stripe_version: req.headers["stripe-version"] ?? null });
  if (req.method === "POST" && key && idempotent.has(key)) {
    return send(res, 200, idempotent.get(key), { "idempotent-replayed": "true" });
  }
  const answer = (status, body) => {
    if (req.method === "POST" && key && status === 200) idempotent.set(key, body);
    send(res, status, body);
  };

  if (req.method === "POST" && path === "/v1/customers") {
    const c = { id: id("cus"), object: "customer", created: now(), email: form.email ?? null, name: form.name ?? null, metadata: form.metadata ?? {}, livemode: false, balance: 0, delinquent: false, description: null, currency: null, invoice_prefix: "LODE", preferred_locales: [], tax_exempt: "none" };
    customers.set(c.id, c);
    return answer(200, c);
  }
  if (req.method === "POST" && path === "/v1/checkout/sessions") {
    if (form.mode !== "subscription") return missing(res, "mode");
    const price = form.line_items?.[0]?.price;
    if (!price) return missing(res, "line_items[0][price]");
    if (!form.success_url) return missing(res, "success_url");
    if (form.customer && !customers.has(form.customer)) {
      return stripeError(res, 400, "invalid_request_error", `No such customer: '${form.customer}'`, { code: "resource_missing", param: "customer" });
    }
    const cs = {
      id: id("cs_test"), created: now(), customer: form.customer ?? null, price, client_reference_id: form.client_reference_id ?? null,
      success_url: form.success_url, cancel_url: form.cancel_url ?? null, subscription_metadata: form.subscription_data?.metadata ?? {}, subscription: null,
    };
    sessions.set(cs.id, cs);
    return answer(200, sessionJson(cs));
  }
  if (req.method === "POST" && path === "/v1/billing_portal/sessions") {
    if (!form.customer) return missing(res, "customer");
    if (!customers.has(form.customer)) {
      return stripeError(res, 400, "invalid_request_error", `No such customer: '${form.customer}'`, { code: "resource_missing", param: "customer" });
    }
    const flow = form.flow_data?.type ?? null;
    if (flow === "subscription_cancel" && !form.flow_data?.subscription_cancel?.subscription) {
      return missing(res, "flow_data[subscription_cancel][subscription]");
    }
    const ps = { id: id("bps"), customer: form.customer, flow, return_url: form.return_url ?? base() };
    portals.set(ps.id, ps);
    return answer(200, {
      id: ps.id, object: "billing_portal.session", configuration: "bpc_default", created: now(), customer: ps.customer,
      flow: null, livemode: false, locale: null, on_behalf_of: null, return_url: ps.return_url, url: `${base()}/portal/${ps.id}`,
    });
  }
  m = path.match(/^\/v1\/prices\/(price_\w+)$/);
  if (req.method === "GET" && m) {
    // Any `price_…_month` or `…_year` exists (unknown ones at a default amount), except a `…missing…` one.
    if (m[1].includes("missing") || !/_(month|year)$/.test(m[1])) {
      return stripeError(res, 404, "invalid_request_error", `No such price: '${m[1]}'`, { code: "resource_missing", param: "price" });
    }
    return send(res, 200, priceJson(m[1]).price);
  }
  if (req.method === "GET" && path === "/v1/invoices") {
    const limit = Number(form.limit ?? 10);
    const data = [...invoices.values()]
      .filter((invoice) => !form.customer || invoice.customer === form.customer)
      .sort((a, b) => b.created - a.created || invoiceOrder.get(b.id) - invoiceOrder.get(a.id));
    return send(res, 200, { object: "list", data: data.slice(0, limit), has_more: data.length > limit, url: "/v1/invoices" });
  }
  if (req.method === "POST" && path === "/v1/invoices/create_preview") {
    const s = subscriptions.get(form.subscription ?? "");
    if (!s || s.customer !== form.customer) {
      return stripeError(res, 400, "invalid_request_error", `No such subscription: '${form.subscription}'`, { code: "resource_missing", param: "subscription" });
    }
    const item = form.subscription_details?.items?.[0];
    if (item?.id !== s.item) return missing(res, "subscription_details[items][0][id]");
    if (!AMOUNTS[item.price]) return stripeError(res, 400, "invalid_request_error", `No such price: '${item.price}'`, { code: "resource_missing", param: "price" });
    const at = Number(form.subscription_details.proration_date ?? now());
    const { lines } = prorate(s, item.price, at);
    const preview = invoiceJson(s, false, { invoiceId: `upcoming_${s.id}`, lines, reason: "subscription_update" });
    invoices.delete(preview.id);
    invoiceOrder.delete(preview.id);
    return send(res, 200, { ...preview, id: null, number: null, hosted_invoice_url: null, invoice_pdf: null });
  }
  m = path.match(/^\/v1\/subscriptions\/([\w]+)$/);
  if (req.method === "POST" && m) {
    const s = subscriptions.get(m[1]);
    if (!s) return stripeError(res, 404, "invalid_request_error", `No such subscription: '${m[1]}'`, { code: "resource_missing", param: "id" });
    const item = form.items?.[0];
    if (item && item.id !== s.item) return missing(res, "items[0][id]");
    if (item && !AMOUNTS[item.price]) return stripeError(res, 400, "invalid_request_error", `No such price: '${item.price}'`, { code: "resource_missing", param: "items[0][price]" });
    if (item && declines > 0) {
      declines -= 1;
      return stripeError(res, 402, "card_error", "Your card was declined.", { code: "card_declined", decline_code: "generic_decline" });
    }
    if (item) {
      const at = Number(form.proration_date ?? now());
      const { lines, restart } = prorate(s, item.price, at);
      if (form.proration_behavior === "always_invoice") {
        s.latest_invoice = id("in");
        invoiceJson(s, true, { lines, reason: "subscription_update" });
      }
      const previous = { items: subscriptionJson(s).items };
      s.price = item.price;
      // A new interval starts a new cycle at the change, never before the current period began
      // (the tests' renewals run ahead of the clock; Stripe's never do).
      const start = Math.max(at, s.period_start);
      if (restart) [s.period_start, s.period_end] = [start, start + periodLength(item.price)];
      if (form.proration_behavior === "always_invoice") await emit("invoice.paid", invoices.get(s.latest_invoice));
      await emit("customer.subscription.updated", subscriptionJson(s), previous);
    }
    return answer(200, subscriptionJson(s));
  }
  if (req.method === "GET" && m) {
    if (heldReads) await new Promise((release) => waiting.push(release));
    if (failReads > 0) {
      failReads -= 1;
      return stripeError(res, 500, "api_error", "An unknown error occurred.");
    }
    const s = subscriptions.get(m[1]);
    if (!s) return stripeError(res, 404, "invalid_request_error", `No such subscription: '${m[1]}'`, { code: "resource_missing", param: "id" });
    return send(res, 200, subscriptionJson(s));
  }
  return stripeError(res, 404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(e);
    if (!res.headersSent) stripeError(res, 500, "api_error", String(e));
  });
});
server.listen(Number(process.env.FAKE_STRIPE_PORT || 0), "127.0.0.1", () => {
  port = server.address().port;
  const env = { STRIPE_SECRET_KEY: KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: base(), ...PRICES };
  console.log(JSON.stringify({ listening: port, server_env: env }));
});
