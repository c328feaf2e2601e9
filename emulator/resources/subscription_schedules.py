"""Subscription schedules (`/v1/subscription_schedules`): phases that change a subscription at set times.

A schedule starts now or later (not_started), creates or adopts (`from_subscription`) a subscription, and at
each phase's end the lifecycle engine rewrites the subscription to the next phase (items, quantities,
metadata) with that phase's proration behaviour, before the renewal at the same moment bills it. After the
last phase `end_behavior=release` leaves the subscription running on its own (schedule `released`) and
`cancel` cancels it (schedule `completed`).
"""

from __future__ import annotations

from typing import Any

from emulator import events, ids, timers
from emulator.billing import periods
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, prices, subscriptions

OBJECT = "subscription_schedule"
MAX_PHASES = 10
CREATE_PARAMS = ("customer", "end_behavior", "from_subscription", "metadata", "phases.items", "phases.end_date",
                 "phases.duration", "phases.proration_behavior", "phases.metadata", "phases.trial_end",
                 "phases.default_payment_method", "phases.collection_method", "phases.description",
                 "phases.billing_cycle_anchor", "phases.discounts", "phases.currency", "start_date",
                 "default_settings.collection_method", "default_settings.default_payment_method",
                 "default_settings.description")
UPDATE_PARAMS = ("end_behavior", "metadata", "phases.items", "phases.end_date", "phases.duration",
                 "phases.start_date", "phases.proration_behavior", "phases.metadata", "phases.trial_end",
                 "phases.default_payment_method", "phases.collection_method", "phases.description",
                 "phases.billing_cycle_anchor", "phases.discounts", "phases.currency", "proration_behavior",
                 "default_settings.collection_method", "default_settings.default_payment_method",
                 "default_settings.description")
LIVE = ("not_started", "active")


def require(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, schedule_id, kind="subscription_schedule")


def _phase(ctx: Ctx, spec: dict[str, Any], start: int, index: int, *, param: str = "phases") -> dict[str, Any]:
    name = f"{param}[{index}]"
    if not spec.get("items"):
        raise InvalidRequestError(f"Missing required param: {name}[items].", param=f"{name}[items]",
                                  code="parameter_missing")
    items = []
    currency = None
    for item_index, item in enumerate(spec["items"]):
        price_id = item.get("price") or item.get("plan")
        if not price_id:
            raise InvalidRequestError(f"Missing required param: {name}[items][{item_index}][price].",
                                      param=f"{name}[items][{item_index}][price]", code="parameter_missing")
        price = prices.require(ctx, price_id, param=f"{name}[items][{item_index}][price]")
        if price["recurring"] is None:
            raise InvalidRequestError("Phase items must use recurring prices.",
                                      param=f"{name}[items][{item_index}][price]")
        currency = currency or price["currency"]
        items.append({"billing_thresholds": None, "discounts": [], "metadata": dict(item.get("metadata") or {}),
                      "plan": price["id"], "price": price["id"], "quantity": item.get("quantity", 1),
                      "tax_rates": []})
    if spec.get("end_date") is not None:
        end = spec["end_date"]
        if end == "now":
            end = ctx.now()
    elif spec.get("duration"):
        duration = spec["duration"]
        end = periods.boundary(start, duration["interval"], duration.get("interval_count", 1), 1)
    else:
        end = None
    if end is not None and end <= start:
        raise InvalidRequestError(f"The end_date of phase {index} must be after its start_date.",
                                  param=f"{name}[end_date]")
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": spec.get("billing_cycle_anchor"),
        "billing_thresholds": None,
        "collection_method": spec.get("collection_method"),
        "currency": currency,
        "default_payment_method": spec.get("default_payment_method"),
        "default_tax_rates": [],
        "description": spec.get("description"),
        "discounts": [],
        "end_date": end,
        "invoice_settings": None,
        "items": items,
        "metadata": dict(spec.get("metadata") or {}),
        "on_behalf_of": None,
        "proration_behavior": spec.get("proration_behavior", "create_prorations"),
        "start_date": start,
        "transfer_data": None,
        "trial_end": spec.get("trial_end") if spec.get("trial_end") != "now" else start,
    }


def _phases(ctx: Ctx, specs: list[dict[str, Any]], start: int, end_behavior: str) -> list[dict[str, Any]]:
    if not specs:
        raise InvalidRequestError("Missing required param: phases.", param="phases", code="parameter_missing")
    if len(specs) > MAX_PHASES:
        raise InvalidRequestError(f"A schedule may have at most {MAX_PHASES} current and future phases.",
                                  param="phases")
    result = []
    cursor = start
    for index, spec in enumerate(specs):
        if spec.get("start_date") is not None and index > 0 and spec["start_date"] != cursor:
            raise InvalidRequestError("Phases must be contiguous: each phase starts when the previous one ends.",
                                      param=f"phases[{index}][start_date]")
        phase = _phase(ctx, spec, spec.get("start_date") or cursor if index == 0 else cursor, index)
        if phase["end_date"] is None:
            if index != len(specs) - 1:
                raise InvalidRequestError(f"Phase {index} needs an end_date or a duration.",
                                          param=f"phases[{index}][end_date]")
            first_price = prices.require(ctx, phase["items"][0]["price"])
            recurring = first_price["recurring"]
            phase["end_date"] = periods.boundary(phase["start_date"], recurring["interval"],
                                                 recurring["interval_count"], 1)
        result.append(phase)
        cursor = phase["end_date"]
    return result


def _base(ctx: Ctx, customer: dict[str, Any], params: dict[str, Any], now: int) -> dict[str, Any]:
    defaults = params.get("default_settings") or {}
    return {
        "id": ids.new_id("sub_sched"),
        "object": OBJECT,
        "application": None,
        "billing_mode": {"flexible": {"proration_discounts": "included"}, "type": "flexible", "updated_at": now},
        "canceled_at": None,
        "completed_at": None,
        "created": now,
        "current_phase": None,
        "customer": customer["id"],
        "customer_account": None,
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": "automatic", "billing_thresholds": None,
            "collection_method": defaults.get("collection_method"),
            "default_payment_method": defaults.get("default_payment_method"),
            "description": defaults.get("description"), "invoice_settings": {
                "account_tax_ids": None, "custom_fields": None, "days_until_due": None, "description": None,
                "footer": None, "issuer": {"type": "self"}},
            "on_behalf_of": None, "transfer_data": None},
        "end_behavior": params.get("end_behavior", "release"),
        "livemode": False,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "pause_schedules": [],
        "phases": [],
        "released_at": None,
        "released_subscription": None,
        "status": "not_started",
        "subscription": None,
        "test_clock": customer.get("test_clock"),
    }


def mark_origin(ctx: Ctx, schedule_id: str, origin: str) -> None:
    """Remember which surface created a schedule ("api" or "portal"); not part of the Stripe object."""
    ctx.store.execute("INSERT OR REPLACE INTO internal_marks (account, object_id, name, value) VALUES (?, ?, "
                      "'origin', ?)", (ctx.account_id, schedule_id, origin))


def origin_of(ctx: Ctx, schedule_id: str) -> str | None:
    """"portal" for schedules the customer portal created (the portal may replace those; schedules made
    through the API lock the subscription in the portal, as in Stripe)."""
    row = ctx.store.execute("SELECT value FROM internal_marks WHERE account = ? AND object_id = ? AND name = "
                            "'origin'", (ctx.account_id, schedule_id)).fetchone()
    return row[0] if row else None


def create(ctx: Ctx, params: dict[str, Any], *, origin: str = "api") -> dict[str, Any]:
    """`POST /v1/subscription_schedules`: `from_subscription` (alone), or `customer` + `phases`
    (+ `start_date`, `end_behavior`). `origin` records which surface created it."""
    result = _create(ctx, params)
    mark_origin(ctx, result["id"], origin)
    return result


def _create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("from_subscription"):
        others = set(params) - {"from_subscription", "metadata"}
        if others:
            raise InvalidRequestError("You cannot set other parameters when using from_subscription.",
                                      param=sorted(others)[0])
        return _from_subscription(ctx, params)
    if not params.get("customer"):
        raise InvalidRequestError("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = common.require(ctx, "customer", params["customer"], param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    now = ctx.now()
    start = params.get("start_date", now)
    if start == "now":
        start = now
    schedule = _base(ctx, customer, params, now)
    schedule["phases"] = _phases(ctx, params.get("phases") or [], start, schedule["end_behavior"])
    common.create(ctx, schedule, customer=customer["id"])
    if start <= now:
        return _start(ctx, schedule["id"])
    timers.schedule(ctx, "schedule.start", schedule["id"], start, test_clock=schedule["test_clock"])
    return schedule


def _from_subscription(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    subscription = subscriptions.require(ctx, params["from_subscription"], param="from_subscription")
    ctx = ctx.on_clock(subscription["test_clock"])
    if subscription.get("schedule"):
        raise InvalidRequestError(f"You cannot migrate a subscription that is already attached to a schedule: "
                                  f"`{subscription['schedule']}`.", param="from_subscription")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequestError("Canceled subscriptions cannot be managed by a schedule.",
                                  param="from_subscription")
    customer = common.require(ctx, "customer", subscription["customer"])
    now = ctx.now()
    schedule = _base(ctx, customer, params, now)
    start, end = subscriptions.current_period(subscription)
    schedule["phases"] = [{
        **_phase(ctx, {"items": [{"price": item["price"]["id"], "quantity": item["quantity"]}
                                 for item in subscription["items"]["data"]], "end_date": end}, start, 0),
        "metadata": {}}]
    schedule.update({"status": "active", "subscription": subscription["id"],
                     "current_phase": {"end_date": end, "start_date": start}})
    common.create(ctx, schedule, customer=customer["id"], owner=subscription["id"])
    _attach(ctx, subscription["id"], schedule["id"])
    _plan_next(ctx, schedule)
    return schedule


def _attach(ctx: Ctx, subscription_id: str, schedule_id: str | None) -> None:
    before = subscriptions.require(ctx, subscription_id)
    if before.get("schedule") != schedule_id:
        subscriptions.save(ctx, before, {**subscriptions._copy(before), "schedule": schedule_id})


def _start(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    """The first phase begins: the schedule creates its subscription."""
    before = require(ctx, schedule_id)
    phase = before["phases"][0]
    created = subscriptions.create(ctx, {
        "customer": before["customer"],
        "items": [{"price": item["price"], "quantity": item["quantity"], "metadata": item["metadata"]}
                  for item in phase["items"]],
        "metadata": phase["metadata"],
        **({"default_payment_method": phase["default_payment_method"]} if phase.get("default_payment_method") else {}),
        **({"collection_method": phase["collection_method"]} if phase.get("collection_method") else {}),
        **({"trial_end": phase["trial_end"]} if phase.get("trial_end") and phase["trial_end"] > ctx.now() else {}),
    })
    schedule = {**before, "status": "active", "subscription": created["id"],
                "current_phase": {"end_date": phase["end_date"], "start_date": phase["start_date"]}}
    ctx.store.update(ctx.account_id, schedule, owner=created["id"])
    events.emit(ctx, "subscription_schedule.updated", schedule,
                previous_attributes=events.previous_attributes(before, schedule))
    _attach(ctx, created["id"], schedule_id)
    _plan_next(ctx, schedule)
    return require(ctx, schedule_id)


def _plan_next(ctx: Ctx, schedule: dict[str, Any]) -> None:
    timers.cancel_kinds(ctx, ("schedule.phase",), schedule["id"])
    current = schedule.get("current_phase")
    if schedule["status"] == "active" and current:
        timers.schedule(ctx, "schedule.phase", schedule["id"], current["end_date"],
                        test_clock=schedule["test_clock"], replace=False)
        last = schedule["phases"][-1]
        if schedule["end_behavior"] == "cancel" and current["start_date"] == last["start_date"]:
            # Entering the final phase of a cancel-at-end schedule sets the subscription's cancel_at.
            before = subscriptions.require(ctx, schedule["subscription"])
            if before.get("cancel_at") != last["end_date"]:
                subscriptions.save(ctx, before, {**subscriptions._copy(before), "cancel_at": last["end_date"],
                                                 "canceled_at": ctx.now()})


def advance_phase(ctx: Ctx, schedule_id: str) -> None:
    """At the current phase's end: move the subscription to the next phase, or end the schedule."""
    schedule = ctx.store.get(ctx.account_id, schedule_id, OBJECT)
    if schedule is None or schedule["status"] != "active":
        return
    now = ctx.now()
    current = schedule["current_phase"]
    if current is None or now < current["end_date"]:
        return
    timers.cancel_kinds(ctx, ("schedule.phase",), schedule_id)
    following = [phase for phase in schedule["phases"] if phase["start_date"] >= current["end_date"]]
    if following:
        phase = following[0]
        _apply_phase(ctx, schedule, phase)
        updated = {**schedule, "current_phase": {"end_date": phase["end_date"], "start_date": phase["start_date"]}}
        common.save(ctx, schedule, updated, event="subscription_schedule.updated")
        _plan_next(ctx, updated)
        return
    if schedule["end_behavior"] == "cancel":
        subscription = ctx.store.get(ctx.account_id, schedule["subscription"], "subscription")
        if subscription and subscription["status"] not in ("canceled", "incomplete_expired"):
            subscriptions.cancel(ctx, subscription["id"], {})
        done = {**schedule, "status": "completed", "completed_at": now, "current_phase": None}
        common.save(ctx, schedule, done, event="subscription_schedule.completed")
        return
    _release(ctx, schedule, preserve_cancel_date=True, at=now)


def _apply_phase(ctx: Ctx, schedule: dict[str, Any], phase: dict[str, Any]) -> None:
    subscription = subscriptions.require(ctx, schedule["subscription"])
    current = {item["price"]["id"]: item for item in subscription["items"]["data"]}
    wanted = {item["price"]: item for item in phase["items"]}
    specs: list[dict[str, Any]] = []
    for price_id, item in current.items():
        if price_id in wanted:
            if wanted[price_id]["quantity"] != item["quantity"]:
                specs.append({"id": item["id"], "quantity": wanted[price_id]["quantity"]})
        else:
            specs.append({"id": item["id"], "deleted": True})
    for price_id, item in wanted.items():
        if price_id not in current:
            specs.append({"price": price_id, "quantity": item["quantity"], "metadata": item["metadata"]})
    update: dict[str, Any] = {"proration_behavior": phase["proration_behavior"]}
    if specs:
        # Deletions last so the subscription never has zero items in between.
        update["items"] = sorted(specs, key=lambda spec: bool(spec.get("deleted")))
    if phase["metadata"]:
        update["metadata"] = phase["metadata"]
    if phase.get("default_payment_method"):
        update["default_payment_method"] = phase["default_payment_method"]
    if phase.get("billing_cycle_anchor") == "phase_start":
        update["billing_cycle_anchor"] = {"type": "now"}
    if len(update) > 1:
        subscriptions.update(ctx, subscription["id"], update)


def due_before_renewal(ctx: Ctx, subscription: dict[str, Any]) -> None:
    """A phase that ends exactly when the subscription renews changes it first, so the renewal bills the new
    phase's prices."""
    schedule_id = subscription.get("schedule")
    if schedule_id:
        advance_phase(ctx, schedule_id)


def _release(ctx: Ctx, schedule: dict[str, Any], *, preserve_cancel_date: bool, at: int) -> dict[str, Any]:
    subscription_id = schedule["subscription"]
    timers.cancel(ctx, None, schedule["id"])
    released = {**schedule, "status": "released", "released_at": at, "released_subscription": subscription_id,
                "subscription": None, "current_phase": None}
    common.save(ctx, schedule, released, event="subscription_schedule.released")
    if subscription_id:
        before = subscriptions.require(ctx, subscription_id)
        after = {**subscriptions._copy(before), "schedule": None}
        if not preserve_cancel_date and schedule["end_behavior"] == "cancel":
            after.update({"cancel_at": None, "canceled_at": None})
        subscriptions.save(ctx, before, after)
        subscriptions._schedule_period_end(ctx, after)
    return released


def release(ctx: Ctx, schedule_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../release`: the subscription continues without the schedule."""
    schedule = require(ctx, schedule_id)
    ctx = ctx.on_clock(schedule["test_clock"])
    if schedule["status"] not in LIVE:
        raise InvalidRequestError(
            f"You cannot release a subscription schedule that is currently {schedule['status']}.")
    return _release(ctx, schedule, preserve_cancel_date=params.get("preserve_cancel_date", True), at=ctx.now())


def cancel(ctx: Ctx, schedule_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../cancel`: the schedule and its subscription are canceled now."""
    schedule = require(ctx, schedule_id)
    ctx = ctx.on_clock(schedule["test_clock"])
    if schedule["status"] not in LIVE:
        raise InvalidRequestError(f"You cannot cancel a subscription schedule that is currently {schedule['status']}.")
    timers.cancel(ctx, None, schedule_id)
    if schedule["subscription"]:
        subscription = subscriptions.require(ctx, schedule["subscription"])
        if subscription["status"] not in ("canceled", "incomplete_expired"):
            subscriptions.cancel(ctx, subscription["id"], {k: params[k] for k in ("invoice_now", "prorate")
                                                           if k in params})
    canceled = {**schedule, "status": "canceled", "canceled_at": ctx.now(), "current_phase": None}
    return common.save(ctx, schedule, canceled, event="subscription_schedule.canceled")


def update(ctx: Ctx, schedule_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscription_schedules/{id}`: phases (all current and future ones), end_behavior, metadata.
    Past phases cannot be edited; a change to the current phase applies now with `proration_behavior`."""
    before = require(ctx, schedule_id)
    ctx = ctx.on_clock(before["test_clock"])
    if before["status"] not in LIVE:
        raise InvalidRequestError(f"You cannot update a subscription schedule that is currently {before['status']}.")
    schedule = dict(before)
    now = ctx.now()
    if "metadata" in params:
        schedule["metadata"] = common.apply_metadata(schedule["metadata"], params["metadata"])
    if "end_behavior" in params:
        schedule["end_behavior"] = params["end_behavior"]
    if params.get("phases"):
        past = [phase for phase in before["phases"] if phase["end_date"] <= now]
        specs = params["phases"]
        first_start = specs[0].get("start_date")
        current = before.get("current_phase")
        if current is not None and first_start is not None and first_start != current["start_date"]:
            raise InvalidRequestError("You can not modify the start date of the current phase.",
                                      param="phases[0][start_date]")
        start = current["start_date"] if current else (first_start or before["phases"][0]["start_date"])
        if first_start is not None and current is None and first_start < now and before["status"] == "not_started":
            raise InvalidRequestError("The start date of a not started schedule must be in the future.",
                                      param="phases[0][start_date]")
        new_phases = _phases(ctx, specs, start, schedule["end_behavior"])
        schedule["phases"] = past + new_phases
        if before["status"] == "active" and current is not None:
            schedule["current_phase"] = {"end_date": new_phases[0]["end_date"], "start_date": new_phases[0]["start_date"]}
            phase = {**new_phases[0], "proration_behavior": params.get("proration_behavior",
                                                                       new_phases[0]["proration_behavior"])}
            if [(i["price"], i["quantity"]) for i in phase["items"]] != \
                    [(i["price"], i["quantity"]) for i in before["phases"][len(past)]["items"]] \
                    if len(before["phases"]) > len(past) else True:
                _apply_phase(ctx, before, phase)
        elif before["status"] == "not_started":
            timers.schedule(ctx, "schedule.start", schedule_id, new_phases[0]["start_date"],
                            test_clock=before["test_clock"])
    result = common.save(ctx, before, schedule)
    if result["status"] == "active":
        _plan_next(ctx, result)
    return result


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/subscription_schedules` (customer, scheduled filters)."""
    def keep(schedule: dict[str, Any]) -> bool:
        if "scheduled" in params and (schedule["status"] == "not_started") != params["scheduled"]:
            return False
        return True

    return common.list_objects(ctx, OBJECT, params, "/v1/subscription_schedules", columns={"customer": "customer"},
                               post_filter=keep)


def start_due(ctx: Ctx, schedule_id: str) -> None:
    schedule = ctx.store.get(ctx.account_id, schedule_id, OBJECT)
    if schedule is not None and schedule["status"] == "not_started":
        _start(ctx, schedule_id)


subscriptions.BEFORE_RENEW_HOOKS.append(due_before_renewal)
