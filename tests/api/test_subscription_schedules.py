"""Subscription schedules with test clocks: phase changes at the boundary, release and cancel at the end."""

from __future__ import annotations

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts
from tests.shape_oracle import assert_shape


def test_downgrade_at_period_end_via_from_subscription(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 5000, "Basic": 2000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 3, 12))
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    assert schedule.status == "active" and schedule.subscription == subscription.id
    assert (schedule.current_phase.start_date, schedule.current_phase.end_date) == (ts(2026, 3, 1), ts(2026, 4, 1))
    assert_shape(schedule.to_dict())
    assert client.v1.subscriptions.retrieve(subscription.id).schedule == schedule.id
    updated = client.v1.subscription_schedules.update(schedule.id, params={
        "end_behavior": "release",
        "phases": [
            {"items": [{"price": prices["Pro"]}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 4, 1)},
            {"items": [{"price": prices["Basic"]}], "duration": {"interval": "month", "interval_count": 1}},
        ]})
    assert [p.end_date for p in updated.phases] == [ts(2026, 4, 1), ts(2026, 5, 1)]
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []  # nothing changes now
    advance(client, clock, ts(2026, 4, 1, 2))
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert current["items"].data[0].price.id == prices["Basic"]
    renewal = client.v1.invoices.retrieve(current.latest_invoice)
    assert renewal.total == 2000 and renewal.status == "paid"
    assert client.v1.subscription_schedules.retrieve(schedule.id).current_phase.start_date == ts(2026, 4, 1)
    advance(client, clock, ts(2026, 5, 1, 2))
    released = client.v1.subscription_schedules.retrieve(schedule.id)
    assert released.status == "released" and released.released_subscription == subscription.id
    assert released.released_at == ts(2026, 5, 1) and released.subscription is None
    assert_shape(released.to_dict())
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.schedule is None and after.status == "active"
    assert client.v1.invoices.retrieve(after.latest_invoice).total == 2000
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert "subscription_schedule.released" in types and "subscription_schedule.created" in types


def test_schedule_creates_subscription_and_cancels_at_end(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Intro": 1000, "Full": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": prices["Intro"]}], "duration": {"interval": "month", "interval_count": 2}},
                   {"items": [{"price": prices["Full"], "quantity": 2}],
                    "duration": {"interval": "month", "interval_count": 1}}]})
    assert schedule.status == "active" and schedule.subscription.startswith("sub_")
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == "active" and subscription.schedule == schedule.id
    assert client.v1.invoices.retrieve(subscription.latest_invoice).total == 1000
    for moment in (ts(2026, 7, 1, 2), ts(2026, 8, 1, 2)):
        advance(client, clock, moment)
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert current["items"].data[0].price.id == prices["Full"] and current["items"].data[0].quantity == 2
    assert current.cancel_at == ts(2026, 9, 1)
    assert client.v1.invoices.retrieve(current.latest_invoice).total == 6000
    advance(client, clock, ts(2026, 9, 1, 2))
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    done = client.v1.subscription_schedules.retrieve(schedule.id)
    assert done.status == "completed" and done.completed_at == ts(2026, 9, 1)


def test_future_start_and_cancel(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Later": 1500})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": ts(2026, 1, 10),
        "phases": [{"items": [{"price": prices["Later"]}], "duration": {"interval": "month"}}]})
    assert schedule.status == "not_started" and schedule.subscription is None
    assert_shape(schedule.to_dict())
    assert [s.id for s in client.v1.subscription_schedules.list(params={"scheduled": True}).data] == [schedule.id]
    advance(client, clock, ts(2026, 1, 10, 1))
    started = client.v1.subscription_schedules.retrieve(schedule.id)
    assert started.status == "active"
    subscription = client.v1.subscriptions.retrieve(started.subscription)
    assert subscription.start_date == ts(2026, 1, 10)
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.retrieve(started.subscription).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_schedules.release(schedule.id)


def test_validation(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"X": 1000})
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["X"]}]})
    client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    assert info.value.param == "from_subscription"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.create(params={"customer": customer, "phases": [
            {"items": [{"price": prices["X"]}], "end_date": ts(2026, 1, 1)}]})
    assert info.value.param == "phases[0][end_date]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.create(params={"customer": customer, "phases": [
            {"items": [{"price": prices["X"]}]}, {"items": [{"price": prices["X"]}]}]})
    assert info.value.param == "phases[0][end_date]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.create(params={"from_subscription": subscription.id, "end_behavior": "cancel"})
    assert info.value.param == "end_behavior"


def test_origin_is_recorded_outside_the_object(client: stripe.StripeClient, emulator: object) -> None:
    from emulator.context import Ctx
    from emulator.resources import accounts, subscription_schedules
    from emulator.store import Store, connect

    prices = setup_catalog(client, {"Y": 1000})
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Y"]}]})
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    assert "origin" not in schedule.to_dict()
    store = Store(connect(emulator.db_path))  # type: ignore[attr-defined]
    account = accounts.load(store, client.v1.accounts.retrieve_current().id)
    ctx = Ctx(store=store, account=account, api_version=account.api_version)
    assert subscription_schedules.origin_of(ctx, schedule.id) == "api"


def _one_time_price(client: stripe.StripeClient, name: str, amount: int) -> tuple[str, str]:
    product = client.v1.products.create(params={"name": name})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": amount})
    return product.id, price.id


def test_add_invoice_items_ride_on_the_first_invoice_of_their_phase(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Seat": 2000})
    setup_product, setup_price = _one_time_price(client, "Setup fee", 5000)
    training = client.v1.products.create(params={"name": "Training"}).id
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [
            {"items": [{"price": prices["Seat"]}], "add_invoice_items": [{"price": setup_price}],
             "duration": {"interval": "month"}},
            {"items": [{"price": prices["Seat"], "quantity": 2}],
             "add_invoice_items": [{"price_data": {"product": training, "currency": "usd", "unit_amount": 1500},
                                    "quantity": 2, "metadata": {"kind": "training"}}],
             "duration": {"interval": "month"}},
            {"items": [{"price": prices["Seat"], "quantity": 2}], "duration": {"interval": "month"}}]})
    assert_shape(schedule.to_dict())
    added = schedule.phases[0].add_invoice_items[0]
    assert (added.price, added.quantity, added.discountable) == (setup_price, 1, True)
    assert (added.period.start.type, added.period.end.type) == ("max_item_period_start", "min_item_period_end")
    training_price = schedule.phases[1].add_invoice_items[0].price
    assert training_price.startswith("price_") and schedule.phases[1].add_invoice_items[0].quantity == 2
    assert client.v1.prices.retrieve(training_price).active is False

    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == "active"
    # A subscription a schedule starts gets a draft first invoice, finalized and charged about an hour later.
    draft = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (draft.status, draft.automatically_finalizes_at) == ("draft", ts(2026, 3, 1, 1))
    advance(client, clock, ts(2026, 3, 1, 2))
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.billing_reason == "subscription_create" and first.total == 7000 and first.status == "paid"
    setup_line = next(line for line in first.lines.data if line.amount == 5000)
    assert setup_line.pricing.price_details.price == setup_price
    assert (setup_line.period.start, setup_line.period.end) == (ts(2026, 3, 1), ts(2026, 4, 1))
    assert setup_line.parent.invoice_item_details.subscription == subscription.id
    assert_shape(first.to_dict())

    advance(client, clock, ts(2026, 4, 1, 2))
    second = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert second.billing_reason == "subscription_cycle" and second.status == "paid"
    assert second.total == 2 * 2000 + 2 * 1500
    assert sorted(line.amount for line in second.lines.data) == [3000, 4000]
    training_line = next(line for line in second.lines.data if line.amount == 3000)
    assert training_line.quantity == 2 and training_line.metadata.to_dict() == {"kind": "training"}
    assert (training_line.period.start, training_line.period.end) == (ts(2026, 4, 1), ts(2026, 5, 1))
    assert_shape(second.to_dict())
    # A one-off item of a subscription names it but no subscription item (the key is left out, not null).
    training_item = client.v1.invoice_items.retrieve(training_line.parent.invoice_item_details.invoice_item)
    assert_shape(training_item.to_dict())
    assert training_item.parent.subscription_details.to_dict() == {"subscription": subscription.id}

    advance(client, clock, ts(2026, 5, 1, 2))
    third = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert third.total == 4000 and len(third.lines.data) == 1


def test_trial_phase_then_paid_phase(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "trial": True, "duration": {"interval": "day",
                                                                                    "interval_count": 14}},
                   {"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 2}}]})
    assert schedule.phases[0].trial is True and schedule.phases[0].end_date == ts(2026, 3, 15)
    assert_shape(schedule.to_dict())
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == "trialing"
    assert (subscription.trial_start, subscription.trial_end) == (ts(2026, 3, 1), ts(2026, 3, 15))
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 0 and first.status == "paid"

    advance(client, clock, ts(2026, 3, 15, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 3, 15), ts(2026, 4, 15))
    renewal = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert renewal.total == 3000 and renewal.status == "paid" and renewal.billing_reason == "subscription_cycle"
    current = client.v1.subscription_schedules.retrieve(schedule.id).current_phase
    assert (current.start_date, current.end_date) == (ts(2026, 3, 15), ts(2026, 5, 15))


def test_trial_end_inside_a_phase(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": prices["Pro"]}], "trial_end": ts(2026, 3, 8), "end_date": ts(2026, 4, 8)}]})
    assert schedule.phases[0].trial_end == ts(2026, 3, 8)
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription.status == "trialing" and subscription.trial_end == ts(2026, 3, 8)
    advance(client, clock, ts(2026, 3, 8, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "active" and subscription.cancel_at == ts(2026, 4, 8)
    assert client.v1.invoices.retrieve(subscription.latest_invoice).total == 3000
    advance(client, clock, ts(2026, 4, 8, 2))
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "completed"


def test_phase_discounts_and_metadata_follow_the_phases(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 4000})
    half = client.v1.coupons.create(params={"percent_off": 50, "duration": "forever"})
    ten_off = client.v1.coupons.create(params={"amount_off": 1000, "currency": "usd", "duration": "forever"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": ten_off.id}})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [
            {"items": [{"price": prices["Pro"]}], "discounts": [{"coupon": half.id}],
             "metadata": {"phase": "intro", "promo": "spring"}, "duration": {"interval": "month"}},
            {"items": [{"price": prices["Pro"]}], "metadata": {"phase": "regular", "promo": ""},
             "duration": {"interval": "month"}},
            {"items": [{"price": prices["Pro"]}], "discounts": [{"promotion_code": promo.id}],
             "duration": {"interval": "month"}}]})
    assert [(d.coupon, d.discount, d.promotion_code) for d in schedule.phases[0].discounts] == [(half.id, None, None)]
    assert schedule.phases[1].discounts == []
    assert schedule.phases[2].discounts[0].promotion_code == promo.id
    assert_shape(schedule.to_dict())
    subscription = client.v1.subscriptions.retrieve(schedule.subscription, params={"expand": ["discounts"]})
    assert [d.source.coupon for d in subscription.discounts] == [half.id]
    assert subscription.metadata.to_dict() == {"phase": "intro", "promo": "spring"}
    assert client.v1.invoices.retrieve(subscription.latest_invoice).total == 2000

    advance(client, clock, ts(2026, 4, 1, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.discounts == [] and subscription.metadata.to_dict() == {"phase": "regular"}
    renewal = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert renewal.total == 4000 and renewal.discounts == []

    advance(client, clock, ts(2026, 5, 1, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["discounts"]})
    assert [(d.source.coupon, d.promotion_code) for d in subscription.discounts] == [(ten_off.id, promo.id)]
    renewal = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert renewal.total == 3000 and renewal.total_discount_amounts[0].amount == 1000
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert types.count("customer.discount.created") == 2 and types.count("customer.discount.deleted") == 1


def test_default_settings_send_invoice_and_phase_tax_rates(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Team": 10000})
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "default_settings": {"collection_method": "send_invoice", "invoice_settings": {"days_until_due": 14}},
        "phases": [{"items": [{"price": prices["Team"]}], "duration": {"interval": "month"}},
                   {"items": [{"price": prices["Team"]}], "default_tax_rates": [vat.id],
                    "invoice_settings": {"days_until_due": 30}, "duration": {"interval": "month"}}]})
    assert schedule.default_settings.collection_method == "send_invoice"
    assert schedule.default_settings.invoice_settings.days_until_due == 14
    assert schedule.phases[1].default_tax_rates[0].id == vat.id
    assert schedule.phases[1].invoice_settings.days_until_due == 30
    assert_shape(schedule.to_dict())
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert (subscription.collection_method, subscription.days_until_due) == ("send_invoice", 14)
    assert subscription.status == "active"
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 10000 and first.due_date == ts(2026, 3, 15)
    advance(client, clock, ts(2026, 4, 1, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.days_until_due == 30 and [r.id for r in subscription.default_tax_rates] == [vat.id]
    renewal = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert renewal.total == 12000 and renewal.due_date == ts(2026, 5, 1)


def test_direct_edit_splits_the_current_phase(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000, "Basic": 2000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {"items": [{"price": prices["Pro"]}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 4, 1)},
        {"items": [{"price": prices["Basic"]}], "duration": {"interval": "month"}}]})
    advance(client, clock, ts(2026, 3, 11))
    item = subscription["items"].data[0]
    updated = client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item.id, "quantity": 2}]})
    assert updated.schedule == schedule.id and updated["items"].data[0].quantity == 2
    split = client.v1.subscription_schedules.retrieve(schedule.id)
    assert [(p.start_date, p.end_date, p["items"][0].quantity) for p in split.phases] == [
        (ts(2026, 3, 1), ts(2026, 3, 11), 1), (ts(2026, 3, 11), ts(2026, 4, 1), 2), (ts(2026, 4, 1), ts(2026, 5, 1), 1)]
    assert (split.current_phase.start_date, split.current_phase.end_date) == (ts(2026, 3, 11), ts(2026, 4, 1))
    assert_shape(split.to_dict())
    # Metadata edits do not touch the schedule.
    client.v1.subscriptions.update(subscription.id, params={"metadata": {"note": "x"}})
    assert len(client.v1.subscription_schedules.retrieve(schedule.id).phases) == 3
    # Cancellation belongs to the schedule.
    for params in ({"cancel_at_period_end": True}, {"cancel_at": ts(2026, 3, 20)}):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.subscriptions.update(subscription.id, params=params)
        assert info.value.param == next(iter(params)) and "managed by the subscription schedule" in str(info.value)
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert types.count("subscription_schedule.updated") == 2

    advance(client, clock, ts(2026, 4, 1, 2))
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert current["items"].data[0].price.id == prices["Basic"] and current["items"].data[0].quantity == 1
    renewal = client.v1.invoices.retrieve(current.latest_invoice)
    # 21 of 31 days left on Mar 11: -3000*21/31 for the single seat, +6000*21/31 for two, then Basic.
    assert sorted(line.amount for line in renewal.lines.data) == [-2032, 2000, 4065]
    assert renewal.total == 4033 and renewal.status == "paid"


def test_more_validation(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"X": 1000, "Y": 500})
    clock, customer = clock_customer(client, ts(2026, 2, 1))

    def refused(params: dict, param: str) -> None:
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.subscription_schedules.create(params={"customer": customer, **params})
        assert info.value.param == param, info.value.user_message

    item = [{"price": prices["X"]}]
    refused({"phases": [{"items": item, "end_date": ts(2026, 3, 1), "duration": {"interval": "month"}}]},
            "phases[0][duration]")
    refused({"phases": [{"items": item, "trial": True, "trial_end": ts(2026, 2, 5)}]}, "phases[0][trial_end]")
    refused({"phases": [{"items": item, "trial_end": ts(2026, 4, 1), "end_date": ts(2026, 3, 1)}]},
            "phases[0][trial_end]")
    refused({"phases": [{"items": item, "trial": True, "billing_cycle_anchor": "phase_start"}]},
            "phases[0][billing_cycle_anchor]")
    refused({"phases": [{"items": item, "add_invoice_items": [{"quantity": 2}]}]},
            "phases[0][add_invoice_items][0][price]")
    refused({"phases": [{"items": item, "discounts": [{"coupon": "NOPE"}]}]}, "phases[0][discounts][0][coupon]")
    refused({"phases": [{"items": item, "billing_thresholds": {"amount_gte": 5000}}]},
            "phases[0][billing_thresholds]")

    schedule = client.v1.subscription_schedules.create(params={"customer": customer, "start_date": "now", "phases": [
        {"items": item, "duration": {"interval": "month"}}, {"items": [{"price": prices["Y"]}],
                                                             "duration": {"interval": "month"}}]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            {"items": item, "start_date": ts(2026, 2, 1), "end_date": ts(2026, 3, 1)},
            {"items": item, "start_date": ts(2026, 2, 20), "end_date": ts(2026, 4, 1)}]})
    assert info.value.param == "phases[1][start_date]" and "overlaps" in str(info.value)
    advance(client, clock, ts(2026, 3, 5))
    past = {"items": item, "start_date": ts(2026, 2, 1), "end_date": ts(2026, 3, 1)}
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            {**past, "items": [{"price": prices["Y"]}]},
            {"items": [{"price": prices["Y"]}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 4, 1)}]})
    assert info.value.param == "phases[0][items]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            {**past, "start_date": ts(2026, 1, 25)}, {"items": [{"price": prices["Y"]}], "end_date": ts(2026, 4, 1)}]})
    assert info.value.param == "phases[0][start_date]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            past, {"items": [{"price": prices["Y"]}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 3, 4)}]})
    assert info.value.param == "phases[1][end_date]"
    # Resending the past phase unchanged is accepted.
    kept = client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        past, {"items": [{"price": prices["Y"]}], "start_date": ts(2026, 3, 1), "end_date": ts(2026, 5, 1)}]})
    assert [p.end_date for p in kept.phases] == [ts(2026, 3, 1), ts(2026, 5, 1)]
    released = client.v1.subscription_schedules.release(schedule.id)
    assert released.status == "released"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscription_schedules.update(schedule.id, params={"metadata": {"a": "b"}})
    assert "released" in str(info.value)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_schedules.cancel(schedule.id)


def test_trial_in_a_later_phase(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month"}},
                   {"items": [{"price": prices["Pro"]}], "trial": True, "duration": {"interval": "month"}},
                   {"items": [{"price": prices["Pro"]}], "duration": {"interval": "month"}}]})
    advance(client, clock, ts(2026, 4, 1, 2))
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    item = subscription["items"].data[0]
    assert subscription.status == "trialing" and subscription.trial_end == ts(2026, 5, 1)
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 4, 1), ts(2026, 5, 1))
    trial_invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert trial_invoice.total == 0 and trial_invoice.status == "paid"
    assert [line.description for line in trial_invoice.lines.data] == ["Free trial for 1 × Pro"]
    assert_shape(trial_invoice.to_dict())
    advance(client, clock, ts(2026, 5, 1, 2))
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription.status == "active"
    renewal = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert renewal.total == 3000 and renewal.billing_reason == "subscription_cycle" and renewal.status == "paid"
    assert len(client.v1.invoices.list(params={"customer": customer}).data) == 3


def test_end_current_phase_now_and_default_settings_update(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000, "Basic": 2000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 2}},
                   {"items": [{"price": prices["Basic"]}], "duration": {"interval": "month"}}]})
    advance(client, clock, ts(2026, 3, 11))
    updated = client.v1.subscription_schedules.update(schedule.id, params={
        "default_settings": {"description": "Downgraded early"},
        "phases": [{"items": [{"price": prices["Pro"]}], "start_date": ts(2026, 3, 1), "end_date": "now"},
                   {"items": [{"price": prices["Basic"]}], "duration": {"interval": "month"}}]})
    assert updated.default_settings.description == "Downgraded early"
    assert [(p.start_date, p.end_date) for p in updated.phases] == [(ts(2026, 3, 1), ts(2026, 3, 11)),
                                                                    (ts(2026, 3, 11), ts(2026, 4, 11))]
    assert (updated.current_phase.start_date, updated.current_phase.end_date) == (ts(2026, 3, 11), ts(2026, 4, 11))
    assert_shape(updated.to_dict())
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    assert subscription["items"].data[0].price.id == prices["Basic"]
    assert subscription.description == "Downgraded early"
    pending = sorted(i.amount for i in client.v1.invoice_items.list(params={"customer": customer}).data)
    # 21 of 31 days left: -3000*21/31 and +2000*21/31, waiting for the Apr 1 renewal.
    assert pending == [-2032, 1355]
    advance(client, clock, ts(2026, 4, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert renewal.total == 2000 - 2032 + 1355


def test_canceling_the_subscription_directly_ends_the_schedule(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month"}},
                   {"items": [{"price": prices["Pro"], "quantity": 2}], "duration": {"interval": "month"}}]})
    client.v1.subscriptions.cancel(schedule.subscription)
    advance(client, clock, ts(2026, 4, 1, 2))
    ended = client.v1.subscription_schedules.retrieve(schedule.id)
    assert ended.status == "canceled" and ended.canceled_at == ts(2026, 3, 1) and ended.current_phase is None


def test_unimplemented_phase_parameters_are_refused_by_name(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"X": 1000})
    clock, customer = clock_customer(client, ts(2026, 2, 1))
    for phase, param in (
            ({"items": [{"price": prices["X"], "tax_rates": ["txr_x"]}]}, "phases[0][items][0][tax_rates]"),
            ({"items": [{"price": prices["X"]}], "automatic_tax": {"enabled": True}}, "phases[0][automatic_tax]"),
            ({"items": [{"price": prices["X"]}], "add_invoice_items": [{"price": prices["X"], "discountable": False}]},
             "phases[0][add_invoice_items][0][discountable]")):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.subscription_schedules.create(params={"customer": customer, "phases": [phase]})
        assert info.value.param == param


def test_a_scheduled_start_with_a_failing_card_goes_past_due_and_retries(client: stripe.StripeClient) -> None:
    """The first invoice of a schedule's subscription is finalized an hour later like a renewal: a decline makes
    the subscription past_due (never incomplete) and plans Stripe's retries."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 3, 1), token="pm_card_chargeCustomerFail")
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "phases": [{"items": [{"price": prices["Pro"]}]}]})
    assert client.v1.subscriptions.retrieve(schedule.subscription).status == "active"
    advance(client, clock, ts(2026, 3, 1, 2))
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert subscription.status == "past_due"
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert invoice.next_payment_attempt == ts(2026, 3, 1, 1) + 3 * 86400


def _two_phases(price_a: str, price_b: str, start: int, end: int, **first: object) -> list[dict[str, object]]:
    return [{"items": [{"price": price_a}], "start_date": start, "end_date": end, **first},
            {"items": [{"price": price_b}], "duration": {"interval": "month"}}]


def test_resending_the_current_phase_changes_nothing(client: stripe.StripeClient) -> None:
    """Stripe asks updates to resend the current phase; resent unchanged, its anchor (phase_start), coupon and
    metadata are not applied again: no new period, no new discount, direct metadata edits kept."""
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    coupon = client.v1.coupons.create(params={"percent_off": 50, "duration": "repeating", "duration_in_months": 3})
    phase = {"items": [{"price": prices["Ten"]}], "billing_cycle_anchor": "phase_start",
             "discounts": [{"coupon": coupon.id}], "metadata": {"note": "initial"}, "proration_behavior": "none"}
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{**phase, "duration": {"interval": "month", "interval_count": 6}}]})
    subscription_id = schedule.subscription
    advance(client, clock, ts(2026, 6, 13))
    client.v1.subscriptions.update(subscription_id, params={"metadata": {"note": "edited"}})
    before = client.v1.subscriptions.retrieve(subscription_id)
    client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {**phase, "start_date": ts(2026, 6, 1), "end_date": ts(2026, 12, 1)},
        {"items": [{"price": prices["Twenty"]}], "duration": {"interval": "month"}}]})
    after = client.v1.subscriptions.retrieve(subscription_id)
    assert (after.billing_cycle_anchor, after.latest_invoice, after.discounts) == \
        (before.billing_cycle_anchor, before.latest_invoice, before.discounts)
    assert after.metadata.to_dict() == {"note": "edited"}
    assert client.v1.events.list(params={"type": "customer.discount.created"}).data[0].created == ts(2026, 6, 1)
    totals = []
    for month in range(7, 11):
        advance(client, clock, ts(2026, month, 1, 2))
        totals.append(client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription_id).latest_invoice
                                                  ).total)
    assert totals == [500, 500, 1000, 1000]  # three discounted months in all (June's first invoice was one)


def test_an_update_to_the_current_phase_prorates_by_default(client: stripe.StripeClient) -> None:
    """The request's proration_behavior (create_prorations by default) governs a change to the current phase,
    not the phase's own proration_behavior (which applies when a phase is entered)."""
    prices = setup_catalog(client, {"Ten": 1000, "Thirty": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Ten"]}], "proration_behavior": "none",
                    "duration": {"interval": "month", "interval_count": 3}}]})
    advance(client, clock, ts(2026, 6, 16))
    client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {"items": [{"price": prices["Thirty"]}], "proration_behavior": "none", "start_date": ts(2026, 6, 1),
         "end_date": ts(2026, 9, 1)}]})
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert sorted(i.amount for i in pending) == [-500, 1500]


def test_cancel_at_follows_the_schedule_end(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 2}}]})
    assert client.v1.subscriptions.retrieve(schedule.subscription).cancel_at == ts(2026, 8, 1)
    extended = client.v1.subscription_schedules.update(schedule.id, params={"phases": _two_phases(
        prices["Pro"], prices["Pro"], ts(2026, 6, 1), ts(2026, 8, 1))})
    assert extended.phases[-1].end_date == ts(2026, 9, 1)
    assert client.v1.subscriptions.retrieve(schedule.subscription).cancel_at is None
    released_at_end = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month"}}]})
    client.v1.subscription_schedules.update(released_at_end.id, params={"end_behavior": "release"})
    assert client.v1.subscriptions.retrieve(released_at_end.subscription).cancel_at is None
    advance(client, clock, ts(2026, 7, 1, 2))
    assert client.v1.subscription_schedules.retrieve(released_at_end.id).status == "released"
    assert client.v1.subscriptions.retrieve(released_at_end.subscription).status == "active"


def test_cancel_prorates_and_invoices_by_default(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "phases": [{"items": [{"price": prices["Pro"]}]}]})
    advance(client, clock, ts(2026, 6, 16))
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled"
    ended = client.v1.subscriptions.retrieve(schedule.subscription)
    final = client.v1.invoices.retrieve(ended.latest_invoice)
    assert (ended.status, final.total, final.billing_reason) == ("canceled", -1500, "subscription_update")
    event = client.v1.events.list(params={"type": "subscription_schedule.canceled"}).data[0]
    assert "previous_attributes" not in event.data


def test_a_past_start_date_backdates_the_subscription(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": ts(2026, 5, 22),
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 2}}]})
    subscription = client.v1.subscriptions.retrieve(schedule.subscription)
    item = subscription["items"].data[0]
    assert (subscription.start_date, subscription.billing_cycle_anchor) == (ts(2026, 5, 22), ts(2026, 5, 22))
    assert (item.current_period_start, item.current_period_end) == (ts(2026, 5, 22), ts(2026, 6, 22))
    assert schedule.phases[0].end_date == ts(2026, 7, 22)


def test_schedule_events_creation_expiring_and_aborted(client: stripe.StripeClient) -> None:
    """Created at once: one `created` event, active with its subscription, which names the schedule from its own
    `created` event. `expiring` comes 7 days before the end; dunning's cancellation aborts the schedule."""
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    schedule = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 3}}]})
    created = client.v1.events.list(params={"type": "subscription_schedule.created"}).data
    assert [(e.data.object.status, e.data.object.subscription) for e in created] == \
        [("active", schedule.subscription)]
    assert client.v1.events.list(params={"type": "subscription_schedule.updated"}).data == []
    sub_created = client.v1.events.list(params={"type": "customer.subscription.created"}).data[0]
    assert sub_created.data.object.schedule == schedule.id
    advance(client, clock, ts(2026, 7, 25))
    advance(client, clock, ts(2026, 8, 24))
    assert client.v1.events.list(params={"type": "subscription_schedule.expiring"}).data == []
    advance(client, clock, ts(2026, 8, 26))
    expiring = client.v1.events.list(params={"type": "subscription_schedule.expiring"}).data
    assert [(e.created, e.data.object.id) for e in expiring] == [(ts(2026, 8, 25), schedule.id)]
    # A second schedule whose subscription dunning cancels: the schedule is aborted.
    failing = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Pro"]}], "duration": {"interval": "month", "interval_count": 6}}]})
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": pm.id}})
    for moment in (ts(2026, 9, 26, 2), ts(2026, 10, 20)):
        advance(client, clock, moment)
    assert client.v1.subscriptions.retrieve(failing.subscription).status == "canceled"
    aborted = client.v1.subscription_schedules.retrieve(failing.id)
    assert aborted.status == "canceled" and aborted.current_phase is None
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data
             if e.type.startswith("subscription_schedule.") and e.data.object.id == failing.id]
    assert types[0] == "subscription_schedule.aborted" and "subscription_schedule.canceled" not in types


def test_billing_mode_and_default_anchor(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    classic = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "billing_mode": {"type": "classic"},
        "default_settings": {"billing_cycle_anchor": "phase_start"},
        "phases": [{"items": [{"price": prices["Pro"]}]}]})
    assert (classic.billing_mode.type, classic.default_settings.billing_cycle_anchor) == ("classic", "phase_start")
    assert client.v1.subscriptions.retrieve(classic.subscription).billing_mode.type == "classic"
    assert_shape(classic.to_dict())
    direct = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                    "billing_mode": {"type": "classic"}})
    adopted = client.v1.subscription_schedules.create(params={"from_subscription": direct.id})
    assert adopted.billing_mode.type == "classic"


def test_invoice_upcoming_previews_the_next_phase(client: stripe.StripeClient) -> None:
    """invoice.upcoming shows the renewal as the schedule will make it (the next phase's price), and is not
    sent when the schedule cancels the subscription at the period end."""
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    clock, customer = clock_customer(client, ts(2026, 6, 1))
    moving = client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now",
        "phases": [{"items": [{"price": prices["Ten"]}], "duration": {"interval": "month"}},
                   {"items": [{"price": prices["Twenty"], "quantity": 2}], "duration": {"interval": "month"}}]})
    client.v1.subscription_schedules.create(params={
        "customer": customer, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": prices["Ten"]}], "duration": {"interval": "month"}}]})
    advance(client, clock, ts(2026, 6, 29))
    upcoming = client.v1.events.list(params={"type": "invoice.upcoming"}).data
    assert [(e.data.object.parent.subscription_details.subscription, e.data.object.total) for e in upcoming] == \
        [(moving.subscription, 4000)]
    advance(client, clock, ts(2026, 7, 1, 2))
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(moving.subscription).latest_invoice)
    assert renewal.total == 4000
