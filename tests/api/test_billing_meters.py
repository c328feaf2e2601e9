"""Billing meters, meter events, adjustments and event summaries through the SDK."""

from __future__ import annotations

import pytest
import stripe

from tests.api.test_subscriptions import clock_customer, ts
from tests.shape_oracle import assert_shape


def make_meter(client: stripe.StripeClient, event_name: str = "api_requests", formula: str = "sum",
               **extra: object) -> stripe.billing.Meter:
    return client.v1.billing.meters.create(params={"display_name": "API requests", "event_name": event_name,
                                                   "default_aggregation": {"formula": formula}, **extra})


def test_meter_lifecycle_and_events(client: stripe.StripeClient) -> None:
    meter = make_meter(client, value_settings={"event_payload_key": "tokens"})
    assert meter.id.startswith("mtr_")
    assert (meter.status, meter.event_name, meter.default_aggregation.formula) == ("active", "api_requests", "sum")
    assert meter.customer_mapping.event_payload_key == "stripe_customer_id"
    assert meter.customer_mapping.type == "by_id"
    assert meter.value_settings.event_payload_key == "tokens"
    assert meter.status_transitions.deactivated_at is None
    assert_shape(meter.to_dict())
    renamed = client.v1.billing.meters.update(meter.id, params={"display_name": "Tokens"})
    assert renamed.display_name == "Tokens"
    assert client.v1.billing.meters.retrieve(meter.id).display_name == "Tokens"
    off = client.v1.billing.meters.deactivate(meter.id)
    assert off.status == "inactive" and off.status_transitions.deactivated_at is not None
    assert_shape(off.to_dict())
    assert [m.id for m in client.v1.billing.meters.list(params={"status": "inactive"}).data] == [meter.id]
    assert client.v1.billing.meters.list(params={"status": "active"}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing.meters.deactivate(meter.id)
    on = client.v1.billing.meters.reactivate(meter.id)
    assert on.status == "active" and on.status_transitions.deactivated_at is None
    types = [e.type for e in client.v1.events.list(params={"type": "billing.meter.*"}).data]
    assert types == ["billing.meter.reactivated", "billing.meter.deactivated", "billing.meter.updated",
                     "billing.meter.created"]
    for event in client.v1.events.list(params={"type": "billing.meter.*"}).data:
        assert_shape(event.to_dict())


def test_meter_validation(client: stripe.StripeClient) -> None:
    make_meter(client, "emails")
    with pytest.raises(stripe.InvalidRequestError) as error:
        make_meter(client, "emails")
    assert error.value.param == "event_name"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing.meters.create(params={"display_name": "x", "event_name": "y"})
    assert error.value.param == "default_aggregation"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing.meters.retrieve("mtr_missing")
    assert error.value.http_status == 404 and error.value.code == "resource_missing"


def test_meter_event_validation(client: stripe.StripeClient) -> None:
    make_meter(client, "calls")
    clock, customer = clock_customer(client, ts(2026, 3, 10, 12))
    create = client.v1.billing.meter_events.create
    event = create(params={"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "7"},
                           "identifier": "call-1"})
    assert (event.identifier, event.timestamp, event.payload["value"]) == ("call-1", ts(2026, 3, 10, 12), "7")
    assert event.event_name == "calls" and event.created == ts(2026, 3, 10, 12)
    cases = [
        ({"event_name": "nope", "payload": {"stripe_customer_id": customer, "value": "1"}}, "event_name"),
        ({"event_name": "calls", "payload": {"value": "1"}}, "payload[stripe_customer_id]"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": "cus_missing", "value": "1"}},
         "payload[stripe_customer_id]"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": customer}}, "payload[value]"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "1.5"}}, "payload[value]"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "1"},
          "timestamp": ts(2026, 3, 10, 12) - 35 * 86400 - 1}, "timestamp"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "1"},
          "timestamp": ts(2026, 3, 10, 12) + 301}, "timestamp"),
        ({"event_name": "calls", "payload": {"stripe_customer_id": customer, "value": "1"},
          "identifier": "call-1"}, "identifier"),
    ]
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as error:
            create(params=params)
        assert error.value.param == param, params
    assert "35 days" in str(create_error(create, cases[5][0]))
    # Limits are measured from the customer's clock: exactly 35 days back and 5 minutes ahead are fine.
    for moment in (ts(2026, 3, 10, 12) - 35 * 86400, ts(2026, 3, 10, 12) + 300):
        create(params={"event_name": "calls", "timestamp": moment,
                       "payload": {"stripe_customer_id": customer, "value": "1"}})


def create_error(create: object, params: dict[str, object]) -> Exception:
    try:
        create(params=params)  # type: ignore[operator]
    except stripe.InvalidRequestError as error:
        return error
    raise AssertionError("no error")


def test_summaries_and_adjustments(client: stripe.StripeClient) -> None:
    sums = make_meter(client, "gb", "sum")
    counts = make_meter(client, "logins", "count")
    lasts = make_meter(client, "seats", "last")
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    day = 86400
    for offset, value in ((3600, 5), (7200, 10), (day + 60, 20), (2 * day + 10, 1)):
        for name in ("gb", "logins", "seats"):
            client.v1.billing.meter_events.create(params={
                "event_name": name, "timestamp": ts(2026, 5, 1) - 3 * day + offset,
                "identifier": f"{name}-{offset}", "payload": {"stripe_customer_id": customer, "value": str(value)}})
    start, end = ts(2026, 5, 1) - 3 * day, ts(2026, 5, 1)
    summaries = {}
    for meter in (sums, counts, lasts):
        page = client.v1.billing.meters.event_summaries.list(
            meter.id, params={"customer": customer, "start_time": start, "end_time": end})
        assert len(page.data) == 1
        summary = page.data[0]
        assert (summary.start_time, summary.end_time, summary.meter) == (start, end, meter.id)
        assert summary.object == "billing.meter_event_summary"
        summaries[meter.default_aggregation.formula] = summary.aggregated_value
    assert summaries == {"sum": 36, "count": 4, "last": 1}
    daily = client.v1.billing.meters.event_summaries.list(
        sums.id, params={"customer": customer, "start_time": start, "end_time": end, "value_grouping_window": "day"})
    assert [(s.start_time, s.aggregated_value) for s in daily.data] == \
        [(start + 2 * day, 1), (start + day, 20), (start, 15)]
    first = client.v1.billing.meters.event_summaries.list(
        sums.id, params={"customer": customer, "start_time": start, "end_time": end, "value_grouping_window": "day",
                         "limit": 1})
    assert first.has_more and first.data[0].start_time == start + 2 * day
    rest = client.v1.billing.meters.event_summaries.list(
        sums.id, params={"customer": customer, "start_time": start, "end_time": end, "value_grouping_window": "day",
                         "starting_after": first.data[0].id})
    assert [s.aggregated_value for s in rest.data] == [20, 15] and not rest.has_more
    adjustment = client.v1.billing.meter_event_adjustments.create(params={
        "event_name": "gb", "type": "cancel", "cancel": {"identifier": f"gb-{day + 60}"}})
    assert (adjustment.status, adjustment.type, adjustment.cancel.identifier) == ("pending", "cancel", f"gb-{day + 60}")
    after = client.v1.billing.meters.event_summaries.list(
        sums.id, params={"customer": customer, "start_time": start, "end_time": end})
    assert after.data[0].aggregated_value == 16
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing.meter_event_adjustments.create(params={
            "event_name": "gb", "type": "cancel", "cancel": {"identifier": "unknown"}})
    assert error.value.param == "cancel[identifier]"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing.meters.event_summaries.list(
            sums.id, params={"customer": customer, "start_time": start + 1, "end_time": end})
    assert error.value.param == "start_time"
    client.v1.billing.meters.deactivate(sums.id)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing.meter_events.create(params={"event_name": "gb",
                                                      "payload": {"stripe_customer_id": customer, "value": "1"}})
    assert error.value.param == "event_name"
