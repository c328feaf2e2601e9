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
