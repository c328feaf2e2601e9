"""Subscriptions, invoices and prorations through the SDK, with test clocks moving time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import stripe

from tests.conftest import LiveEmulator
from tests.shape_oracle import assert_shape


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def setup_catalog(client: stripe.StripeClient, amounts: dict[str, int], currency: str = "usd",
                  interval: str = "month") -> dict[str, str]:
    ids = {}
    for name, amount in amounts.items():
        product = client.v1.products.create(params={"name": name})
        ids[name] = client.v1.prices.create(params={"product": product.id, "currency": currency,
                                                    "unit_amount": amount,
                                                    "recurring": {"interval": interval}}).id
    return ids


def clock_customer(client: stripe.StripeClient, frozen: int, token: str = "pm_card_visa") -> tuple[str, str]:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "payment_method": token,
                                                  "invoice_settings": {"default_payment_method": token}})
    return clock.id, customer.id


def advance(client: stripe.StripeClient, clock_id: str, to: int) -> None:
    result = client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": to})
    assert result.status == "ready"


def test_create_charges_the_first_period(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2900})
    clock, customer = clock_customer(client, ts(2026, 1, 15, 12))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"], "quantity": 2}],
        "expand": ["latest_invoice.payments"], "metadata": {"plan": "pro"}})
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 1, 15, 12), ts(2026, 2, 15, 12))
    assert item.quantity == 2 and item.price.id == prices["Pro"] and item.plan.amount == 2900
    assert subscription.billing_mode.type == "flexible"
    invoice = subscription.latest_invoice
    assert (invoice.status, invoice.total, invoice.amount_paid, invoice.billing_reason) == \
        ("paid", 5800, 5800, "subscription_create")
    line = invoice.lines.data[0]
    assert line.description == "2 × Pro (at $29.00 / month)"
    assert line.parent.subscription_item_details.subscription_item == item.id
    assert invoice.number.endswith("-0001")
    payment = invoice.payments.data[0]
    assert (payment.status, payment.amount_paid, payment.payment.type) == ("paid", 5800, "payment_intent")
    assert_shape(invoice.to_dict())
    sub_dict = subscription.to_dict()
    sub_dict["latest_invoice"] = invoice.id
    assert_shape(sub_dict)
    fetched_invoice = client.v1.invoices.retrieve(invoice.id)
    assert_shape(fetched_invoice.to_dict())
    types = [e.type for e in reversed(client.v1.events.list(params={"limit": 30}).data)]
    start = types.index("customer.subscription.created")
    assert types[start:] == ["customer.subscription.created", "invoice.created", "invoice.finalized",
                             "charge.succeeded", "payment_intent.succeeded", "payment_intent.created",
                             "invoice_payment.paid", "invoice.paid", "invoice.payment_succeeded"] or \
        types[start:start + 3] == ["customer.subscription.created", "invoice.created", "invoice.finalized"]
    created_event = client.v1.events.list(params={"type": "customer.subscription.created"}).data[0]
    assert created_event.data.object.status == "active"
    assert created_event.request.id.startswith("req_")


def test_monthly_renewals_anchor_on_the_31st(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Basic": 1000})
    clock, customer = clock_customer(client, ts(2027, 1, 31, 10))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}]})
    expected_ends = [ts(2027, month, day, 10) for month, day in
                     ((2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30),
                      (12, 31))] + [ts(2028, 1, 31, 10), ts(2028, 2, 29, 10)]
    assert subscription["items"].data[0].current_period_end == expected_ends[0]
    for index, boundary in enumerate(expected_ends[:-1]):
        advance(client, clock, boundary + 2 * 3600)
        current = client.v1.subscriptions.retrieve(subscription.id)
        item = current["items"].data[0]
        assert (item.current_period_start, item.current_period_end) == (boundary, expected_ends[index + 1])
        latest = client.v1.invoices.retrieve(current.latest_invoice)
        assert (latest.status, latest.billing_reason, latest.amount_paid) == ("paid", "subscription_cycle", 1000)
        assert latest.created == boundary
        assert latest.status_transitions.finalized_at == boundary + 3600
        assert_shape(latest.to_dict())
    invoices = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 20}).data
    assert len(invoices) == 13
    assert [invoice.amount_paid for invoice in invoices] == [1000] * 13
    renewal_event = client.v1.events.list(params={"type": "invoice.created"}).data[0]
    assert renewal_event.request.id is None
    assert renewal_event.created == expected_ends[-2]
    upcoming = client.v1.events.list(params={"type": "invoice.upcoming"}).data[0]
    assert upcoming.created == expected_ends[-2] - 3 * 86400
    assert upcoming.data.object.total == 1000 and upcoming.data.object.billing_reason == "upcoming"
    assert_shape(upcoming.to_dict())


def test_upgrade_mid_cycle_prorations_land_on_the_renewal(client: stripe.StripeClient) -> None:
    """Reference example C: 50 EUR -> 100 EUR on Jan 16 of a Jan 1 - Feb 1 period: -2581 / +5161, and the
    Feb 1 invoice is 12580."""
    prices = setup_catalog(client, {"Basic": 5000, "Premium": 10000}, currency="eur")
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                          "items": [{"price": prices["Basic"]}]})
    advance(client, clock, ts(2026, 1, 16))
    item_id = subscription["items"].data[0].id
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": item_id, "price": prices["Premium"]}]})
    assert updated["items"].data[0].price.id == prices["Premium"]
    assert updated.latest_invoice == subscription.latest_invoice
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    amounts = sorted(item.amount for item in pending)
    assert amounts == [-2581, 5161]
    credit = next(i for i in pending if i.amount < 0)
    assert credit.description == "Unused time on Basic after 16 Jan 2026"
    assert credit.proration is True and credit.discountable is False
    assert_shape(credit.to_dict())
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert preview.total == 12580
    assert preview.billing_reason == "upcoming"
    assert all(line.id.startswith("il_tmp_") for line in preview.lines.data)
    assert_shape(preview.to_dict())
    advance(client, clock, ts(2026, 2, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.total == 12580 and renewal.status == "paid"
    descriptions = [line.description for line in renewal.lines.data]
    assert "1 × Premium (at €100.00 / month)" in descriptions


def test_preview_matches_stripe_example_b(client: stripe.StripeClient) -> None:
    """Reference example B: Silver 1000 -> Gold 3252 with proration_date 1598982148 in the period
    1596749288 -> 1599427688: -166 / +541 and a next-period line of 3252 -> 3627."""
    prices = setup_catalog(client, {"Silver": 1000, "Gold": 3252})
    clock, customer = clock_customer(client, 1596749288)
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Silver"]}]})
    assert subscription["items"].data[0].current_period_end == 1599427688
    advance(client, clock, 1598982148 + 60)
    item_id = subscription["items"].data[0].id
    preview = client.v1.invoices.create_preview(params={
        "subscription": subscription.id,
        "subscription_details": {"items": [{"id": item_id, "price": prices["Gold"]}],
                                 "proration_date": 1598982148}})
    amounts = sorted(line.amount for line in preview.lines.data)
    assert amounts == [-166, 541, 3252]
    assert preview.total == 3627 and preview.amount_due == 3627
    assert preview.parent.subscription_details.subscription_proration_date == 1598982148
    proration_line = next(line for line in preview.lines.data if line.amount == 541)
    assert (proration_line.period.start, proration_line.period.end) == (1598982148, 1599427688)
    # Nothing was changed by the preview.
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == prices["Silver"]
    assert client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data == []


def test_quantity_change_credits_old_and_debits_new(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Seat": 1000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                          "items": [{"price": prices["Seat"], "quantity": 5}]})
    advance(client, clock, ts(2026, 4, 16))
    item_id = subscription["items"].data[0].id
    client.v1.subscription_items.update(item_id, params={"quantity": 10, "proration_behavior": "always_invoice"})
    latest = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert latest.billing_reason == "subscription_update" and latest.status == "paid"
    assert sorted(line.amount for line in latest.lines.data) == [-2500, 5000]
    assert latest.total == 2500
    credit = next(line for line in latest.lines.data if line.amount < 0)
    assert credit.description == "Unused time on 5 × Seat after 16 Apr 2026"


def test_interval_change_invoices_now_and_resets_anchor(client: stripe.StripeClient) -> None:
    """Reference example I: $10/mo -> $100/yr on day 16 of a 30-day month: -500 + 10000 = 9500 now."""
    product = client.v1.products.create(params={"name": "Team"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1000,
                                              "recurring": {"interval": "month"}})
    yearly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 10000,
                                             "recurring": {"interval": "year"}})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": monthly.id}]})
    advance(client, clock, ts(2026, 6, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": yearly.id}]})
    item = updated["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 6, 16), ts(2027, 6, 16))
    assert updated.billing_cycle_anchor == ts(2026, 6, 16)
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.total == 9500 and invoice.status == "paid"


def test_no_proration(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"A": 1000, "B": 2000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}]})
    advance(client, clock, ts(2026, 3, 10))
    client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["B"]}], "proration_behavior": "none"})
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []
    advance(client, clock, ts(2026, 4, 1, 2))
    latest = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert latest.total == 2000


def test_trial_then_first_charge(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 14})
    assert subscription.status == "trialing"
    assert subscription.trial_end == ts(2026, 5, 15)
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 0 and first.status == "paid"
    assert first.lines.data[0].description == "Free trial for 1 × Pro"
    advance(client, clock, ts(2026, 5, 13))
    warnings = client.v1.events.list(params={"type": "customer.subscription.trial_will_end"}).data
    assert len(warnings) == 1 and warnings[0].created == ts(2026, 5, 12)
    advance(client, clock, ts(2026, 5, 15, 2))
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.status == "active"
    invoice = client.v1.invoices.retrieve(after.latest_invoice)
    assert invoice.total == 2000 and invoice.status == "paid"
    assert after["items"].data[0].current_period_end == ts(2026, 6, 15)


def test_cancel_at_period_end(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 7, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 7, 10))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "cancel_at_period_end": True, "cancellation_details": {"feedback": "too_expensive", "comment": "pricey"}})
    assert updated.status == "active" and updated.cancel_at == ts(2026, 8, 1)
    assert updated.canceled_at == ts(2026, 7, 10)
    assert updated.cancellation_details.feedback == "too_expensive"
    assert_shape({**updated.to_dict(), "latest_invoice": updated.latest_invoice})
    advance(client, clock, ts(2026, 8, 1, 1))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled" and ended.ended_at == ts(2026, 8, 1)
    assert ended.cancellation_details.reason == "cancellation_requested"
    assert len(client.v1.invoices.list(params={"subscription": subscription.id}).data) == 1
    deleted = client.v1.events.list(params={"type": "customer.subscription.deleted"}).data[0]
    assert deleted.created == ts(2026, 8, 1) and deleted.request.id is None


def test_cancel_now_with_proration(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 9, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 9, 16))
    canceled = client.v1.subscriptions.cancel(subscription.id, params={"prorate": True})
    assert canceled.status == "canceled" and canceled.canceled_at == ts(2026, 9, 16)
    credits = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [c.amount for c in credits] == [-1500]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"items": [{"price": prices["Pro"]}]})
    assert client.v1.subscriptions.list(params={"customer": customer}).data == []
    assert [s.id for s in client.v1.subscriptions.list(params={"customer": customer, "status": "canceled"}).data] \
        == [subscription.id]


def test_failing_card_past_due_then_new_card_recovers(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 10, 1), token="pm_card_chargeCustomerFail")
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 7})
    assert subscription.status == "trialing"
    advance(client, clock, ts(2026, 10, 8, 2))
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.status == "past_due"
    invoice = client.v1.invoices.retrieve(after.latest_invoice)
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert invoice.next_payment_attempt == ts(2026, 10, 8, 1) + 3 * 86400
    failed = client.v1.events.list(params={"type": "invoice.payment_failed"}).data
    assert len(failed) == 1
    new_pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": new_pm.id}})
    # The next scheduled retry charges the new default card.
    advance(client, clock, invoice.next_payment_attempt + 60)
    paid = client.v1.invoices.retrieve(invoice.id)
    assert paid.status == "paid" and paid.attempt_count == 2
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_dunning_final_action_cancels(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 10, 1), token="pm_card_visa")
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.subscriptions.update(subscription.id, params={"default_payment_method": failing.id})
    for day in (1, 3, 9, 17, 24):
        advance(client, clock, ts(2026, 11, day, 2))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    invoice = client.v1.invoices.list(params={"subscription": subscription.id}).data[0]
    assert invoice.attempt_count == 4 and invoice.status == "open" and invoice.next_payment_attempt is None


def test_trial_with_authentication_card_sets_pending_setup_intent(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 5, 1), token="pm_card_authenticationRequiredOnSetup")
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 7,
                                                          "expand": ["pending_setup_intent"]})
    assert subscription.pending_setup_intent.status == "requires_action"
    assert subscription.pending_setup_intent.next_action.type == "redirect_to_url"


def test_first_payment_failure_is_incomplete_then_expires(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 11, 1), token="pm_card_chargeCustomerFail")
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    assert subscription.status == "incomplete"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.status == "open"
    with pytest.raises(stripe.CardError):
        client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                               "payment_behavior": "error_if_incomplete"})
    assert len(client.v1.subscriptions.list(params={"customer": customer, "status": "all"}).data) == 1
    advance(client, clock, ts(2026, 11, 2))
    expired = client.v1.subscriptions.retrieve(subscription.id)
    assert expired.status == "incomplete_expired"
    assert client.v1.invoices.retrieve(invoice.id).status == "void"


def test_coupon_repeating_ends(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 10000})
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "repeating", "duration_in_months": 2})
    clock, customer = clock_customer(client, ts(2026, 1, 10))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "discounts": [{"coupon": coupon.id}]})
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 8000 and first.total_discount_amounts[0].amount == 2000
    assert subscription.discounts[0].startswith("di_")
    totals = []
    for month in (2, 3, 4):
        advance(client, clock, ts(2026, month, 10, 2))
        current = client.v1.subscriptions.retrieve(subscription.id)
        totals.append(client.v1.invoices.retrieve(current.latest_invoice).total)
    assert totals == [8000, 10000, 10000]
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_promotion_code_minimum_amount(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Small": 1000})
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd", "duration": "once"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                     "restrictions": {"minimum_amount": 5000,
                                                                      "minimum_amount_currency": "usd"}})
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Small"]}],
                                               "discounts": [{"promotion_code": promo.id}]})
    assert info.value.param == "discounts[0][promotion_code]"


def test_amount_restricted_codes_only_apply_where_a_first_payment_is_made(client: stripe.StripeClient) -> None:
    """Stripe refuses codes with a minimum amount on subscription updates and future schedule phases."""
    prices = setup_catalog(client, {"Big": 9000})
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                     "restrictions": {"minimum_amount": 1000,
                                                                      "minimum_amount_currency": "usd"}})
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Big"]}]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.update(subscription.id, params={"discounts": [{"promotion_code": promo.id}]})
    assert info.value.param == "discounts[0][promotion_code]"
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.create(params={
            "customer": customer, "start_date": ts(2026, 3, 1),
            "phases": [{"items": [{"price": prices["Big"]}], "discounts": [{"promotion_code": promo.id}]}]})
    assert info.value.param == "phases[0][discounts][0][promotion_code]"
    # On a new subscription the first payment is checked against the minimum, and the code applies.
    other = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Big"]}],
                                                   "discounts": [{"promotion_code": promo.id}]})
    assert client.v1.invoices.retrieve(other.latest_invoice).total == 8100


def test_incomplete_subscription_changes_only_its_payment_settings(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 5000, "Max": 9000})
    clock, customer = clock_customer(client, ts(2026, 11, 1), token="pm_card_chargeCustomerFail")
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    assert subscription.status == "incomplete"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.update(subscription.id, params={
            "items": [{"id": subscription["items"].data[0].id, "price": prices["Max"]}]})
    assert info.value.param == "items"
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == prices["Pro"]
    visa = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    updated = client.v1.subscriptions.update(subscription.id, params={"default_payment_method": visa.id,
                                                                      "metadata": {"retry": "yes"}})
    assert updated.default_payment_method == visa.id and updated.metadata.to_dict() == {"retry": "yes"}
    client.v1.invoices.pay(subscription.latest_invoice)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def failed_renewal(client: stripe.StripeClient) -> tuple[str, stripe.Subscription]:
    """A $20 monthly subscription from Oct 1 whose Nov 1 renewal is declined: (clock, past_due subscription)."""
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 10, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.subscriptions.update(subscription.id, params={"default_payment_method": failing.id})
    advance(client, clock, ts(2026, 11, 1, 2))
    past_due = client.v1.subscriptions.retrieve(subscription.id)
    assert past_due.status == "past_due"
    return clock, past_due


def test_voiding_the_failed_renewal_returns_the_subscription_to_active(client: stripe.StripeClient) -> None:
    """Stripe derives the status from the latest invoice that is not void."""
    clock, past_due = failed_renewal(client)
    voided = client.v1.invoices.void_invoice(past_due.latest_invoice)
    assert voided.status == "void" and voided.next_payment_attempt is None
    assert client.v1.subscriptions.retrieve(past_due.id).status == "active"
    advance(client, clock, ts(2026, 11, 20))  # no retry of the voided invoice
    assert client.v1.invoices.retrieve(voided.id).attempt_count == 1


def test_an_uncollectible_invoice_can_still_be_paid(client: stripe.StripeClient) -> None:
    invoice_id = failed_renewal(client)[1].latest_invoice
    assert client.v1.invoices.mark_uncollectible(invoice_id).status == "uncollectible"
    paid = client.v1.invoices.pay(invoice_id, params={"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 2000, 0)
    assert paid.status_transitions.marked_uncollectible_at is not None and paid.status_transitions.paid_at
    assert "invoice.paid" in [event.type for event in client.v1.events.list(params={"limit": 5}).data]


def test_manual_invoices_and_payments_live_on_the_customers_clock(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    client.v1.invoice_items.create(params={"customer": customer, "amount": 700, "currency": "usd"})
    invoice = client.v1.invoices.create(params={"customer": customer, "pending_invoice_items_behavior": "include",
                                                "auto_advance": True})
    assert invoice.created == ts(2026, 1, 1)
    assert invoice.automatically_finalizes_at == ts(2026, 1, 1, 1)
    intent = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", "customer": customer})
    assert intent.created == ts(2026, 1, 1)
    credit = client.v1.customers.balance_transactions.create(customer, params={"amount": -300, "currency": "usd"})
    assert credit.created == ts(2026, 1, 1)
    client.v1.customers.update(customer, params={"name": "Clocked"})
    setup = client.v1.setup_intents.create(params={"customer": customer, "payment_method": "pm_card_mastercard",
                                                   "confirm": True, "return_url": "https://shop.test/done"})
    client.v1.payment_methods.detach(setup.payment_method)
    assert setup.created == ts(2026, 1, 1)
    for kind in ("customer.updated", "setup_intent.succeeded", "payment_method.detached"):
        assert client.v1.events.list(params={"type": kind}).data[0].created == ts(2026, 1, 1), kind
    advance(client, clock, ts(2026, 1, 1, 3))
    finalized = client.v1.invoices.retrieve(invoice.id)
    assert finalized.status == "paid" and finalized.status_transitions.finalized_at == ts(2026, 1, 1, 1)
    assert finalized.amount_paid == 400  # 700 less the 300 credit


def test_anchor_reset_with_a_price_change_bills_the_new_period_once(client: stripe.StripeClient) -> None:
    """billing_cycle_anchor=now with a new price: credit the unused time, bill the new period in full (no
    remaining-time debit on top)."""
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Ten"]}]})
    advance(client, clock, ts(2026, 4, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Twenty"]}],
        "billing_cycle_anchor": {"type": "now"}})
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert sorted(line.amount for line in invoice.lines.data) == [-500, 2000]
    assert (invoice.total, invoice.amount_paid) == (1500, 1500)
    assert updated.billing_cycle_anchor == ts(2026, 4, 16)
    assert updated["items"].data[0].current_period_end == ts(2026, 5, 16)


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_leaving_a_free_price(client: stripe.StripeClient, mode: str) -> None:
    """classic: all-zero prices -> a paid one restarts the period now and bills it in full; flexible keeps the
    anchor and charges the remaining time at once."""
    prices = setup_catalog(client, {"Free": 0, "Ten": 1000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Free"]}],
                                                          "billing_mode": {"type": mode}})
    advance(client, clock, ts(2026, 4, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Ten"]}]})
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.status == "paid" and invoice.billing_reason == "subscription_update"
    if mode == "classic":
        assert [line.amount for line in invoice.lines.data] == [1000]
        assert updated.billing_cycle_anchor == ts(2026, 4, 16)
        assert updated["items"].data[0].current_period_end == ts(2026, 5, 16)
    else:
        assert [line.amount for line in invoice.lines.data] == [500]
        assert updated.billing_cycle_anchor == ts(2026, 4, 1)
        assert updated["items"].data[0].current_period_end == ts(2026, 5, 1)


def test_quantity_zero_to_one_is_a_plain_proration(client: stripe.StripeClient) -> None:
    """classic: a paid price at quantity 0 -> 1 neither invoices nor resets the anchor; the remaining time is a
    pending proration."""
    prices = setup_catalog(client, {"Seat": 1000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                          "items": [{"price": prices["Seat"], "quantity": 0}],
                                                          "billing_mode": {"type": "classic"}})
    advance(client, clock, ts(2026, 4, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "quantity": 1}]})
    assert updated.latest_invoice == subscription.latest_invoice
    assert updated.billing_cycle_anchor == ts(2026, 4, 1)
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [item.amount for item in pending] == [500]


@pytest.mark.parametrize("behavior,credit", [("none", None), ("create_prorations", -267)])
def test_example_j_a_trial_added_to_a_paying_subscription(client: stripe.StripeClient, behavior: str,
                                                          credit: int | None) -> None:
    """Reference example J: next bill Jul 23; on Jul 15 a trial to Aug 1 is added -> a $0 invoice that day, no bill
    on Jul 23, full periods from Aug 1. With prorations the 8 unused days of the 30-day period are credited."""
    prices = setup_catalog(client, {"Ten": 1000})
    clock, customer = clock_customer(client, ts(2026, 6, 23))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Ten"]}]})
    advance(client, clock, ts(2026, 7, 15))
    updated = client.v1.subscriptions.update(subscription.id, params={"trial_end": ts(2026, 8, 1),
                                                                      "proration_behavior": behavior})
    assert updated.status == "trialing" and updated.trial_start == ts(2026, 7, 15)
    trial_invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert (trial_invoice.created, trial_invoice.status, trial_invoice.billing_reason) == (
        ts(2026, 7, 15), "paid", "subscription_update")
    amounts = sorted(line.amount for line in trial_invoice.lines.data)
    assert amounts == ([0] if credit is None else [credit, 0])
    assert any(line.description == "Free trial for 1 × Ten" for line in trial_invoice.lines.data)  # flexible
    advance(client, clock, ts(2026, 7, 24))
    assert client.v1.subscriptions.retrieve(subscription.id).latest_invoice == trial_invoice.id
    advance(client, clock, ts(2026, 8, 1, 2))
    august = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (august.period_end, august.billing_reason, august.total) == (ts(2026, 8, 1), "subscription_cycle", 1000)


def test_trial_with_an_anchor_prorates_the_period_after_the_trial(client: stripe.StripeClient) -> None:
    """Stripe's example: a 7-day trial, monthly anchor on the 1st, signup on the 15th -> a prorated invoice on
    the 22nd for the 22nd to the 1st, then full invoices on the 1st."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 4, 15))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 7,
                                                          "billing_cycle_anchor": ts(2026, 5, 1)})
    assert (subscription.status, subscription.trial_end) == ("trialing", ts(2026, 4, 22))
    assert subscription.billing_cycle_anchor == ts(2026, 5, 1)
    assert subscription["items"].data[0].current_period_end == ts(2026, 4, 22)
    advance(client, clock, ts(2026, 4, 22, 2))
    after_trial = client.v1.subscriptions.retrieve(subscription.id)
    assert after_trial.status == "active"
    assert after_trial["items"].data[0].current_period_end == ts(2026, 5, 1)
    stub = client.v1.invoices.retrieve(after_trial.latest_invoice)
    # 9 of April's 30 days: round(3000 * 9/30) = 900.
    assert (stub.total, stub.amount_paid, stub.period_end) == (900, 900, ts(2026, 4, 22))
    assert stub.lines.data[0].period.end == ts(2026, 5, 1)
    advance(client, clock, ts(2026, 5, 1, 2))
    may = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (may.total, may.lines.data[0].period.start, may.lines.data[0].period.end) == (
        3000, ts(2026, 5, 1), ts(2026, 6, 1))


def test_preview_with_only_the_customer_shows_its_next_renewal(client: stripe.StripeClient) -> None:
    """Without subscription or items, create_preview shows the next upcoming invoice among the customer's
    subscriptions."""
    monthly = setup_catalog(client, {"Monthly": 1000})
    yearly = setup_catalog(client, {"Yearly": 9000}, interval="year")
    clock, customer = clock_customer(client, ts(2026, 1, 15))
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": yearly["Yearly"]}]})
    soonest = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": monthly["Monthly"]}]})
    preview = client.v1.invoices.create_preview(params={"customer": customer})
    assert (preview.total, preview.billing_reason) == (1000, "upcoming")
    assert preview.parent.subscription_details.subscription == soonest.id
    assert preview.lines.data[0].period.start == ts(2026, 2, 15)
    lonely = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as none:
        client.v1.invoices.create_preview(params={"customer": lonely.id})
    assert none.value.code == "invoice_upcoming_none"


def test_trial_rules_that_differ_by_billing_mode(client: stripe.StripeClient) -> None:
    """flexible: trial_start is the most recent trial's; classic: a cancel_at before trial_end pulls the trial's
    end down to it (on create and on update)."""
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    flexible = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                      "trial_end": ts(2026, 1, 8),
                                                      "billing_mode": {"type": "flexible"}})
    advance(client, clock, ts(2026, 1, 20))
    again = client.v1.subscriptions.update(flexible.id, params={"trial_end": ts(2026, 2, 1),
                                                                "proration_behavior": "none"})
    assert (again.status, again.trial_start, again.trial_end) == ("trialing", ts(2026, 1, 20), ts(2026, 2, 1))
    classic = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                     "trial_end": ts(2026, 2, 15), "cancel_at": ts(2026, 1, 25),
                                                     "billing_mode": {"type": "classic"}})
    assert (classic.trial_end, classic.cancel_at) == (ts(2026, 1, 25), ts(2026, 1, 25))
    assert classic["items"].data[0].current_period_end == ts(2026, 1, 25)
    later = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                   "trial_end": ts(2026, 2, 15), "billing_mode": {"type": "classic"}})
    pulled = client.v1.subscriptions.update(later.id, params={"cancel_at": ts(2026, 2, 5)})
    assert (pulled.trial_end, pulled["items"].data[0].current_period_end) == (ts(2026, 2, 5), ts(2026, 2, 5))
    kept = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                  "trial_end": ts(2026, 2, 15), "cancel_at": ts(2026, 1, 25),
                                                  "billing_mode": {"type": "flexible"}})
    assert kept.trial_end == ts(2026, 2, 15)


@pytest.mark.parametrize("mode,behavior,total,period_end", [
    ("classic", None, 968, ts(2026, 4, 11)),       # anchor moves to cancel_at: 10 of the 31 days to it
    ("flexible", None, 1000, ts(2026, 5, 1)),      # 10 of April's 30 days
    ("flexible", "none", 3000, ts(2026, 5, 1)),    # flexible + none bills the period whole
])
def test_cancel_at_inside_the_first_period_shortens_its_charge(client: stripe.StripeClient, mode: str,
                                                              behavior: str | None, total: int,
                                                              period_end: int) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}], "cancel_at": ts(2026, 4, 11),
        "billing_mode": {"type": mode}, **({"proration_behavior": behavior} if behavior else {})})
    assert subscription["items"].data[0].current_period_end == period_end
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (first.total, first.amount_paid) == (total, total)
    advance(client, clock, ts(2026, 4, 12))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.ended_at) == ("canceled", ts(2026, 4, 11))
    assert client.v1.invoices.list(params={"subscription": subscription.id}).data[0].id == first.id


def test_subscription_items_and_search(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Base": 1000, "Addon": 300})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Base"]}],
                                                          "metadata": {"team": "blue"}})
    added = client.v1.subscription_items.create(params={"subscription": subscription.id, "price": prices["Addon"],
                                                        "quantity": 3, "proration_behavior": "none"})
    assert added.quantity == 3 and added.subscription == subscription.id
    assert_shape(added.to_dict())
    listed = client.v1.subscription_items.list(params={"subscription": subscription.id})
    assert {i.id for i in listed.data} == {subscription["items"].data[0].id, added.id}
    deleted = client.v1.subscription_items.delete(added.id, params={"proration_behavior": "none"})
    assert deleted.deleted is True
    found = client.v1.subscriptions.search(params={"query": "metadata['team']:'blue' AND status:'active'"})
    assert [s.id for s in found.data] == [subscription.id]


def test_advance_limit_two_intervals(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Weekly": 100}, interval="week")
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Weekly"]}]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": ts(2026, 1, 20)})
    assert info.value.param == "frozen_time"
    advance(client, clock, ts(2026, 1, 15))


def test_pre_basil_shapes(client: stripe.StripeClient, http: object) -> None:
    prices = setup_catalog(client, {"Pro": 1500})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    old = http.get(f"/v1/subscriptions/{subscription.id}", headers={"Stripe-Version": "2023-08-16"}).json()  # type: ignore[attr-defined]
    assert old["current_period_start"] == ts(2026, 1, 1) and old["current_period_end"] == ts(2026, 2, 1)
    assert_shape(old, version="2023-08-16")
    invoice = http.get(f"/v1/invoices/{subscription.latest_invoice}", headers={"Stripe-Version": "2023-08-16"}).json()  # type: ignore[attr-defined]
    assert invoice["subscription"] == subscription.id and invoice["paid"] is True
    assert invoice["charge"].startswith("ch_") and invoice["payment_intent"].startswith("pi_")
    assert invoice["lines"]["data"][0]["type"] == "subscription"
    assert_shape(invoice, version="2023-08-16")


def test_future_anchor_prorates_the_first_period(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3100})
    clock, customer = clock_customer(client, ts(2026, 1, 15))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "billing_cycle_anchor": ts(2026, 2, 1)})
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 1, 15), ts(2026, 2, 1))
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 1700  # 17 of January's 31 days
    free = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                  "billing_cycle_anchor": ts(2026, 2, 1),
                                                  "proration_behavior": "none"})
    # With proration_behavior=none the stub is free and nothing is invoiced before the first full period.
    assert (free.status, free.latest_invoice) == ("active", None)
    assert client.v1.invoices.list(params={"subscription": free.id}).data == []
    advance(client, clock, ts(2026, 2, 1, 2))
    first_full = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(free.id).latest_invoice)
    assert (first_full.total, first_full.billing_reason) == (3100, "subscription_cycle")
    renewed = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewed.total == 3100 and renewed.period_end == ts(2026, 2, 1)


def test_trial_end_without_payment_method_pauses_then_resumes(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": ts(2026, 4, 1)})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": prices["Pro"]}], "trial_period_days": 7,
        "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}})
    advance(client, clock.id, ts(2026, 4, 8, 1))
    paused = client.v1.subscriptions.retrieve(subscription.id)
    assert paused.status == "paused"
    assert client.v1.events.list(params={"type": "customer.subscription.paused"}).data
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    resumed = client.v1.subscriptions.resume(subscription.id)
    assert resumed.status == "active"
    assert resumed["items"].data[0].current_period_start == ts(2026, 4, 8, 1)
    assert client.v1.invoices.retrieve(resumed.latest_invoice).amount_paid == 2000


def test_trial_end_without_payment_method_cancels(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": ts(2026, 4, 1)})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": prices["Pro"]}], "trial_period_days": 7,
        "trial_settings": {"end_behavior": {"missing_payment_method": "cancel"}}})
    advance(client, clock.id, ts(2026, 4, 8, 1))
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"


def test_delete_subscription_discount(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "discounts": [{"coupon": coupon.id}]})
    deleted = client.v1.subscriptions.delete_discount(subscription.id)
    assert deleted.deleted is True
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []
    advance(client, clock, ts(2026, 5, 1, 2))
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert client.v1.invoices.retrieve(current.latest_invoice).total == 2000


def test_billing_cycle_anchor_config(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 2, 10, 15, 30))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}],
        "billing_cycle_anchor_config": {"day_of_month": 31, "hour": 0, "minute": 0, "second": 0}})
    assert subscription.billing_cycle_anchor == ts(2026, 2, 28)
    assert subscription.billing_cycle_anchor_config.day_of_month == 31
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 2, 10, 15, 30), ts(2026, 2, 28))
    advance(client, clock, ts(2026, 2, 28, 2))
    renewed = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    assert renewed.current_period_end == ts(2026, 3, 31)
    advance(client, clock, ts(2026, 3, 31, 2))
    again = client.v1.subscriptions.retrieve(subscription.id)
    assert again["items"].data[0].current_period_end == ts(2026, 4, 30)
    assert_shape(again.to_dict())


def test_pending_if_incomplete_defers_the_update(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Basic": 1000, "Premium": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": failing.id}})
    advance(client, clock, ts(2026, 6, 16))
    item_id = subscription["items"].data[0].id
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": item_id, "price": prices["Premium"]}], "proration_behavior": "always_invoice",
        "payment_behavior": "pending_if_incomplete"})
    assert updated.status == "active"
    assert updated["items"].data[0].price.id == prices["Basic"]
    assert updated.pending_update.subscription_items[0].price.id == prices["Premium"]
    assert updated.pending_update.expires_at == ts(2026, 6, 16) + 23 * 3600
    assert_shape(updated.to_dict())
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.status == "open" and invoice.total == 1000
    client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    applied = client.v1.subscriptions.retrieve(subscription.id)
    assert applied.pending_update is None
    assert applied["items"].data[0].price.id == prices["Premium"]
    assert client.v1.events.list(params={"type": "customer.subscription.pending_update_applied"}).data


def test_pending_update_expires(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Basic": 1000, "Premium": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.subscriptions.update(subscription.id, params={"default_payment_method": failing.id})
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Premium"]}],
        "proration_behavior": "always_invoice", "payment_behavior": "pending_if_incomplete"})
    advance(client, clock, ts(2026, 6, 2, 1))
    expired = client.v1.subscriptions.retrieve(subscription.id)
    assert expired.pending_update is None and expired["items"].data[0].price.id == prices["Basic"]
    assert client.v1.invoices.retrieve(updated.latest_invoice).status == "void"
    assert client.v1.events.list(params={"type": "customer.subscription.pending_update_expired"}).data


def test_pinned_clients_use_get_upcoming(client: stripe.StripeClient, http: object) -> None:
    prices = setup_catalog(client, {"Silver": 1000, "Gold": 3252})
    clock, customer = clock_customer(client, 1596749288)
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Silver"]}]})
    advance(client, clock, 1598982148 + 60)
    query = {"subscription": subscription.id, "subscription_items[0][id]": subscription["items"].data[0].id,
             "subscription_items[0][price]": prices["Gold"], "subscription_proration_date": "1598982148"}
    old = http.get("/v1/invoices/upcoming", params=query, headers={"Stripe-Version": "2023-08-16"})  # type: ignore[attr-defined]
    assert old.status_code == 200, old.text
    body = old.json()
    assert body["total"] == 3627 and body["subscription"] == subscription.id
    assert body["subscription_proration_date"] == 1598982148
    assert sorted(line["amount"] for line in body["lines"]["data"]) == [-166, 541, 3252]
    assert_shape(body, version="2023-08-16")
    removed = http.get("/v1/invoices/upcoming", params=query)  # type: ignore[attr-defined]
    assert removed.status_code == 404


def test_backdated_start_bills_the_elapsed_periods(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 1000})
    clock, customer = clock_customer(client, ts(2026, 5, 20))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "backdate_start_date": ts(2026, 4, 1)})
    assert subscription.start_date == ts(2026, 4, 1) and subscription.billing_cycle_anchor == ts(2026, 4, 1)
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 5, 1), ts(2026, 6, 1))
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert [(line.period.start, line.amount) for line in invoice.lines.data] == \
        [(ts(2026, 4, 1), 1000), (ts(2026, 5, 1), 1000)]
    assert invoice.total == 2000
    anchored = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}], "backdate_start_date": ts(2026, 5, 10),
        "billing_cycle_anchor": ts(2026, 6, 1)})
    stub = client.v1.invoices.retrieve(anchored.latest_invoice)
    assert stub.total == round(1000 * (ts(2026, 6, 1) - ts(2026, 5, 10)) / (ts(2026, 6, 1) - ts(2026, 5, 1)))


def test_pause_collection_behaviors(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 1000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    results = {}
    for behavior in ("keep_as_draft", "mark_uncollectible", "void"):
        subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
        client.v1.subscriptions.update(subscription.id, params={"pause_collection": {"behavior": behavior}})
        results[behavior] = subscription.id
    advance(client, clock, ts(2026, 2, 1, 2))
    statuses = {behavior: client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub_id).latest_invoice).status
                for behavior, sub_id in results.items()}
    assert statuses == {"keep_as_draft": "draft", "mark_uncollectible": "uncollectible", "void": "void"}
    assert all(client.v1.subscriptions.retrieve(s).status == "active" for s in results.values())


def test_pause_and_resume_endpoints(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 1, 16))
    paused = client.v1.subscriptions.pause(subscription.id)  # bill_for[unused_time_from][type] defaults to now
    assert paused.status == "paused"
    credits = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [c.amount for c in credits] == [-round(3000 * 16 / 31)]
    advance(client, clock, ts(2026, 2, 20))
    assert len(client.v1.invoices.list(params={"subscription": subscription.id}).data) == 1
    resumed = client.v1.subscriptions.resume(subscription.id)
    assert resumed.status == "active"
    invoice = client.v1.invoices.retrieve(resumed.latest_invoice)
    assert invoice.total == 3000 - round(3000 * 16 / 31)


@pytest.mark.parametrize("mode,expected_total", [("classic", -334), ("flexible", 0)])
def test_reference_example_d_classic_vs_flexible(client: stripe.StripeClient, mode: str,
                                                 expected_total: int) -> None:
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Ten"]}],
                                                          "billing_mode": {"type": mode}})
    item = subscription["items"].data[0].id
    advance(client, clock, ts(2026, 4, 11))
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "price": prices["Twenty"]}],
                                                            "proration_behavior": "none"})
    advance(client, clock, ts(2026, 4, 21))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": item, "price": prices["Ten"]}], "proration_behavior": "always_invoice"})
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.total == expected_total
    if expected_total < 0:
        assert invoice.amount_due == 0 and invoice.ending_balance == expected_total
        assert client.v1.customers.retrieve(customer).balance == expected_total
    credit = next(line for line in invoice.lines.data if line.amount < 0)
    assert credit.parent.subscription_item_details.proration_details.credited_items is not None or mode == "classic"


def test_flexible_credits_follow_what_was_billed_across_two_changes(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"A": 3000, "B": 6000, "C": 9000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["A"]}]})
    item = subscription["items"].data[0].id
    advance(client, clock, ts(2026, 4, 11))
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "price": prices["B"]}]})
    advance(client, clock, ts(2026, 4, 21))
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item, "price": prices["C"]}]})
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    # Apr 11: -2000 (A, 20 of 30 days) +4000 (B); Apr 21: B's debit credited for its last 10 days (-2000),
    # A's time already given back; +3000 for C.
    assert sorted(i.amount for i in pending) == [-2000, -2000, 3000, 4000]
    second_credit = [i for i in pending if i.amount < 0 and i.period.start == ts(2026, 4, 21)]
    assert len(second_credit) == 1
    assert second_credit[0].proration_details.credited_items.type == "invoice_item"


def test_send_invoice_subscription_goes_past_due_after_due_date(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 5000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "collection_method": "send_invoice", "days_until_due": 14})
    assert subscription.status == "active"
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.status == "open" and first.due_date == ts(2026, 1, 15) and first.amount_paid == 0
    client.v1.invoices.pay(first.id, params={"paid_out_of_band": True})
    advance(client, clock, ts(2026, 2, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.status == "open" and renewal.due_date == ts(2026, 2, 15)
    assert client.v1.events.list(params={"type": "invoice.sent"}).data
    advance(client, clock, ts(2026, 2, 16))
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    assert client.v1.events.list(params={"type": "invoice.overdue"}).data[0].data.object.id == renewal.id
    client.v1.invoices.pay(renewal.id, params={"paid_out_of_band": True})
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_pinned_client_reads_an_ended_discount_and_one_off_lines(client: stripe.StripeClient, emulator: LiveEmulator,
                                                                api_key: str) -> None:
    """For clients pinned to 2023-08-16, an invoice's single `discount` still shows a discount that has ended since
    (the subscription's `once` coupon), and an invoice-item line has no `subscription_item` key rather than null."""
    prices = setup_catalog(client, {"Pro": 5000})
    product = client.v1.products.create(params={"name": "Setup"}).id
    setup = client.v1.prices.create(params={"product": product, "currency": "usd", "unit_amount": 1000}).id
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "once"})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}], "discounts": [{"coupon": coupon.id}],
        "add_invoice_items": [{"price": setup}]})
    advance(client, clock, ts(2026, 4, 1, 2))
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []  # the once coupon has ended
    pinned = stripe.StripeClient(api_key, base_addresses={"api": emulator.url}, stripe_version="2023-08-16",
                                 max_network_retries=0)
    first = pinned.v1.invoices.retrieve(subscription.latest_invoice).to_dict()
    assert_shape(first, version="2023-08-16")
    assert first["discount"]["coupon"]["id"] == coupon.id and "deleted" not in first["discount"]
    one_off = next(line for line in first["lines"]["data"] if line["type"] == "invoiceitem")
    assert one_off["amount"] == 1000 and "subscription_item" not in one_off


def test_stripe_quickstart_confirms_the_first_invoice_in_the_browser(client: stripe.StripeClient) -> None:
    """Stripe's subscription quickstart: default_incomplete, save_default_payment_method=on_subscription and
    expand[]=latest_invoice.confirmation_secret; the client confirms the PaymentIntent with a new card, which
    then pays the renewals."""
    prices = setup_catalog(client, {"Pro": 2500})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": ts(2026, 6, 1)})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "email": "new@example.com"})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": prices["Pro"]}], "payment_behavior": "default_incomplete",
        "payment_settings": {"save_default_payment_method": "on_subscription"},
        "expand": ["latest_invoice.confirmation_secret"]})
    assert subscription.status == "incomplete"
    assert subscription.payment_settings.save_default_payment_method == "on_subscription"
    secret = subscription.latest_invoice.confirmation_secret
    assert secret.type == "payment_intent" and "_secret_" in secret.client_secret
    assert "confirmation_secret" not in client.v1.invoices.retrieve(subscription.latest_invoice.id)
    intent_id = secret.client_secret.split("_secret_")[0]
    paid = client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    active = client.v1.subscriptions.retrieve(subscription.id)
    assert active.status == "active" and active.default_payment_method == paid.payment_method
    assert client.v1.payment_methods.retrieve(paid.payment_method).customer == customer.id
    # The payment's changes to the subscription come in one update event.
    updates = [e for e in client.v1.events.list(params={"type": "customer.subscription.updated"}).data
               if e.data.object.id == subscription.id]
    assert len(updates) == 1
    assert set(updates[0].data.previous_attributes.to_dict()) == {"status", "default_payment_method"}
    advance(client, clock.id, ts(2026, 7, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.billing_reason, renewal.status, renewal.amount_paid) == ("subscription_cycle", "paid", 2500)


def test_an_invoice_keeps_one_payment_intent_across_attempts(client: stripe.StripeClient) -> None:
    """Retries and invoices.pay confirm the invoice's PaymentIntent again: no stale intent is left to be paid a
    second time."""
    clock, past_due = failed_renewal(client)
    invoice_id = past_due.latest_invoice
    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice_id)
    retry_at = client.v1.invoices.retrieve(invoice_id).next_payment_attempt
    advance(client, clock, retry_at + 3600)  # the next dunning retry
    intents = client.v1.payment_intents.list(params={"customer": past_due.customer}).data
    renewal_intents = [intent for intent in intents if intent.amount == 2000 and intent.status != "succeeded"]
    assert len(renewal_intents) == 1 and renewal_intents[0].status == "requires_payment_method"
    invoice = client.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]})
    assert invoice.attempt_count == 3 and len(invoice.payments.data) == 1
    paid = client.v1.invoices.pay(invoice_id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "paid"
    assert client.v1.payment_intents.retrieve(renewal_intents[0].id).status == "succeeded"
    charges = client.v1.charges.list(params={"customer": past_due.customer}).data
    assert sum(charge.amount for charge in charges if charge.paid) == 4000  # the first period and this renewal


def test_previews_use_the_discounts_and_trial_asked_for_and_attempt_nothing(client: stripe.StripeClient) -> None:
    """create_preview honours top-level `discounts` and `subscription_details.trial_end`; a preview is a draft
    nothing was attempted on, even when the change it previews would invoice and charge at once."""
    prices = setup_catalog(client, {"Basic": 1000, "Pro": 3000})
    half = client.v1.coupons.create(params={"percent_off": 50, "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    new = client.v1.invoices.create_preview(params={"customer": customer, "discounts": [{"coupon": half.id}],
                                                    "subscription_details": {"items": [{"price": prices["Pro"]}]}})
    assert (new.total, new.status, new.amount_paid) == (1500, "draft", 0)
    trial = client.v1.invoices.create_preview(params={"customer": customer, "subscription_details": {
        "items": [{"price": prices["Pro"]}], "trial_end": ts(2026, 4, 15)}})
    assert trial.total == 0
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}]})
    renewal = client.v1.invoices.create_preview(params={"subscription": subscription.id,
                                                        "discounts": [{"coupon": half.id}]})
    assert renewal.total == 500
    advance(client, clock, ts(2026, 4, 16))
    upgrade = client.v1.invoices.create_preview(params={"subscription": subscription.id, "subscription_details": {
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Pro"]}],
        "proration_behavior": "always_invoice"}})
    assert (upgrade.status, upgrade.amount_paid, upgrade.amount_remaining, upgrade.attempted) == (
        "draft", 0, upgrade.amount_due, False)
    assert upgrade.amount_due == 1000  # -500 unused Basic, +1500 remaining Pro
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []  # nothing kept


def test_invoice_payments_are_listed_and_retrieved(client: stripe.StripeClient) -> None:
    """/v1/invoice_payments: the invoice_payment objects behind invoice_payment.paid events."""
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    payments = client.v1.invoice_payments.list(params={"invoice": subscription.latest_invoice}).data
    assert len(payments) == 1 and (payments[0].status, payments[0].amount_paid) == ("paid", 2000)
    intent = payments[0].payment.payment_intent
    assert client.v1.invoice_payments.retrieve(payments[0].id).invoice == subscription.latest_invoice
    by_intent = client.v1.invoice_payments.list(params={"payment": {"type": "payment_intent",
                                                                    "payment_intent": intent}}).data
    assert [payment.id for payment in by_intent] == [payments[0].id]
    assert client.v1.invoice_payments.list(params={"invoice": subscription.latest_invoice, "status": "open"}).data == []
    event = client.v1.events.list(params={"type": "invoice_payment.paid"}).data[0]
    assert event.data.object.id == payments[0].id
    assert_shape(payments[0].to_dict())


def test_pause_collection_ends_at_resumes_at(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    client.v1.subscriptions.update(subscription.id, params={
        "pause_collection": {"behavior": "void", "resumes_at": ts(2026, 7, 15)}})
    advance(client, clock, ts(2026, 7, 2))
    july = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert july.status == "void"  # paused: the July renewal is voided
    advance(client, clock, ts(2026, 7, 20))
    resumed = client.v1.subscriptions.retrieve(subscription.id)
    assert resumed.pause_collection is None
    event = client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0]
    assert event.created == ts(2026, 7, 15) and event.data.previous_attributes.pause_collection.behavior == "void"
    advance(client, clock, ts(2026, 8, 1, 2))
    august = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (august.status, august.amount_paid) == ("paid", 2000)


def test_clients_pinned_before_basil_pass_coupon(client: stripe.StripeClient, api_key: str,
                                                 emulator: LiveEmulator) -> None:
    """`coupon=X` on subscriptions (removed by 2025-03-31.basil) still works for clients pinned to older versions."""
    prices = setup_catalog(client, {"Pro": 4000})
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    old = stripe.StripeClient(api_key, base_addresses={"api": emulator.url}, stripe_version="2024-06-20",
                              max_network_retries=0)
    subscription = old.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                       "coupon": coupon.id})  # type: ignore[typeddict-unknown-key]
    assert subscription.discount.coupon.id == coupon.id
    assert client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice).total == 3000
    cleared = old.v1.subscriptions.update(subscription.id, params={"coupon": ""})  # type: ignore[typeddict-unknown-key]
    assert cleared.discount is None
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                               "coupon": coupon.id})  # type: ignore[typeddict-unknown-key]
    assert refused.value.code == "parameter_unknown"


def test_a_voided_invoice_cancels_its_payment_intent(client: stripe.StripeClient) -> None:
    """A client secret handed out for an invoice that is then voided (or expires) can no longer charge."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": ts(2026, 6, 1)})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": prices["Pro"]}], "payment_behavior": "default_incomplete"})
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice, params={"expand": ["confirmation_secret"]})
    intent_id = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    advance(client, clock.id, ts(2026, 6, 2, 1))  # 23 hours: incomplete_expired, invoice voided
    assert client.v1.subscriptions.retrieve(subscription.id).status == "incomplete_expired"
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "void_invoice")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"})
    payments = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert [payment.status for payment in payments] == ["canceled"]


def test_preview_anchor_forms_of_every_version(client: stripe.StripeClient, api_key: str,
                                               emulator: LiveEmulator) -> None:
    """endive's {type, timestamp} anchor for a new subscription's preview, and the strings older clients send."""
    prices = setup_catalog(client, {"Pro": 3100})
    clock, customer = clock_customer(client, ts(2026, 1, 15))
    preview = client.v1.invoices.create_preview(params={"customer": customer, "subscription_details": {
        "items": [{"price": prices["Pro"]}], "billing_cycle_anchor": {"type": "timestamp",
                                                                     "timestamp": ts(2026, 2, 1)}}})
    assert preview.total == 1700  # 17 of January's 31 days
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    old = stripe.StripeClient(api_key, base_addresses={"api": emulator.url}, stripe_version="2024-06-20",
                              max_network_retries=0)
    advance(client, clock, ts(2026, 1, 20))
    reset = old.v1.subscriptions.update(subscription.id, params={"billing_cycle_anchor": "now",  # type: ignore
                                                                 "proration_behavior": "none"})
    assert reset.billing_cycle_anchor == ts(2026, 1, 20)


@pytest.mark.parametrize("mode,period_end", [("classic", ts(2026, 4, 21)), ("flexible", ts(2026, 5, 1))])
def test_cancel_at_set_inside_the_period_credits_the_time_after_it(client: stripe.StripeClient, mode: str,
                                                                   period_end: int) -> None:
    """Setting cancel_at mid-period prorates: the 10 unused days of April (3000 × 10/30 = 1000) are credited,
    and the final invoice at cancel_at collects that credit into the customer's balance."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "billing_mode": {"type": mode}})
    advance(client, clock, ts(2026, 4, 5))
    updated = client.v1.subscriptions.update(subscription.id, params={"cancel_at": ts(2026, 4, 21)})
    assert updated["items"].data[0].current_period_end == period_end
    assert updated.cancel_at == ts(2026, 4, 21)
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [(i.amount, i.proration, i.period.start, i.period.end) for i in pending] == \
        [(-1000, True, ts(2026, 4, 21), ts(2026, 5, 1))]
    assert pending[0].description == "Unused time on Pro after 21 Apr 2026"
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert [line.amount for line in preview.lines.data] == [-1000]
    advance(client, clock, ts(2026, 4, 22))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.ended_at) == ("canceled", ts(2026, 4, 21))
    final = client.v1.invoices.retrieve(ended.latest_invoice)
    assert (final.total, final.status, final.created) == (-1000, "paid", ts(2026, 4, 21))
    assert client.v1.customers.retrieve(customer).balance == -1000


def test_cancel_at_without_proration_or_with_always_invoice(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    quiet = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 4, 5))
    client.v1.subscriptions.update(quiet.id, params={"cancel_at": ts(2026, 4, 21), "proration_behavior": "none"})
    assert client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data == []
    at_once = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    updated = client.v1.subscriptions.update(at_once.id, params={"cancel_at": ts(2026, 4, 20),
                                                                 "proration_behavior": "always_invoice"})
    credit = client.v1.invoices.retrieve(updated.latest_invoice)
    # 3000 for Apr 5 - May 5; the 15 days after Apr 20 of 30 are credited.
    assert (credit.total, credit.billing_reason) == (-1500, "subscription_update")


def test_cancel_at_in_a_later_period_prorates_that_periods_renewal(client: stripe.StripeClient) -> None:
    """A cancel_at beyond the current period bills the last period only up to it."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "cancel_at": ts(2026, 4, 11),
                                                          "billing_mode": {"type": "classic"}})
    assert subscription["items"].data[0].current_period_end == ts(2026, 4, 1)
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert [(line.amount, line.period.end) for line in preview.lines.data] == [(1000, ts(2026, 4, 11))]
    advance(client, clock, ts(2026, 4, 1, 2))
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed["items"].data[0].current_period_end == ts(2026, 4, 11)
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.total, invoice.status, invoice.lines.data[0].description) == \
        (1000, "paid", "Remaining time on Pro after 01 Apr 2026")
    advance(client, clock, ts(2026, 4, 12))
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"


def test_credit_balance_shows_on_drafts_and_previews_and_is_used_at_finalization(
        client: stripe.StripeClient) -> None:
    """Before finalization an invoice's starting_balance is the customer's current balance and amount_due
    counts it; ending_balance stays null until the invoice is finalized."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    client.v1.customers.balance_transactions.create(customer, params={"amount": -1200, "currency": "usd"})
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert (preview.total, preview.starting_balance, preview.amount_due, preview.ending_balance) == \
        (3000, -1200, 1800, None)
    advance(client, clock, ts(2026, 5, 1, 0, 30))
    draft = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (draft.status, draft.starting_balance, draft.amount_due, draft.ending_balance) == \
        ("draft", -1200, 1800, None)
    assert_shape(draft.to_dict())
    advance(client, clock, ts(2026, 5, 1, 2))
    paid = client.v1.invoices.retrieve(draft.id)
    assert (paid.status, paid.starting_balance, paid.ending_balance, paid.amount_paid) == ("paid", -1200, 0, 1800)
    assert client.v1.customers.retrieve(customer).balance == 0


@pytest.mark.parametrize("behavior,invoiced,pending", [
    ("create_prorations", None, [1500]),    # 3000 a month; Apr 16 to May 1 is 15 of April's 30 days
    ("always_invoice", 1500, []),
    ("none", None, []),
])
def test_resume_keeping_the_anchor_prorates_the_rest_of_the_period(client: stripe.StripeClient, behavior: str,
                                                                   invoiced: int | None, pending: list[int]) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    client.v1.subscriptions.pause(subscription.id, params={"bill_for": {"unused_time_from": {"type": "none"}}})
    advance(client, clock, ts(2026, 4, 16))
    resumed = client.v1.subscriptions.resume(subscription.id, params={"billing_cycle_anchor": {"type": "unchanged"},
                                                                      "proration_behavior": behavior})
    item = resumed["items"].data[0]
    assert (resumed.status, resumed.billing_cycle_anchor) == ("active", ts(2026, 3, 1))
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 4, 16), ts(2026, 5, 1))
    items = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [i.amount for i in items] == pending
    latest = client.v1.invoices.retrieve(resumed.latest_invoice)
    assert (latest.total if latest.billing_reason == "subscription_update" else None) == invoiced
    if pending:
        assert items[0].description == "Remaining time on Pro after 16 Apr 2026"
    advance(client, clock, ts(2026, 5, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.total == 3000 + sum(pending)


def test_resume_proration_date_and_refusals(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    client.v1.subscriptions.pause(subscription.id, params={"bill_for": {"unused_time_from": {"type": "none"}}})
    advance(client, clock, ts(2026, 4, 16))
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.resume(subscription.id, params={"billing_cycle_anchor": {"type": "unchanged"},
                                                                "proration_date": ts(2026, 3, 20)})
    assert refused.value.param == "proration_date"
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.subscriptions.resume(subscription.id, params={"billing_cycle_anchor": {"type": "later"}})
    assert bad.value.param == "billing_cycle_anchor[type]"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "paused"
    # Clients pinned before endive send the anchor as a string.
    client.v1.subscriptions.resume(subscription.id, params={"billing_cycle_anchor": "unchanged",
                                                            "proration_date": ts(2026, 4, 11)},
                                   options={"stripe_version": "2025-06-30.basil"})
    items = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [i.amount for i in items] == [2000]  # 20 of April's 30 days


def test_paused_subscriptions_carry_status_details(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": ts(2026, 4, 1)})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    trial = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": prices["Pro"]}],
                                                   "trial_period_days": 7})
    assert trial.trial_settings.end_behavior.missing_payment_method == "create_invoice"
    updated = client.v1.subscriptions.update(trial.id, params={
        "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}})
    assert (updated.trial_settings.end_behavior.missing_payment_method,
            updated.trial_settings.end_behavior.billing_cycle_anchor) == ("pause", None)
    assert "status_details" not in updated
    advance(client, clock.id, ts(2026, 4, 8, 1))
    paused = client.v1.subscriptions.retrieve(trial.id)
    assert paused.status == "paused"
    assert paused.status_details.paused.to_dict() == {
        "subscription": {"type": "trial_end_without_payment_method"}, "transitioned_at": ts(2026, 4, 8),
        "type": "subscription"}
    assert_shape({**paused.to_dict(), "latest_invoice": paused.latest_invoice})
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    resumed = client.v1.subscriptions.resume(trial.id)
    assert resumed.status == "active" and "status_details" not in resumed
    requested = client.v1.subscriptions.pause(resumed.id)
    assert requested.status_details.paused.subscription.type == "pause_requested"


def test_trial_ending_with_the_anchor_unchanged_prorates_to_the_next_boundary(client: stripe.StripeClient) -> None:
    """trial_settings[end_behavior][billing_cycle_anchor]=unchanged: the cycle stays anchored on the start, so
    after a 10-day trial the first invoice bills the 21 remaining days of the month (3100 × 21/31 = 2100)."""
    prices = setup_catalog(client, {"Pro": 3100})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}], "trial_end": ts(2026, 1, 11),
        "trial_settings": {"end_behavior": {"billing_cycle_anchor": "unchanged"}}})
    assert subscription.billing_cycle_anchor == ts(2026, 1, 1)
    assert subscription.trial_settings.end_behavior.billing_cycle_anchor == "unchanged"
    advance(client, clock, ts(2026, 1, 11, 2))
    active = client.v1.subscriptions.retrieve(subscription.id)
    assert (active.status, active["items"].data[0].current_period_end) == ("active", ts(2026, 2, 1))
    first = client.v1.invoices.retrieve(active.latest_invoice)
    assert (first.total, first.status) == (2100, "paid")
    advance(client, clock, ts(2026, 2, 1, 2))
    assert client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice).total == 3100


def test_trial_end_now_bills_the_new_period_at_once(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 14})
    advance(client, clock, ts(2026, 4, 5))
    ended = client.v1.subscriptions.update(subscription.id, params={"trial_end": "now"})
    assert (ended.status, ended.billing_cycle_anchor) == ("active", ts(2026, 4, 5))
    invoice = client.v1.invoices.retrieve(ended.latest_invoice)
    assert (invoice.total, invoice.status, invoice.lines.data[0].period.end) == (2000, "paid", ts(2026, 5, 5))


def test_one_off_items_at_creation_take_tax_rates_and_periods(client: stripe.StripeClient) -> None:
    """add_invoice_items: their own tax rates, else the subscription's default ones (which its invoices carry);
    `period` types; negative quantities and price with price_data are refused."""
    prices = setup_catalog(client, {"Pro": 1000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 10, "inclusive": False})
    setup_product = client.v1.products.create(params={"name": "Setup"})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Pro"]}], "default_tax_rates": [vat.id],
        "add_invoice_items": [{"price_data": {"currency": "usd", "product": setup_product.id, "unit_amount": 500},
                               "period": {"start": {"type": "timestamp", "timestamp": ts(2026, 3, 1)},
                                          "end": {"type": "min_item_period_end"}}}]})
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.subtotal, invoice.total) == (1500, 1650)
    assert [rate.id for rate in invoice.default_tax_rates] == [vat.id]
    setup_line = next(line for line in invoice.lines.data if line.amount == 500)
    assert (setup_line.period.start, setup_line.period.end) == (ts(2026, 3, 1), ts(2026, 5, 1))
    with pytest.raises(stripe.InvalidRequestError) as negative:
        client.v1.subscriptions.update(subscription.id, params={
            "items": [{"id": subscription["items"].data[0].id, "quantity": -3}]})
    assert negative.value.param == "items[0][quantity]"
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.subscriptions.create(params={"customer": customer, "items": [{
            "price": prices["Pro"], "price_data": {"currency": "usd", "product": setup_product.id, "unit_amount": 1,
                                                   "recurring": {"interval": "month"}}}]})
    assert both.value.param == "items[0][price_data]"
    with pytest.raises(stripe.InvalidRequestError) as days:
        client.v1.subscriptions.update(subscription.id, params={"days_until_due": 10})
    assert days.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.update(subscription.id, params={"collection_method": "send_invoice"})
    assert missing.value.param == "days_until_due"
