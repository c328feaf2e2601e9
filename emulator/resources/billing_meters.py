"""Billing meters (`/v1/billing/meters`), meter events, event adjustments and event summaries.

A meter names the `event_name` its events carry, where the customer id and the value sit in an event's
payload, and how a period's events are aggregated (`sum`, `count` or `last`). Meter events are recorded in
their own table (one indexed sum per billing period); a customer's usage of a meter over a window is what
metered prices bill at the end of each period. Stripe processes meter events asynchronously; the emulator
applies them at once, so summaries and invoices see an event as soon as it is accepted.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from emulator import ids
from emulator.billing import usage
from emulator.context import Ctx
from emulator.errors import InvalidRequestError, ResourceMissingError
from emulator.resources import common

OBJECT = "billing.meter"
CREATE_PARAMS = ("customer_mapping", "default_aggregation", "display_name", "event_name", "event_time_window",
                 "value_settings")
LIST_PARAMS = ("limit", "starting_after", "ending_before", "status")
EVENT_PARAMS = ("event_name", "identifier", "payload", "timestamp")
ADJUSTMENT_PARAMS = ("cancel", "event_name", "type")
SUMMARY_PARAMS = ("customer", "end_time", "start_time", "value_grouping_window", "limit", "starting_after",
                  "ending_before")
# Stripe accepts events up to 35 days old and at most 5 minutes ahead of its clock.
MAX_EVENT_AGE = 35 * 86400
MAX_EVENT_LEAD = 300


def require(ctx: Ctx, meter_id: str, param: str | None = None) -> dict[str, Any]:
    """The meter, or Stripe's `No such billing meter: 'mtr_x'` (404)."""
    return common.require(ctx, OBJECT, meter_id, kind="billing meter", param=param)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing/meters`: display_name, event_name, default_aggregation.formula, customer_mapping
    (by_id, key `stripe_customer_id` by default), value_settings (key `value` by default). One active meter
    per event_name. billing.meter.created."""
    for key in ("display_name", "event_name"):
        if not params.get(key):
            raise InvalidRequestError(f"Missing required param: {key}.", param=key, code="parameter_missing")
    formula = (params.get("default_aggregation") or {}).get("formula")
    if formula not in usage.FORMULAS:
        raise InvalidRequestError(f"Invalid default_aggregation[formula]: must be one of {', '.join(usage.FORMULAS)}",
                                  param="default_aggregation[formula]")
    event_name = params["event_name"]
    if _active_meter(ctx, event_name) is not None:
        raise InvalidRequestError(f"An active meter with event_name '{event_name}' already exists.",
                                  param="event_name", code="resource_already_exists")
    mapping = params.get("customer_mapping") or {}
    value_key = (params.get("value_settings") or {}).get("event_payload_key", "value")
    now = ctx.now()
    meter = {
        "id": "mtr_test_61" + ids.random_chars(21),
        "object": OBJECT,
        "created": now,
        "customer_mapping": {"event_payload_key": mapping.get("event_payload_key", "stripe_customer_id"),
                             "type": mapping.get("type", "by_id")},
        "default_aggregation": {"formula": formula},
        "display_name": params["display_name"],
        "event_name": event_name,
        "event_time_window": params.get("event_time_window"),
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": now,
        "value_settings": {"event_payload_key": value_key},
    }
    return common.create(ctx, meter)


def update(ctx: Ctx, meter_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing/meters/{id}`: only display_name changes. billing.meter.updated."""
    before = require(ctx, meter_id)
    meter = dict(before)
    if "display_name" in params:
        meter["display_name"] = params["display_name"]
        meter["updated"] = ctx.now()
    return common.save(ctx, before, meter)


def set_status(ctx: Ctx, meter_id: str, active: bool) -> dict[str, Any]:
    """`POST /v1/billing/meters/{id}/deactivate|reactivate`: an inactive meter accepts no events and cannot be
    put on new prices. billing.meter.deactivated / billing.meter.reactivated."""
    before = require(ctx, meter_id)
    wanted = "active" if active else "inactive"
    if before["status"] == wanted:
        raise InvalidRequestError(f"This meter is already {wanted}.", param="id")
    if active and _active_meter(ctx, before["event_name"]) is not None:
        raise InvalidRequestError(f"An active meter with event_name '{before['event_name']}' already exists.",
                                  param="id")
    now = ctx.now()
    meter = {**before, "status": wanted, "updated": now,
             "status_transitions": {"deactivated_at": None if active else now}}
    return common.save(ctx, before, meter, event="billing.meter.reactivated" if active else
                       "billing.meter.deactivated")


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/billing/meters`, optionally by status."""
    status = params.get("status")
    return common.list_objects(ctx, OBJECT, params, "/v1/billing/meters",
                               post_filter=(lambda m: m["status"] == status) if status else None)


def _active_meter(ctx: Ctx, event_name: str) -> dict[str, Any] | None:
    rows = ctx.store.select(ctx.account_id, OBJECT, where="json_extract(data, '$.event_name') = ? AND "
                            "json_extract(data, '$.status') = 'active'", args=(event_name,), limit=1)
    return rows[0] if rows else None


# -- meter events ------------------------------------------------------------------------------------------
def record_event(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing/meter_events`: the payload names the customer and the value (keys from the meter);
    `timestamp` defaults to now on the customer's test clock and must lie within the past 35 days and at
    most 5 minutes ahead; `identifier` (generated when omitted) is unique."""
    event_name = params.get("event_name")
    if not event_name:
        raise InvalidRequestError("Missing required param: event_name.", param="event_name",
                                  code="parameter_missing")
    payload = params.get("payload")
    if not isinstance(payload, dict) or not payload:
        raise InvalidRequestError("Missing required param: payload.", param="payload", code="parameter_missing")
    meter = _active_meter(ctx, event_name)
    if meter is None:
        raise InvalidRequestError(f"No active meter was found for event_name '{event_name}'.", param="event_name")
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    customer_id = payload.get(customer_key)
    if not customer_id:
        raise InvalidRequestError(f"Missing required param: payload[{customer_key}].",
                                  param=f"payload[{customer_key}]", code="parameter_missing")
    customer = ctx.store.get(ctx.account_id, customer_id, "customer")
    if customer is None or customer.get("deleted"):
        raise ResourceMissingError("customer", customer_id, param=f"payload[{customer_key}]")
    raw_value = payload.get(value_key)
    if raw_value is None:
        if meter["default_aggregation"]["formula"] != "count":
            raise InvalidRequestError(f"Missing required param: payload[{value_key}].",
                                      param=f"payload[{value_key}]", code="parameter_missing")
        raw_value = "1"
    try:
        value = int(str(raw_value))
    except ValueError:
        raise InvalidRequestError(f"Invalid payload[{value_key}]: must be a whole number.",
                                  param=f"payload[{value_key}]", code="parameter_invalid_integer") from None
    now = ctx.time_for(customer.get("test_clock"))
    timestamp = params.get("timestamp", now)
    if timestamp < now - MAX_EVENT_AGE:
        raise InvalidRequestError("The event timestamp cannot be more than 35 days in past. Expected a timestamp "
                                  f"greater than or equal to {now - MAX_EVENT_AGE}.", param="timestamp")
    if timestamp > now + MAX_EVENT_LEAD:
        raise InvalidRequestError("The event timestamp cannot be more than 5 minutes in the future. Expected a "
                                  f"timestamp less than or equal to {now + MAX_EVENT_LEAD}.", param="timestamp")
    identifier = params.get("identifier") or ids.new_id("mevt")
    exists = ctx.store.execute("SELECT 1 FROM meter_events WHERE account = ? AND identifier = ?",
                               (ctx.account_id, identifier)).fetchone()
    if exists:
        raise InvalidRequestError(f"A meter event with identifier '{identifier}' already exists.",
                                  param="identifier", code="resource_already_exists")
    event = {"object": "billing.meter_event", "created": now, "event_name": event_name,
             "identifier": identifier, "livemode": False, "payload": dict(payload), "timestamp": timestamp}
    ctx.store.execute(
        "INSERT INTO meter_events (account, meter, event_name, customer, identifier, timestamp, value, created, "
        "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.account_id, meter["id"], event_name, customer_id, identifier, timestamp, value, now,
         orjson.dumps(event["payload"])))
    return event


def adjust(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing/meter_event_adjustments` with type=cancel: the event with `cancel[identifier]` no
    longer counts. Stripe answers `status: pending` (it applies adjustments asynchronously)."""
    if params.get("type") != "cancel":
        raise InvalidRequestError("Missing required param: type.", param="type", code="parameter_missing")
    identifier = (params.get("cancel") or {}).get("identifier")
    if not identifier:
        raise InvalidRequestError("Missing required param: cancel[identifier].", param="cancel[identifier]",
                                  code="parameter_missing")
    row = ctx.store.execute("SELECT seq FROM meter_events WHERE account = ? AND identifier = ? AND event_name = ?",
                            (ctx.account_id, identifier, params.get("event_name"))).fetchone()
    if row is None:
        raise InvalidRequestError(f"No meter event with identifier '{identifier}' was found for event_name "
                                  f"'{params.get('event_name')}'.", param="cancel[identifier]",
                                  code="resource_missing")
    ctx.store.execute("UPDATE meter_events SET canceled = 1 WHERE seq = ?", (row[0],))
    return {"object": "billing.meter_event_adjustment", "cancel": {"identifier": identifier},
            "event_name": params["event_name"], "livemode": False, "status": "pending", "type": "cancel"}


def usage_values(ctx: Ctx, meter_id: str, customer_id: str, start: int, end: int) -> list[int]:
    """The values of the customer's live events on the meter with start <= timestamp < end, in time order."""
    rows = ctx.store.execute(
        "SELECT value FROM meter_events WHERE account = ? AND meter = ? AND customer = ? AND timestamp >= ? "
        "AND timestamp < ? AND canceled = 0 ORDER BY timestamp, seq", (ctx.account_id, meter_id, customer_id,
                                                                       start, end)).fetchall()
    return [row[0] for row in rows]


def usage_for(ctx: Ctx, meter_id: str, customer_id: str, start: int, end: int) -> int:
    """The meter's aggregate (sum / count / last) of the customer's events in [start, end)."""
    meter = ctx.store.get(ctx.account_id, meter_id, OBJECT)
    if meter is None:
        return 0
    return usage.aggregate(meter["default_aggregation"]["formula"],
                           usage_values(ctx, meter_id, customer_id, start, end))


def event_summaries(ctx: Ctx, meter_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/billing/meters/{id}/event_summaries`: the customer's aggregate over [start_time, end_time),
    or one summary per `value_grouping_window` (hour / day, UTC) that has events, newest first."""
    meter = require(ctx, meter_id)
    customer_id = params.get("customer")
    for key in ("customer", "start_time", "end_time"):
        if params.get(key) is None:
            raise InvalidRequestError(f"Missing required param: {key}.", param=key, code="parameter_missing")
    start, end = params["start_time"], params["end_time"]
    if start % 60 or end % 60:
        raise InvalidRequestError("start_time and end_time must be aligned to minute boundaries.",
                                  param="start_time" if start % 60 else "end_time")
    if end <= start:
        raise InvalidRequestError("end_time must be after start_time.", param="end_time")
    window = params.get("value_grouping_window")
    if window:
        size = usage.WINDOWS[window]
        if start % size or end % size:
            raise InvalidRequestError(f"start_time and end_time must be aligned to {window} boundaries when "
                                      f"value_grouping_window is {window}.", param="start_time")
        rows = ctx.store.execute(
            "SELECT timestamp, value FROM meter_events WHERE account = ? AND meter = ? AND customer = ? AND "
            "timestamp >= ? AND timestamp < ? AND canceled = 0 ORDER BY timestamp, seq",
            (ctx.account_id, meter_id, customer_id, start, end)).fetchall()
        windows = usage.group(meter["default_aggregation"]["formula"], [(r[0], r[1]) for r in rows], size)
    else:
        windows = [(start, end, usage_for(ctx, meter_id, customer_id, start, end))]
    summaries = [_summary(meter_id, customer_id, w_start, min(w_end, end), value)
                 for w_start, w_end, value in sorted(windows, reverse=True)]
    return _page(summaries, params, f"/v1/billing/meters/{meter_id}/event_summaries")


def _summary(meter_id: str, customer_id: str, start: int, end: int, value: int) -> dict[str, Any]:
    digest = hashlib.sha256(f"{meter_id}:{customer_id}:{start}:{end}".encode()).hexdigest()[:24]
    return {"id": f"mtrusg_test_{digest}", "object": "billing.meter_event_summary", "aggregated_value": value,
            "end_time": end, "livemode": False, "meter": meter_id, "start_time": start}


def _page(rows: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequestError("Invalid limit: must be an integer between 1 and 100", param="limit")
    position = {row["id"]: index for index, row in enumerate(rows)}
    for param in ("starting_after", "ending_before"):
        if params.get(param) and params[param] not in position:
            raise ResourceMissingError("billing meter event summary", params[param], param=param)
    if params.get("starting_after"):
        rows = rows[position[params["starting_after"]] + 1:]
    elif params.get("ending_before"):
        rows = rows[:position[params["ending_before"]]]
        has_more = len(rows) > limit
        return {"object": "list", "data": rows[-limit:], "has_more": has_more, "url": url}
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": url}
