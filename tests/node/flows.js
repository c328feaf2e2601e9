// Flows run by the official stripe-node SDK, unchanged, against a live emulator.
//
//   node tests/node/flows.js <flow>   with {"api": "http://127.0.0.1:PORT", "key": "sk_test_..."} on stdin
//
// Each flow makes the calls a Node integration would make and prints one JSON document of what it saw;
// tests/node/test_stripe_node.py asserts on it. Errors a flow expects are caught and reported; any other
// error fails the run (exit code 1, the SDK's error on stderr).
"use strict";

const http = require("node:http");
const Stripe = require("stripe");

const DAY = 86400;
const JAN_1_2027 = 1798761600; // 2027-01-01T00:00:00Z
const JAN_31_2027 = 1801353600; // 2027-01-31T00:00:00Z

function client(input, options = {}) {
  const api = new URL(input.api);
  return new Stripe(input.key, {
    host: api.hostname,
    port: Number(api.port),
    protocol: api.protocol.replace(":", ""),
    ...options,
  });
}

// A Stripe error as the SDK exposes it to integrations.
function describeError(error) {
  return {
    class: error.constructor.name,
    type: error.type,
    rawType: error.rawType,
    code: error.code,
    declineCode: error.decline_code,
    param: error.param,
    message: error.message,
    statusCode: error.statusCode,
    requestId: error.requestId,
    paymentIntentStatus: error.raw && error.raw.payment_intent ? error.raw.payment_intent.status : undefined,
  };
}

async function expectError(promise) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError)) throw error;
    return describeError(error);
  }
  throw new Error("expected a Stripe error");
}

// Advance a test clock the way Stripe's docs tell integrations to: advance, then poll until ready.
async function advance(stripe, clockId, frozenTime) {
  let clock = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  for (let polls = 0; clock.status !== "ready"; polls += 1) {
    if (polls > 200) throw new Error(`test clock ${clockId} still ${clock.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  }
  return clock;
}

async function monthlyPrice(stripe, name, unitAmount) {
  const product = await stripe.products.create({ name, metadata: { sdk: "stripe-node" } });
  return stripe.prices.create({
    product: product.id,
    currency: "usd",
    unit_amount: unitAmount,
    recurring: { interval: "month" },
  });
}

async function clockCustomer(stripe, frozenTime, extra = {}) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozenTime, name: "stripe-node" });
  const customer = await stripe.customers.create({
    email: "node@example.com",
    test_clock: clock.id,
    payment_method: "pm_card_visa",
    invoice_settings: { default_payment_method: "pm_card_visa" },
    ...extra,
  });
  return { clock, customer };
}

const flows = {
  // Subscribe, upgrade mid-cycle with an immediate proration invoice, cancel at period end with a reason.
  async subscriptionLifecycle(input) {
    const stripe = client(input);
    const price = await monthlyPrice(stripe, "Node Seats", 1500);
    const { clock, customer } = await clockCustomer(stripe, JAN_1_2027, {
      metadata: { plan: "seats" },
      address: { line1: "1 Main St", city: "Paris", country: "FR", postal_code: "75001" },
    });
    const created = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 1 }],
      expand: ["latest_invoice.payments", "items.data.price.product"],
    });
    await advance(stripe, clock.id, JAN_1_2027 + 16 * DAY);
    const upgraded = await stripe.subscriptions.update(created.id, {
      items: [{ id: created.items.data[0].id, quantity: 2 }],
      proration_behavior: "always_invoice",
      expand: ["latest_invoice"],
    });
    const cancelling = await stripe.subscriptions.update(created.id, {
      cancel_at_period_end: true,
      cancellation_details: { comment: "Too pricey for us", feedback: "too_expensive" },
    });
    await advance(stripe, clock.id, JAN_1_2027 + 31 * DAY + 3600);
    const ended = await stripe.subscriptions.retrieve(created.id);
    const eventTypes = [];
    for await (const event of stripe.events.list({ limit: 100 })) {
      if (event.data.object.id === created.id) eventTypes.push(event.type);
    }
    return {
      customer: await stripe.customers.retrieve(customer.id),
      created,
      firstInvoice: created.latest_invoice,
      productName: created.items.data[0].price.product.name,
      upgraded,
      prorationInvoice: upgraded.latest_invoice,
      cancelling,
      ended,
      eventTypes: eventTypes.reverse(),
    };
  },

  // Stripe's subscription quickstart: default_incomplete, the card saved on the subscription, the first
  // invoice's PaymentIntent confirmed from its confirmation_secret (as Stripe.js would with the client secret).
  async quickstart(input) {
    const stripe = client(input);
    const price = await monthlyPrice(stripe, "Node Starter", 1900);
    const customer = await stripe.customers.create({ email: "starter@example.com" });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: "default_incomplete",
      payment_settings: { save_default_payment_method: "on_subscription" },
      expand: ["latest_invoice.confirmation_secret"],
    });
    const secret = subscription.latest_invoice.confirmation_secret.client_secret;
    const intentId = secret.split("_secret_")[0];
    const confirmed = await stripe.paymentIntents.confirm(intentId, { payment_method: "pm_card_visa" });
    const active = await stripe.subscriptions.retrieve(subscription.id, { expand: ["latest_invoice"] });
    return {
      createdStatus: subscription.status,
      secretType: subscription.latest_invoice.confirmation_secret.type,
      intentStatus: confirmed.status,
      active,
      savedMethodCustomer: (await stripe.paymentMethods.retrieve(active.default_payment_method)).customer,
      customerId: customer.id,
    };
  },

  // Errors as stripe-node's error classes, idempotent replays, request ids.
  async errorsAndIdempotency(input) {
    const stripe = client(input, { maxNetworkRetries: 0 });
    const unknownParam = await expectError(stripe.customers.create({ favourite_colour: "teal" }));
    const missing = await expectError(stripe.customers.retrieve("cus_doesnotexist"));
    const badEnum = await expectError(
      stripe.prices.create({ currency: "usd", unit_amount: 100, product_data: { name: "x" },
        recurring: { interval: "fortnight" } }));
    const declined = await expectError(stripe.paymentIntents.create({
      amount: 2000, currency: "usd", payment_method: "pm_card_chargeDeclinedInsufficientFunds", confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    }));
    const first = await stripe.customers.create({ email: "same@example.com" }, { idempotencyKey: "node-key-1" });
    const replay = await stripe.customers.create({ email: "same@example.com" }, { idempotencyKey: "node-key-1" });
    const conflict = await expectError(
      stripe.customers.create({ email: "other@example.com" }, { idempotencyKey: "node-key-1" }));
    const badKey = await expectError(client({ ...input, key: "sk_live_not_a_test_key" }).customers.list());
    return {
      unknownParam, missing, badEnum, declined, conflict, badKey,
      firstId: first.id,
      replayId: replay.id,
      replayedHeader: replay.lastResponse.headers["idempotent-replayed"],
      requestId: replay.lastResponse.requestId,
    };
  },

  // Monthly renewals anchored on the 31st for a year, through test clock advances.
  async clockYear(input) {
    const stripe = client(input);
    const price = await monthlyPrice(stripe, "Node Monthly", 1200);
    const { clock, customer } = await clockCustomer(stripe, JAN_31_2027);
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const periodEnds = [];
    let end = subscription.items.data[0].current_period_end;
    for (let month = 0; month < 12; month += 1) {
      await advance(stripe, clock.id, end + 2 * 3600);
      const renewed = await stripe.subscriptions.retrieve(subscription.id);
      end = renewed.items.data[0].current_period_end;
      periodEnds.push(new Date(end * 1000).toISOString().slice(0, 10));
    }
    const invoices = await stripe.invoices.list({ customer: customer.id, limit: 5 }).autoPagingToArray({ limit: 100 });
    return {
      periodEnds,
      invoices: invoices.map((invoice) => ({ status: invoice.status, amount_paid: invoice.amount_paid,
        billing_reason: invoice.billing_reason, period_end: invoice.period_end })),
      clock: await stripe.testHelpers.testClocks.retrieve(clock.id),
    };
  },

  // A signed webhook delivered to a Node HTTP server and verified with stripe.webhooks.constructEvent.
  async webhooks(input) {
    const stripe = client(input);
    const received = [];
    let notify = () => {};
    const server = http.createServer((request, response) => {
      const chunks = [];
      request.on("data", (chunk) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ body: Buffer.concat(chunks), signature: request.headers["stripe-signature"],
          userAgent: request.headers["user-agent"] });
        response.writeHead(200, { "Content-Type": "text/plain" });
        response.end("ok");
        notify();
      });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: `http://127.0.0.1:${server.address().port}/stripe/webhooks`,
        enabled_events: ["customer.created"],
      });
      const delivered = new Promise((resolve) => { notify = resolve; });
      const customer = await stripe.customers.create({ email: "hook@example.com", name: "Hook Node" });
      let timer;
      await Promise.race([delivered, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no webhook delivery within 10 s")), 10000);
      })]).finally(() => clearTimeout(timer));
      const delivery = received[0];
      const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, endpoint.secret);
      const asyncEvent = await stripe.webhooks.constructEventAsync(delivery.body, delivery.signature,
        endpoint.secret);
      let tampered = null;
      try {
        stripe.webhooks.constructEvent(Buffer.from(delivery.body.toString().replace("Hook Node", "Hook Evil")),
          delivery.signature, endpoint.secret);
      } catch (error) {
        tampered = { class: error.constructor.name, type: error.type };
      }
      let wrongSecret = null;
      try {
        stripe.webhooks.constructEvent(delivery.body, delivery.signature, "whsec_not_the_secret");
      } catch (error) {
        wrongSecret = { class: error.constructor.name, type: error.type };
      }
      const stored = await stripe.events.retrieve(event.id);
      return {
        secretPrefix: endpoint.secret.slice(0, 6),
        customerId: customer.id,
        event,
        asyncEventId: asyncEvent.id,
        storedEventId: stored.id,
        storedObjectId: stored.data.object.id,
        userAgent: delivery.userAgent,
        tampered,
        wrongSecret,
      };
    } finally {
      server.close();
    }
  },

  // An end-of-period downgrade through a subscription schedule (nested phases[n][items][m] parameters).
  async scheduleDowngrade(input) {
    const stripe = client(input);
    const pro = await monthlyPrice(stripe, "Node Pro", 3000);
    const basic = await monthlyPrice(stripe, "Node Basic", 1000);
    const { clock, customer } = await clockCustomer(stripe, JAN_1_2027);
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
    const schedule = await stripe.subscriptionSchedules.create({ from_subscription: subscription.id });
    const current = schedule.phases[0];
    const updated = await stripe.subscriptionSchedules.update(schedule.id, {
      end_behavior: "release",
      phases: [
        { items: [{ price: pro.id, quantity: 1 }], start_date: current.start_date, end_date: current.end_date },
        { items: [{ price: basic.id, quantity: 1 }], duration: { interval: "month", interval_count: 1 } },
      ],
    });
    await advance(stripe, clock.id, current.end_date + 2 * 3600);
    const downgraded = await stripe.subscriptions.retrieve(subscription.id, { expand: ["latest_invoice"] });
    return {
      phases: updated.phases.map((phase) => ({ start_date: phase.start_date, end_date: phase.end_date,
        prices: phase.items.map((item) => item.price) })),
      schedule: await stripe.subscriptionSchedules.retrieve(schedule.id),
      pro: pro.id,
      basic: basic.id,
      downgradedPrice: downgraded.items.data[0].price.id,
      renewalInvoice: downgraded.latest_invoice,
    };
  },

  // A portal configuration with nested feature settings and a French session opening on a deep link.
  async portal(input) {
    const stripe = client(input);
    const monthly = await monthlyPrice(stripe, "Node Team", 2000);
    const yearly = await stripe.prices.create({ product: monthly.product, currency: "usd", unit_amount: 20000,
      recurring: { interval: "year" }, nickname: "Team, yearly" });
    const configuration = await stripe.billingPortal.configurations.create({
      business_profile: { headline: "Node Team billing", privacy_policy_url: "https://example.com/privacy" },
      features: {
        customer_update: { enabled: true, allowed_updates: ["email", "address"] },
        invoice_history: { enabled: true },
        payment_method_update: { enabled: true },
        subscription_cancel: {
          enabled: true, mode: "at_period_end",
          cancellation_reason: { enabled: true, options: ["too_expensive", "unused", "other"] },
        },
        subscription_update: {
          enabled: true, default_allowed_updates: ["price", "quantity"], proration_behavior: "create_prorations",
          products: [{ product: monthly.product, prices: [monthly.id, yearly.id] }],
        },
      },
    });
    const customer = await stripe.customers.create({ email: "portal@example.com", payment_method: "pm_card_visa",
      invoice_settings: { default_payment_method: "pm_card_visa" } });
    const subscription = await stripe.subscriptions.create({ customer: customer.id,
      items: [{ price: monthly.id }] });
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: configuration.id,
      locale: "fr",
      return_url: "https://example.com/account",
      flow_data: {
        type: "subscription_update_confirm",
        subscription_update_confirm: {
          subscription: subscription.id,
          items: [{ id: subscription.items.data[0].id, price: yearly.id, quantity: 1 }],
        },
        after_completion: { type: "redirect", redirect: { return_url: "https://example.com/upgraded" } },
      },
    });
    return { configuration, session, yearlyPrice: yearly.id };
  },

  // The proration preview (invoices.createPreview) and API version pinning per client.
  async previewAndVersions(input) {
    const stripe = client(input);
    const basic = await monthlyPrice(stripe, "Node Basic", 1000);
    const pro = await stripe.prices.create({ product: basic.product, currency: "usd", unit_amount: 4000,
      recurring: { interval: "month" } });
    const { clock, customer } = await clockCustomer(stripe, JAN_1_2027);
    const subscription = await stripe.subscriptions.create({ customer: customer.id,
      items: [{ price: basic.id }] });
    await advance(stripe, clock.id, JAN_1_2027 + 10 * DAY);
    const prorationDate = JAN_1_2027 + 10 * DAY;
    const preview = await stripe.invoices.createPreview({
      customer: customer.id,
      subscription: subscription.id,
      subscription_details: {
        items: [{ id: subscription.items.data[0].id, price: pro.id }],
        proration_date: prorationDate,
        proration_behavior: "always_invoice",
      },
    });
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: subscription.items.data[0].id, price: pro.id }],
      proration_date: prorationDate,
      proration_behavior: "always_invoice",
      expand: ["latest_invoice"],
    });
    const legacy = client(input, { apiVersion: "2023-08-16" });
    const legacySubscription = await legacy.subscriptions.retrieve(subscription.id);
    return {
      preview,
      invoice: updated.latest_invoice,
      apiVersion: updated.lastResponse.apiVersion,
      legacyApiVersion: legacySubscription.lastResponse.apiVersion,
      endivePeriodEnd: updated.current_period_end === undefined ? null : updated.current_period_end,
      legacyPeriodEnd: legacySubscription.current_period_end,
      itemPeriodEnd: updated.items.data[0].current_period_end,
    };
  },

  // Cursor pagination, auto-pagination and search pages (next_page) with metadata queries.
  async listsAndSearch(input) {
    const stripe = client(input);
    const batch = `node-${Date.now()}`;
    const created = [];
    for (let index = 0; index < 23; index += 1) {
      created.push((await stripe.customers.create({ email: `c${index}@example.com`,
        metadata: { batch, index: String(index) } })).id);
    }
    const firstPage = await stripe.customers.list({ limit: 10 });
    const secondPage = await stripe.customers.list({ limit: 10, starting_after: firstPage.data.at(-1).id });
    const backwards = await stripe.customers.list({ limit: 3, ending_before: secondPage.data[0].id });
    const everything = await stripe.customers.list({ limit: 7 }).autoPagingToArray({ limit: 1000 });
    const found = await stripe.customers.search({ query: `metadata['batch']:'${batch}'`, limit: 10 })
      .autoPagingToArray({ limit: 100 });
    const searchPage = await stripe.customers.search({ query: `metadata['batch']:'${batch}'`, limit: 10 });
    const oneEmail = await stripe.customers.list({ email: "c7@example.com" });
    return {
      created,
      firstPage: firstPage.data.map((customer) => customer.id),
      firstHasMore: firstPage.has_more,
      secondPage: secondPage.data.map((customer) => customer.id),
      backwards: backwards.data.map((customer) => customer.id),
      everything: everything.map((customer) => customer.id),
      found: found.map((customer) => customer.id),
      searchPage: { object: searchPage.object, has_more: searchPage.has_more, next_page: searchPage.next_page,
        url: searchPage.url, count: searchPage.data.length },
      oneEmail: oneEmail.data.map((customer) => customer.metadata.index),
    };
  },

  // Saving a card with a SetupIntent, attaching and detaching payment methods, unsetting with "".
  async paymentMethods(input) {
    const stripe = client(input);
    const customer = await stripe.customers.create({ email: "cards@example.com", metadata: { keep: "yes", drop: "me" },
      address: { line1: "1 Rue de Rivoli", city: "Paris", country: "FR" } });
    const setupIntent = await stripe.setupIntents.create({ customer: customer.id, payment_method: "pm_card_mastercard",
      confirm: true, usage: "off_session", automatic_payment_methods: { enabled: true, allow_redirects: "never" } });
    const visa = await stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id });
    const updated = await stripe.customers.update(customer.id, {
      address: "",
      metadata: { drop: "" },
      invoice_settings: { default_payment_method: setupIntent.payment_method },
    });
    const listed = await stripe.customers.listPaymentMethods(customer.id, { type: "card" });
    const detached = await stripe.paymentMethods.detach(visa.id);
    const afterDetach = await stripe.paymentMethods.list({ customer: customer.id, type: "card" });
    const deleted = await stripe.customers.del(customer.id);
    return {
      setupIntent,
      updated,
      listedBrands: listed.data.map((method) => method.card.brand).sort(),
      detachedCustomer: detached.customer,
      afterDetach: afterDetach.data.map((method) => method.card.brand),
      deleted,
    };
  },
};

async function main() {
  const name = process.argv[2];
  if (!flows[name]) throw new Error(`unknown flow ${name}; flows: ${Object.keys(flows).join(", ")}`);
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const result = await flows[name](JSON.parse(Buffer.concat(chunks).toString()));
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error instanceof Stripe.errors.StripeError ? JSON.stringify(describeError(error)) : error);
  console.error(error.stack);
  process.exit(1);
});
