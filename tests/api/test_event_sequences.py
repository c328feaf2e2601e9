"""The events each billing flow records, in generation order, match the reference's typical sequences."""

from __future__ import annotations

import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts

PAYMENT = ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "invoice_payment.paid",
           "invoice.paid", "invoice.payment_succeeded"]


class Recorder:
    """Event types recorded since the previous call."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.seen: set[str] = {e.id for e in client.v1.events.list(params={"limit": 100}).auto_paging_iter()}

    def new(self) -> list[str]:
        events = [e for e in reversed(list(self.client.v1.events.list(params={"limit": 100}).auto_paging_iter()))
                  if e.id not in self.seen]
        self.seen.update(e.id for e in events)
        return [e.type for e in events if not e.type.startswith("test_helpers.")]


def test_subscription_lifecycle_sequences(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"A": 1000, "B": 2000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    events = Recorder(client)
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}]})
    assert events.new() == ["customer.subscription.created", "invoice.created", "invoice.finalized", *PAYMENT]
    item = subscription["items"].data[0].id
    advance(client, clock, ts(2026, 1, 10))
    events.new()
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "price": prices["B"]}]})
    assert events.new() == ["invoiceitem.created", "invoiceitem.created", "customer.subscription.updated"]
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "quantity": 2}],
                                                            "proration_behavior": "always_invoice"})
    assert events.new() == ["invoiceitem.created", "invoiceitem.created", "customer.subscription.updated",
                            "invoice.created", "invoice.finalized", *PAYMENT]
    advance(client, clock, ts(2026, 2, 1, 2))
    assert events.new() == ["invoice.upcoming", "customer.subscription.updated", "invoice.created",
                            "invoice.finalized", *PAYMENT]
    client.v1.subscriptions.cancel(subscription.id)
    assert events.new() == ["customer.subscription.deleted"]


def test_payment_failure_and_trial_sequences(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"A": 1000})
    clock, customer = clock_customer(client, ts(2026, 1, 1), token="pm_card_chargeCustomerFail")
    events = Recorder(client)
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}],
                                           "trial_period_days": 7})
    assert events.new() == ["customer.subscription.created", "invoice.created", "invoice.finalized",
                            "invoice.paid", "invoice.payment_succeeded"]
    advance(client, clock, ts(2026, 1, 6))
    assert events.new() == ["invoice.upcoming", "customer.subscription.trial_will_end"]
    advance(client, clock, ts(2026, 1, 8, 2))
    assert events.new() == ["customer.subscription.updated", "invoice.created", "invoice.finalized",
                            "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
                            "invoice.payment_failed", "customer.subscription.updated"]
    failed = Recorder(client)
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}]})
    assert failed.new() == ["customer.subscription.created", "invoice.created", "invoice.finalized",
                            "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
                            "invoice.payment_failed"]
    advance(client, clock, ts(2026, 1, 9, 3))
    # The voided invoice's PaymentIntent is canceled (cancellation_reason void_invoice).
    assert failed.new() == ["customer.subscription.updated", "invoice.voided", "payment_intent.canceled"]


def test_events_show_the_invoice_a_change_creates_and_the_next_retry(client: stripe.StripeClient) -> None:
    """customer.subscription.updated names the invoice its change (a renewal, an always_invoice upgrade) creates,
    with the previous one in previous_attributes; invoice.payment_failed shows when dunning tries again
    (null after the last attempt)."""
    prices = setup_catalog(client, {"A": 1000, "B": 2000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}]})
    first = subscription.latest_invoice
    upgraded = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["B"]}],
        "proration_behavior": "always_invoice"})
    updated = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert updated.data.object.latest_invoice == upgraded.latest_invoice != first
    assert updated.data.previous_attributes.latest_invoice == first
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": pm.id}})
    advance(client, clock, ts(2026, 2, 1, 2))
    renewal = client.v1.subscriptions.retrieve(subscription.id).latest_invoice
    renewed = [e for e in client.v1.events.list(params={"type": "customer.subscription.updated"}).data
               if "items" in e.data.previous_attributes][0]
    assert (renewed.data.object.latest_invoice, renewed.data.previous_attributes.latest_invoice) == \
        (renewal, upgraded.latest_invoice)
    finalized = ts(2026, 2, 1, 1)
    expected = [finalized + 3 * 86400, finalized + 8 * 86400, finalized + 15 * 86400, None]
    for moment in (ts(2026, 2, 5), ts(2026, 2, 10), ts(2026, 2, 17)):
        advance(client, clock, moment)
    failures = [e.data.object for e in client.v1.events.list(params={"type": "invoice.payment_failed"}).data]
    assert [(f.attempt_count, f.next_payment_attempt) for f in reversed(failures)] == \
        [(count, moment) for count, moment in enumerate(expected, start=1)]
