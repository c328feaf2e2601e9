"""Usage-based billing through the SDK: metered prices on billing meters, billed in arrears at renewal."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, ts
from tests.shape_oracle import assert_shape

HOUR = 3600


def metered_price(client: stripe.StripeClient, event_name: str, formula: str = "sum", *,
                  name: str = "API calls", **price: Any) -> tuple[str, str]:
    meter = client.v1.billing.meters.create(params={"display_name": name, "event_name": event_name,
                                                    "default_aggregation": {"formula": formula}})
    product = client.v1.products.create(params={"name": name})
    params = {"product": product.id, "currency": "usd",
              "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}, **price}
    if "tiers" not in price and "unit_amount" not in price and "unit_amount_decimal" not in price:
        params["unit_amount"] = 5
    return meter.id, client.v1.prices.create(params=params).id


def licensed_price(client: stripe.StripeClient, amount: int = 1000, name: str = "Platform") -> str:
    product = client.v1.products.create(params={"name": name})
    return client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": amount,
                                           "recurring": {"interval": "month"}}).id


def report(client: stripe.StripeClient, event_name: str, customer: str, value: int, **extra: Any) -> None:
    client.v1.billing.meter_events.create(params={"event_name": event_name, **extra,
                                                  "payload": {"stripe_customer_id": customer, "value": str(value)}})


def lines_by_price(invoice: Any) -> dict[str, Any]:
    return {line.pricing.price_details.price: line for line in invoice.lines.data}


def test_metered_price_needs_an_active_meter(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Calls"})
    base = {"product": product.id, "currency": "usd", "unit_amount": 5}
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.prices.create(params={**base, "recurring": {"interval": "month", "usage_type": "metered"}})
    assert (error.value.param, error.value.code) == ("recurring[meter]", "parameter_missing")
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.prices.create(params={**base, "recurring": {"interval": "month", "usage_type": "metered",
                                                              "meter": "mtr_missing"}})
    assert (error.value.param, error.value.code) == ("recurring[meter]", "resource_missing")
    meter_id, price_id = metered_price(client, "calls_needs")
    price = client.v1.prices.retrieve(price_id)
    assert (price.recurring.usage_type, price.recurring.meter) == ("metered", meter_id)
    assert_shape(price.to_dict())
    client.v1.billing.meters.deactivate(meter_id)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.prices.create(params={**base, "recurring": {"interval": "month", "usage_type": "metered",
                                                              "meter": meter_id}})
    assert error.value.param == "recurring[meter]"
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create(params={"customer": customer,
                                               "items": [{"price": price_id, "quantity": 3}]})
    assert error.value.param == "items[0][quantity]"


def test_usage_is_billed_in_arrears_beside_licensed_items(client: stripe.StripeClient) -> None:
    _, calls = metered_price(client, "calls_arrears")
    platform = licensed_price(client)
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": platform}, {"price": calls}], "expand": ["latest_invoice"]})
    assert_shape({**subscription.to_dict(), "latest_invoice": subscription.latest_invoice.id})
    metered_item = next(i for i in subscription["items"].data if i.price.id == calls)
    assert "quantity" not in metered_item.to_dict()
    first = subscription.latest_invoice
    assert (first.total, first.amount_paid, first.status) == (1000, 1000, "paid")
    zero = lines_by_price(first)[calls]
    assert (zero.amount, zero.quantity) == (0, 0)
    assert (zero.period.start, zero.period.end) == (ts(2026, 1, 1), ts(2026, 2, 1))
    assert_shape(first.to_dict())
    report(client, "calls_arrears", customer, 100)                              # Jan 1, the clock's time
    advance(client, clock, ts(2026, 1, 20))
    report(client, "calls_arrears", customer, 250)
    report(client, "calls_arrears", customer, 7, timestamp=ts(2026, 1, 19, 12))
    report(client, "calls_arrears", customer, 1000, timestamp=ts(2025, 12, 31, 23))  # before the period
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    usage = lines_by_price(preview)[calls]
    assert (usage.quantity, usage.amount) == (357, 1785)
    assert (usage.period.start, usage.period.end) == (ts(2026, 1, 1), ts(2026, 2, 1))
    assert lines_by_price(preview)[platform].period.start == ts(2026, 2, 1)
    assert preview.total == 2785
    assert_shape(preview.to_dict())
    advance(client, clock, ts(2026, 1, 31, 23))
    report(client, "calls_arrears", customer, 43)
    advance(client, clock, ts(2026, 2, 1, 2))
    report(client, "calls_arrears", customer, 9)                                # the new period
    renewal = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    assert (renewal.billing_reason, renewal.status) == ("subscription_cycle", "paid")
    lines = lines_by_price(renewal)
    assert (lines[calls].quantity, lines[calls].amount) == (400, 2000)
    assert lines[calls].description == "400 × API calls (at $0.05 / month)"
    assert (lines[calls].period.start, lines[calls].period.end) == (ts(2026, 1, 1), ts(2026, 2, 1))
    assert (lines[platform].amount, lines[platform].period.start) == (1000, ts(2026, 2, 1))
    assert (renewal.total, renewal.amount_paid) == (3000, 3000)
    assert_shape(renewal.to_dict())
    # A month without usage bills the licensed item and a $0 usage line.
    advance(client, clock, ts(2026, 3, 1, 2))
    march = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    lines = lines_by_price(march)
    assert (lines[calls].quantity, lines[calls].amount) == (9, 45)
    advance(client, clock, ts(2026, 4, 1, 2))
    april = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    lines = lines_by_price(april)
    assert (lines[calls].quantity, lines[calls].amount, april.total) == (0, 0, 1000)
    assert (lines[calls].period.start, lines[calls].period.end) == (ts(2026, 3, 1), ts(2026, 4, 1))


@pytest.mark.parametrize("formula,expected_quantity", [("count", 4), ("last", 3), ("sum", 36)])
def test_aggregation_formulas(client: stripe.StripeClient, formula: str, expected_quantity: int) -> None:
    event_name = f"seats_{formula}"
    _, price = metered_price(client, event_name, formula, unit_amount=200)
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price}]})
    for day, value in ((2, 5), (9, 10), (17, 18), (25, 3)):
        advance(client, clock, ts(2026, 6, day))
        report(client, event_name, customer, value)
    advance(client, clock, ts(2026, 7, 1, 2))
    invoice = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    line = invoice.lines.data[0]
    assert (line.quantity, line.amount, invoice.total) == (expected_quantity, expected_quantity * 200,
                                                           expected_quantity * 200)


@pytest.mark.parametrize("mode,usage,expected", [
    ("graduated", 1500, 1500),      # first 1000 free, 500 x 2 + 500 flat
    ("graduated", 6000, 9500),      # 500 + 4000 x 2 + 1000 x 1
    ("volume", 1500, 3500),         # every unit at tier 2 (2 cents) + its flat 500
    ("volume", 800, 0),
])
def test_tiered_metered_prices(client: stripe.StripeClient, mode: str, usage: int, expected: int) -> None:
    event_name = f"tokens_{mode}_{usage}"
    _, price = metered_price(client, event_name, billing_scheme="tiered", tiers_mode=mode, tiers=[
        {"up_to": 1000, "unit_amount": 0}, {"up_to": 5000, "unit_amount": 2, "flat_amount": 500},
        {"up_to": "inf", "unit_amount": 1}])
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price}]})
    assert client.v1.invoices.retrieve(subscription.latest_invoice).total == 0
    advance(client, clock, ts(2026, 2, 14))
    report(client, event_name, customer, usage - 100)
    report(client, event_name, customer, 100)
    advance(client, clock, ts(2026, 3, 1, 2))
    invoice = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    assert (invoice.lines.data[0].quantity, invoice.total) == (usage, expected)


def test_cancel_invoice_now_bills_usage_so_far(client: stripe.StripeClient) -> None:
    _, calls = metered_price(client, "calls_cancel")
    platform = licensed_price(client)
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": platform}, {"price": calls}]})
    advance(client, clock, ts(2026, 1, 11))
    report(client, "calls_cancel", customer, 120)
    canceled = client.v1.subscriptions.cancel(subscription.id, params={"invoice_now": True})
    assert canceled.status == "canceled"
    final = client.v1.invoices.retrieve(canceled.latest_invoice)
    assert (final.status, final.total, final.billing_reason) == ("paid", 600, "subscription_update")
    line = final.lines.data[0]
    assert (line.quantity, line.amount, line.period.start, line.period.end) == \
        (120, 600, ts(2026, 1, 1), ts(2026, 1, 11))
    assert_shape(final.to_dict())


def test_cancel_at_period_end_bills_the_last_usage(client: stripe.StripeClient) -> None:
    _, calls = metered_price(client, "calls_period_end")
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": calls}],
                                                          "cancel_at_period_end": True})
    advance(client, clock, ts(2026, 1, 21))
    report(client, "calls_period_end", customer, 30)
    advance(client, clock, ts(2026, 2, 1, 2))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == "canceled"
    final = client.v1.invoices.retrieve(ended.latest_invoice)
    assert (final.total, final.status, final.lines.data[0].quantity) == (150, "paid", 30)


@pytest.mark.parametrize("mode,behavior,pending", [
    ("flexible", "create_prorations", [(70, 350)]),
    ("flexible", "none", []),
    ("classic", "create_prorations", []),
])
def test_changing_a_metered_price_mid_period(client: stripe.StripeClient, mode: str, behavior: str,
                                             pending: list[tuple[int, int]]) -> None:
    _, old = metered_price(client, f"calls_old_{mode}_{behavior}")
    meter = client.v1.billing.meters.create(params={"display_name": "New", "event_name": f"calls_new_{mode}_{behavior}",
                                                    "default_aggregation": {"formula": "sum"}})
    product = client.v1.products.create(params={"name": "New calls"})
    new = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 10, "recurring": {
        "interval": "month", "usage_type": "metered", "meter": meter.id}}).id
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": old}],
                                                          "billing_mode": {"type": mode}})
    advance(client, clock, ts(2026, 1, 15))
    report(client, f"calls_old_{mode}_{behavior}", customer, 70)
    advance(client, clock, ts(2026, 1, 16))
    item = subscription["items"].data[0]
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item.id, "price": new}],
                                                            "proration_behavior": behavior})
    items = client.v1.invoice_items.list(params={"customer": customer}).data
    assert [(ii.quantity, ii.amount) for ii in items] == pending
    for ii in items:
        assert (ii.period.start, ii.period.end, ii.proration) == (ts(2026, 1, 1), ts(2026, 1, 16), False)
        assert_shape(ii.to_dict())
    report(client, f"calls_old_{mode}_{behavior}", customer, 1000)      # no longer on the subscription
    report(client, f"calls_new_{mode}_{behavior}", customer, 40)
    advance(client, clock, ts(2026, 2, 1, 2))
    renewal = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    usage = lines_by_price(renewal)[new]
    assert (usage.quantity, usage.amount, usage.period.start, usage.period.end) == \
        (40, 400, ts(2026, 1, 16), ts(2026, 2, 1))
    assert renewal.total == 400 + sum(amount for _, amount in pending)


def test_deleting_a_metered_item_with_clear_usage(client: stripe.StripeClient) -> None:
    _, calls = metered_price(client, "calls_clear")
    _, other = metered_price(client, "calls_keep", name="Other calls")
    platform = licensed_price(client)
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": platform}, {"price": calls}, {"price": other}]})
    advance(client, clock, ts(2026, 1, 10))
    report(client, "calls_clear", customer, 50)
    report(client, "calls_keep", customer, 60)
    advance(client, clock, ts(2026, 1, 12))
    by_price = {i.price.id: i.id for i in subscription["items"].data}
    client.v1.subscriptions.update(subscription.id, params={"items": [
        {"id": by_price[calls], "deleted": True, "clear_usage": True},
        {"id": by_price[other], "deleted": True}]})
    items = client.v1.invoice_items.list(params={"customer": customer}).data
    assert [(ii.quantity, ii.amount, ii.description) for ii in items] == [(60, 300, "60 × Other calls (at $0.05 / month)")]


def test_schedule_keeps_a_metered_item_across_a_downgrade(client: stripe.StripeClient) -> None:
    event_name = "scheduled_calls"
    _, metered = metered_price(client, event_name, unit_amount=5)
    product = client.v1.products.create(params={"name": "Plan"})
    pro, basic = (client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": amount,
                                                  "recurring": {"interval": "month"}}).id for amount in (5000, 2000))
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                          "items": [{"price": pro}, {"price": metered}]})
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    phase_items = {item.price: item for item in schedule.phases[0]["items"]}
    assert phase_items[pro].quantity == 1 and "quantity" not in phase_items[metered].to_dict()
    assert_shape(schedule.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            {"items": [{"price": pro}, {"price": metered, "quantity": 3}], "start_date": ts(2026, 3, 1),
             "end_date": ts(2026, 4, 1)}]})
    assert refused.value.param == "phases[0][items][1][quantity]"
    client.v1.subscription_schedules.update(schedule.id, params={"end_behavior": "release", "phases": [
        {"items": [{"price": pro}, {"price": metered}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 4, 1)},
        {"items": [{"price": basic}, {"price": metered}], "duration": {"interval": "month"}}]})
    advance(client, clock, ts(2026, 3, 10))
    report(client, event_name, customer, 300)
    advance(client, clock, ts(2026, 4, 1, 2))
    renewal = client.v1.invoices.list(params={"subscription": subscription.id, "limit": 1}).data[0]
    lines = lines_by_price(renewal)
    assert (lines[basic].amount, lines[metered].quantity, lines[metered].amount) == (2000, 300, 1500)
    assert renewal.total == 3500 and pro not in lines
    assert_shape(renewal.to_dict())
