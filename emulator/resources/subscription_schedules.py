"""Subscription schedules (`/v1/subscription_schedules`): phases that change a subscription at set times.

A schedule starts now or later (not_started), creates or adopts (`from_subscription`) a subscription, and at
each phase's end the lifecycle engine rewrites the subscription to the next phase (items, quantities,
metadata, discounts, default tax rates, collection settings, trial) with that phase's proration behaviour,
before the renewal at the same moment bills it; the phase's `add_invoice_items` wait for that invoice.
After the last phase `end_behavior=release` leaves the subscription running on its own (schedule
`released`) and `cancel` cancels it (schedule `completed`). Direct edits of the managed subscription split
the current phase (as Stripe documents); canceling the subscription cancels the schedule.
"""

from __future__ import annotations

from typing import Any

import orjson

from emulator import events, ids, timers
from emulator.billing import periods
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, coupons, metered_usage, plans, prices, promotion_codes, subscriptions

OBJECT = "subscription_schedule"
MAX_PHASES = 10
MAX_ADD_INVOICE_ITEMS = 20
_PHASE_PARAMS = ("items.price", "items.plan", "items.quantity", "items.metadata", "end_date", "duration",
                 "proration_behavior", "metadata", "trial", "trial_end",
                 "default_payment_method", "collection_method", "description", "billing_cycle_anchor", "discounts",
                 "currency", "default_tax_rates", "invoice_settings.days_until_due", "add_invoice_items.price",
                 "add_invoice_items.price_data", "add_invoice_items.quantity", "add_invoice_items.metadata")
_DEFAULT_SETTINGS = ("default_settings.billing_cycle_anchor", "default_settings.collection_method",
                     "default_settings.default_payment_method", "default_settings.description",
                     "default_settings.invoice_settings.days_until_due")
CREATE_PARAMS = ("billing_mode", "customer", "end_behavior", "from_subscription", "metadata", "start_date",
                 *(f"phases.{name}" for name in _PHASE_PARAMS), *_DEFAULT_SETTINGS)
UPDATE_PARAMS = ("end_behavior", "metadata", "proration_behavior", "phases.start_date",
                 *(f"phases.{name}" for name in _PHASE_PARAMS), *_DEFAULT_SETTINGS)
LIVE = ("not_started", "active")
EXPIRING_NOTICE = 7 * 86400
# Subscription parameters whose direct edit Stripe records in the schedule by splitting the current phase.
PHASE_FIELDS = ("items", "discounts", "trial_end", "default_tax_rates")


def quantity_of(item: dict[str, Any]) -> dict[str, Any]:
    """The `quantity` of a subscription or phase item as a parameter (none for metered prices)."""
    return {"quantity": item["quantity"]} if item.get("quantity") is not None else {}


def require(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, schedule_id, kind="subscription_schedule")


def _discount_specs(ctx: Ctx, specs: Any, name: str, start: int) -> list[dict[str, Any]]:
    """A phase's `discounts[]`: the coupons / promotion codes (checked now, redeemed when the phase starts; a
    phase starting later refuses codes with an amount restriction, as Stripe does)."""
    if not specs:
        return []
    result = []
    for index, spec in enumerate(specs):
        param = f"{name}[discounts][{index}]"
        if spec.get("coupon"):
            coupons.require(ctx, spec["coupon"], param=f"{param}[coupon]")
        elif spec.get("promotion_code"):
            promo = promotion_codes.require(ctx, spec["promotion_code"], param=f"{param}[promotion_code]")
            if start > ctx.now():
                promotion_codes.refuse_amount_restriction(promo, param=f"{param}[promotion_code]")
        elif spec.get("discount"):
            common.require(ctx, "discount", spec["discount"], kind="discount", param=f"{param}[discount]")
        else:
            raise InvalidRequestError("Each discount needs a coupon, promotion_code or discount.", param=param)
        result.append({"coupon": spec.get("coupon"), "discount": spec.get("discount"),
                       "promotion_code": spec.get("promotion_code")})
    return result


def _add_invoice_items(ctx: Ctx, specs: Any, name: str) -> list[dict[str, Any]]:
    """A phase's one-off items (prices made from `price_data` are created now, inactive, as Stripe does)."""
    specs = specs or []
    if len(specs) > MAX_ADD_INVOICE_ITEMS:
        raise InvalidRequestError(f"A phase may have at most {MAX_ADD_INVOICE_ITEMS} add_invoice_items.",
                                  param=f"{name}[add_invoice_items]")
    result = []
    for index, spec in enumerate(specs):
        param = f"{name}[add_invoice_items][{index}]"
        price = subscriptions.one_off_price(ctx, spec, param)
        quantity = spec.get("quantity", 1)
        if quantity < 0:
            raise InvalidRequestError("Invalid integer: quantity must be at least 0.", param=f"{param}[quantity]")
        result.append({"discountable": True, "discounts": [], "metadata": dict(spec.get("metadata") or {}),
                       "period": {"end": {"type": "min_item_period_end"},
                                  "start": {"type": "max_item_period_start"}},
                       "price": price["id"], "quantity": quantity, "tax_rates": []})
    return result


def _phase(ctx: Ctx, spec: dict[str, Any], start: int, index: int, *, param: str = "phases") -> dict[str, Any]:
    from emulator.resources import tax_rates

    name = f"{param}[{index}]"
    if not spec.get("items"):
        raise InvalidRequestError(f"Missing required param: {name}[items].", param=f"{name}[items]",
                                  code="parameter_missing")
    if spec.get("end_date") is not None and spec.get("duration"):
        raise InvalidRequestError("You may only specify one of these parameters: duration, end_date.",
                                  param=f"{name}[duration]", code="parameters_exclusive")
    if spec.get("trial") and spec.get("trial_end") is not None:
        raise InvalidRequestError("You may only specify one of these parameters: trial, trial_end.",
                                  param=f"{name}[trial_end]", code="parameters_exclusive")
    if spec.get("billing_cycle_anchor") == "phase_start" and (spec.get("trial") or spec.get("trial_end")):
        raise InvalidRequestError("billing_cycle_anchor cannot be phase_start when the phase has a trial.",
                                  param=f"{name}[billing_cycle_anchor]")
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
        phase_item = {"billing_thresholds": None, "discounts": [], "metadata": dict(item.get("metadata") or {}),
                      "plan": price["id"], "price": price["id"], "quantity": item.get("quantity", 1),
                      "tax_rates": []}
        if metered_usage.is_metered(price):
            # Like subscription items, phase items on metered prices bill usage and carry no quantity.
            if item.get("quantity") is not None:
                raise InvalidRequestError("Quantity should not be specified where usage_type is `metered`. "
                                          "Remove quantity from the item.",
                                          param=f"{name}[items][{item_index}][quantity]")
            del phase_item["quantity"]
        items.append(phase_item)
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
    trial_end = spec.get("trial_end")
    if trial_end == "now":
        trial_end = start
    if trial_end is not None and (trial_end < start or (end is not None and trial_end > end)):
        raise InvalidRequestError(f"The trial_end of phase {index} must be within the phase.",
                                  param=f"{name}[trial_end]")
    days_until_due = (spec.get("invoice_settings") or {}).get("days_until_due")
    phase = {
        "add_invoice_items": _add_invoice_items(ctx, spec.get("add_invoice_items"), name),
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": spec.get("billing_cycle_anchor"),
        "billing_thresholds": None,
        "collection_method": spec.get("collection_method"),
        "currency": currency,
        "default_payment_method": spec.get("default_payment_method"),
        "default_tax_rates": tax_rates.resolve(ctx, spec.get("default_tax_rates"), f"{name}[default_tax_rates]"),
        "description": spec.get("description"),
        "discounts": _discount_specs(ctx, spec.get("discounts"), name, start),
        "end_date": end,
        "invoice_settings": None if days_until_due is None else {
            "account_tax_ids": None, "custom_fields": None, "days_until_due": days_until_due, "description": None,
            "footer": None, "issuer": None},
        "items": items,
        "metadata": dict(spec.get("metadata") or {}),
        "on_behalf_of": None,
        "proration_behavior": spec.get("proration_behavior", "create_prorations"),
        "start_date": start,
        "transfer_data": None,
        "trial_end": trial_end,
    }
    if "trial" in spec:
        phase["trial"] = bool(spec["trial"])
    return phase


def _phases(ctx: Ctx, specs: list[dict[str, Any]], start: int, end_behavior: str, offset: int = 0
            ) -> list[dict[str, Any]]:
    """Phase objects for the current and future phases (`offset`: how many resent past phases precede them
    in the request, for the error `param`)."""
    if not specs:
        raise InvalidRequestError("Missing required param: phases.", param="phases", code="parameter_missing")
    if len(specs) > MAX_PHASES:
        raise InvalidRequestError(f"A schedule may have at most {MAX_PHASES} current and future phases.",
                                  param="phases")
    result = []
    cursor = start
    for position, spec in enumerate(specs):
        index = position + offset
        if spec.get("start_date") is not None and position > 0 and spec["start_date"] != cursor:
            problem = "overlaps the previous phase" if spec["start_date"] < cursor else \
                "leaves a gap after the previous phase"
            raise InvalidRequestError(f"Phase {index} {problem}: phases must be contiguous, each starting when "
                                      "the previous one ends.", param=f"phases[{index}][start_date]")
        phase = _phase(ctx, spec, spec.get("start_date") or cursor if position == 0 else cursor, index)
        if phase["end_date"] is None:
            if position != len(specs) - 1:
                raise InvalidRequestError(f"Phase {index} needs an end_date or a duration.",
                                          param=f"phases[{index}][end_date]")
            first_price = prices.require(ctx, phase["items"][0]["price"])
            recurring = first_price["recurring"]
            phase["end_date"] = periods.boundary(phase["start_date"], recurring["interval"],
                                                 recurring["interval_count"], 1)
            if phase["trial_end"] is not None and phase["trial_end"] > phase["end_date"]:
                raise InvalidRequestError(f"The trial_end of phase {index} must be within the phase.",
                                          param=f"phases[{index}][trial_end]")
        result.append(phase)
        cursor = phase["end_date"]
    return result


def _base(ctx: Ctx, customer: dict[str, Any], params: dict[str, Any], now: int,
          billing_mode: dict[str, Any] | None = None) -> dict[str, Any]:
    defaults = params.get("default_settings") or {}
    if billing_mode is None:
        billing_mode = _billing_mode(params.get("billing_mode"), now)
    return {
        "id": ids.new_id("sub_sched"),
        "object": OBJECT,
        "application": None,
        "billing_mode": billing_mode,
        "canceled_at": None,
        "completed_at": None,
        "created": now,
        "current_phase": None,
        "customer": customer["id"],
        "customer_account": None,
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": defaults.get("billing_cycle_anchor", "automatic"), "billing_thresholds": None,
            "collection_method": defaults.get("collection_method"),
            "default_payment_method": defaults.get("default_payment_method"),
            "description": defaults.get("description"), "invoice_settings": {
                "account_tax_ids": None, "custom_fields": None,
                "days_until_due": (defaults.get("invoice_settings") or {}).get("days_until_due"), "description": None,
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


def _billing_mode(value: Any, now: int) -> dict[str, Any]:
    """`billing_mode` (flexible by default, as for subscriptions); the subscription the schedule creates gets
    the same mode."""
    mode = (value or {}).get("type", "flexible")
    proration_discounts = ((value or {}).get("flexible") or {}).get("proration_discounts")
    if proration_discounts and mode != "flexible":
        raise InvalidRequestError("billing_mode[flexible] can only be set with billing_mode[type]=flexible.",
                                  param="billing_mode[flexible]")
    return {"flexible": {"proration_discounts": proration_discounts or "included"} if mode == "flexible" else None,
            "type": mode, "updated_at": now}


def mark_origin(ctx: Ctx, schedule_id: str, origin: str) -> None:
    """Remember which surface created a schedule ("api" or "portal"); not part of the Stripe object."""
    common.set_mark(ctx, schedule_id, "origin", origin)


def origin_of(ctx: Ctx, schedule_id: str) -> str | None:
    """"portal" for schedules the customer portal created (the portal may replace those; schedules made
    through the API lock the subscription in the portal, as in Stripe)."""
    return common.mark_of(ctx, schedule_id, "origin")


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
    if start <= now:
        # Starting at once: one `created` event showing the schedule active with its subscription.
        common.create(ctx, schedule, customer=customer["id"], event="")
        started = _start(ctx, schedule["id"], announce=False)
        events.emit(ctx, "subscription_schedule.created", started)
        return started
    common.create(ctx, schedule, customer=customer["id"])
    timers.schedule(ctx, "schedule.start", schedule["id"], start, test_clock=schedule["test_clock"])
    _plan_next(ctx, schedule)
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
    schedule = _base(ctx, customer, params, now, billing_mode=subscription["billing_mode"])
    start, end = subscriptions.current_period(subscription)
    phase = _phase(ctx, {"items": [{"price": item["price"]["id"], **quantity_of(item)}
                                   for item in subscription["items"]["data"]], "end_date": end}, start, 0)
    phase.update({"metadata": {}, "default_tax_rates": list(subscription.get("default_tax_rates") or []),
                  "discounts": [{"coupon": None, "discount": d, "promotion_code": None}
                                for d in subscription["discounts"]],
                  "trial_end": subscription["trial_end"] if subscription["status"] == "trialing" else None})
    schedule["phases"] = [phase]
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


def _settings(schedule: dict[str, Any], phase: dict[str, Any]) -> dict[str, Any]:
    """The subscription settings a phase gives: its own values, else the schedule's default_settings."""
    defaults = schedule["default_settings"]
    collection = phase.get("collection_method") or defaults.get("collection_method") or "charge_automatically"
    days = (phase.get("invoice_settings") or {}).get("days_until_due")
    if days is None:
        days = defaults["invoice_settings"].get("days_until_due")
    return {"collection_method": collection,
            "days_until_due": days if collection == "send_invoice" else None,
            "default_payment_method": phase.get("default_payment_method") or defaults.get("default_payment_method"),
            "description": phase.get("description") or defaults.get("description")}


def _phase_trial_end(phase: dict[str, Any]) -> int | None:
    """`trial: true` makes the whole phase a trial; `trial_end` a trial up to that moment."""
    if phase.get("trial"):
        return phase["end_date"]
    return phase.get("trial_end")


def _discount_params(phase: dict[str, Any]) -> list[dict[str, str]]:
    return [{key: value for key, value in spec.items() if value} for spec in phase["discounts"]]


def _start(ctx: Ctx, schedule_id: str, *, announce: bool = True) -> dict[str, Any]:
    """The first phase begins: the schedule creates its subscription (its first invoice carries the phase's
    add_invoice_items and discounts; a trial phase makes it a $0 trial invoice). A first phase that started
    in the past backdates the subscription to its start, billing the time since."""
    before = require(ctx, schedule_id)
    phase = before["phases"][0]
    settings = _settings(before, phase)
    trial_end = _phase_trial_end(phase)
    ctx.memo["schedule_applying"] = True
    ctx.memo["schedule_creating"] = schedule_id
    try:
        created = subscriptions.create(ctx, {
            "customer": before["customer"],
            "billing_mode": {key: value for key, value in before["billing_mode"].items()
                             if key != "updated_at" and value is not None},
            **({"backdate_start_date": phase["start_date"]} if phase["start_date"] < ctx.now() else {}),
            "items": [{"price": item["price"], **quantity_of(item), "metadata": item["metadata"]}
                      for item in phase["items"]],
            "metadata": {key: value for key, value in phase["metadata"].items() if value},
            "collection_method": settings["collection_method"],
            **({"days_until_due": settings["days_until_due"]} if settings["days_until_due"] is not None else {}),
            **({"default_payment_method": settings["default_payment_method"]}
               if settings["default_payment_method"] else {}),
            **({"description": settings["description"]} if settings["description"] else {}),
            **({"trial_end": trial_end} if trial_end and trial_end > ctx.now() else {}),
            **({"discounts": _discount_params(phase)} if phase["discounts"] else {}),
            **({"default_tax_rates": [rate["id"] for rate in phase["default_tax_rates"]]}
               if phase["default_tax_rates"] else {}),
            **({"add_invoice_items": [{"price": item["price"], "quantity": item["quantity"],
                                       "metadata": item["metadata"]} for item in phase["add_invoice_items"]]}
               if phase["add_invoice_items"] else {}),
        })
    finally:
        ctx.memo.pop("schedule_applying", None)
        ctx.memo.pop("schedule_creating", None)
    schedule = {**before, "status": "active", "subscription": created["id"],
                "current_phase": {"end_date": phase["end_date"], "start_date": phase["start_date"]}}
    ctx.store.update(ctx.account_id, schedule, owner=created["id"])
    if announce:
        events.emit(ctx, "subscription_schedule.updated", schedule,
                    previous_attributes=events.previous_attributes(before, schedule))
    _attach(ctx, created["id"], schedule_id)
    _plan_next(ctx, schedule)
    return require(ctx, schedule_id)


def _plan_next(ctx: Ctx, schedule: dict[str, Any]) -> None:
    """Plan the next phase change and the `expiring` notice; keep the subscription's `cancel_at` in step with
    a cancel-at-end schedule: set while its final phase runs, removed when the schedule no longer ends there
    (another phase appended, or `end_behavior` changed to release)."""
    timers.cancel_kinds(ctx, ("schedule.phase", "schedule.expiring"), schedule["id"])
    current = schedule.get("current_phase")
    last = schedule["phases"][-1] if schedule["phases"] else None
    if schedule["status"] in LIVE and last is not None and last["end_date"] - EXPIRING_NOTICE > ctx.now():
        timers.schedule(ctx, "schedule.expiring", schedule["id"], last["end_date"] - EXPIRING_NOTICE,
                        test_clock=schedule["test_clock"])
    if schedule["status"] == "active" and current:
        timers.schedule(ctx, "schedule.phase", schedule["id"], current["end_date"],
                        test_clock=schedule["test_clock"], replace=False)
        before = subscriptions.require(ctx, schedule["subscription"])
        if schedule["end_behavior"] == "cancel" and current["start_date"] == last["start_date"]:
            # Entering the final phase of a cancel-at-end schedule sets the subscription's cancel_at.
            if before.get("cancel_at") != last["end_date"]:
                subscriptions.save(ctx, before, {**subscriptions._copy(before), "cancel_at": last["end_date"],
                                                 "canceled_at": ctx.now()})
                common.set_mark(ctx, schedule["id"], "cancel_at", str(last["end_date"]))
            return
        set_by_schedule = common.mark_of(ctx, schedule["id"], "cancel_at")
        if set_by_schedule is not None:
            common.clear_mark(ctx, schedule["id"], "cancel_at")
            if before.get("cancel_at") == int(set_by_schedule):
                subscriptions.save(ctx, before, {**subscriptions._copy(before), "cancel_at": None,
                                                 "canceled_at": None})
                subscriptions._schedule_period_end(ctx, subscriptions.require(ctx, before["id"]))


def expiring(ctx: Ctx, schedule_id: str) -> None:
    """Seven days before a schedule ends (subscription_schedule.expiring)."""
    schedule = ctx.store.get(ctx.account_id, schedule_id, OBJECT)
    if schedule is not None and schedule["status"] in LIVE and \
            schedule["phases"][-1]["end_date"] - EXPIRING_NOTICE <= ctx.now():
        events.emit(ctx, "subscription_schedule.expiring", schedule)


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
    subscription = ctx.store.get(ctx.account_id, schedule["subscription"], "subscription")
    gone = subscription is None or subscription["status"] in ("canceled", "incomplete_expired")
    following = [phase for phase in schedule["phases"] if phase["start_date"] >= current["end_date"]]
    if not following and schedule["end_behavior"] == "cancel":
        if not gone:
            ctx.memo["schedule_applying"] = True
            try:
                subscriptions.cancel(ctx, subscription["id"], {})
            finally:
                ctx.memo.pop("schedule_applying", None)
        done = {**schedule, "status": "completed", "completed_at": now, "current_phase": None}
        _end(ctx, schedule, done, "subscription_schedule.completed")
        return
    if gone:
        _canceled_with_subscription(ctx, schedule, subscription)
        return
    if following:
        phase = following[0]
        _apply_phase(ctx, schedule, phase)
        updated = {**schedule, "current_phase": {"end_date": phase["end_date"], "start_date": phase["start_date"]}}
        common.save(ctx, schedule, updated, event="subscription_schedule.updated")
        _plan_next(ctx, updated)
        return
    _release(ctx, schedule, preserve_cancel_date=True, at=now)


def _canceled_with_subscription(ctx: Ctx, schedule: dict[str, Any], subscription: dict[str, Any] | None) -> None:
    """The subscription ended under the schedule: `canceled`, announced as `subscription_schedule.aborted`
    when dunning canceled it (delinquency), else `subscription_schedule.canceled`."""
    timers.cancel(ctx, None, schedule["id"])
    done = {**schedule, "status": "canceled", "canceled_at": ctx.now(), "current_phase": None}
    delinquent = ((subscription or {}).get("cancellation_details") or {}).get("reason") == "payment_failed"
    _end(ctx, schedule, done, "subscription_schedule.aborted" if delinquent else "subscription_schedule.canceled")


def _end(ctx: Ctx, before: dict[str, Any], after: dict[str, Any], event: str) -> dict[str, Any]:
    """Store a schedule that ended (completed, released, canceled) and announce it: these events carry no
    previous_attributes (Stripe sends those on `*.updated` only)."""
    return common.save(ctx, before, after, event=event, previous_attributes=False)


def _subscription_canceled(ctx: Ctx, subscription: dict[str, Any]) -> None:
    """A schedule-managed subscription canceled directly (or by dunning) takes its schedule with it
    (`canceled`); a cancel-at-end schedule whose last phase is over completes instead."""
    if ctx.memo.get("schedule_applying") or not subscription.get("schedule"):
        return
    schedule = ctx.store.get(ctx.account_id, subscription["schedule"], OBJECT)
    if schedule is None or schedule["status"] not in LIVE:
        return
    if schedule["end_behavior"] == "cancel" and ctx.now() >= schedule["phases"][-1]["end_date"]:
        advance_phase(ctx, schedule["id"])
    else:
        _canceled_with_subscription(ctx, schedule, subscription)


def _apply_phase(ctx: Ctx, schedule: dict[str, Any], phase: dict[str, Any], *,
                 edited: tuple[dict[str, Any], dict[str, Any]] | None = None,
                 proration_behavior: str | None = None) -> None:
    """Rewrite the subscription to a phase: items and quantities (prorated per the phase's
    proration_behavior), metadata merged, discounts replaced by the phase's (none if it has none), trial,
    default tax rates and collection settings; then the phase's add_invoice_items wait for the next invoice
    (the renewal at the same moment when the phase starts at a period end).

    `edited` = (the schedule before an update, its current phase then): an update that resends the current
    phase changes only what differs from it, with the request's `proration_behavior` (a phase's settings,
    its coupons and its `billing_cycle_anchor=phase_start` take effect when the phase is entered)."""
    subscription = subscriptions.require(ctx, schedule["subscription"])
    now = ctx.now()

    def changed(*keys: str) -> bool:
        return edited is None or any(edited[1].get(key) != phase.get(key) for key in keys)

    current = {item["price"]["id"]: item for item in subscription["items"]["data"]}
    wanted = {item["price"]: item for item in phase["items"]}
    specs: list[dict[str, Any]] = []
    for price_id, item in current.items() if changed("items") else ():
        if price_id in wanted:
            if wanted[price_id].get("quantity") != item.get("quantity"):
                specs.append({"id": item["id"], **quantity_of(wanted[price_id])})
        else:
            specs.append({"id": item["id"], "deleted": True})
    for price_id, item in wanted.items() if changed("items") else ():
        if price_id not in current:
            specs.append({"price": price_id, **quantity_of(item), "metadata": item["metadata"]})
    update: dict[str, Any] = {"proration_behavior": proration_behavior or phase["proration_behavior"]}
    if specs:
        # Deletions last so the subscription never has zero items in between.
        update["items"] = sorted(specs, key=lambda spec: bool(spec.get("deleted")))
    if changed("metadata") and \
            common.apply_metadata(subscription["metadata"], phase["metadata"]) != subscription["metadata"]:
        update["metadata"] = phase["metadata"]
    settings = _settings(schedule, phase)
    if edited is not None:
        # Only the settings the update changed (the phase's own, or the defaults it falls back on).
        unchanged = _settings(edited[0], edited[1])
        settings = {key: value if value != unchanged[key] else subscription[key] for key, value in settings.items()}
    if settings["default_payment_method"] and settings["default_payment_method"] != \
            subscription["default_payment_method"]:
        update["default_payment_method"] = settings["default_payment_method"]
    if settings["collection_method"] != subscription["collection_method"]:
        update["collection_method"] = settings["collection_method"]
    if settings["days_until_due"] != subscription["days_until_due"] and settings["days_until_due"] is not None:
        update["days_until_due"] = settings["days_until_due"]
    if settings["description"] and settings["description"] != subscription["description"]:
        update["description"] = settings["description"]
    wanted_discounts = _discount_params(phase)
    if changed("discounts") and wanted_discounts != [{"discount": d} for d in subscription["discounts"]]:
        update["discounts"] = wanted_discounts or ""
    wanted_rates = [rate["id"] for rate in phase["default_tax_rates"]]
    if changed("default_tax_rates") and \
            wanted_rates != [rate["id"] for rate in subscription.get("default_tax_rates") or []]:
        update["default_tax_rates"] = wanted_rates or ""
    trial_end = _phase_trial_end(phase)
    if changed("trial", "trial_end") and trial_end is not None and trial_end > now and (
            subscription["status"] != "trialing" or subscription["trial_end"] != trial_end):
        update["trial_end"] = trial_end
    anchor = phase.get("billing_cycle_anchor") or schedule["default_settings"].get("billing_cycle_anchor")
    if edited is None and anchor == "phase_start":
        update["billing_cycle_anchor"] = {"type": "now"}
    if len(update) > 1:
        ctx.memo["schedule_applying"] = True
        try:
            subscriptions.update(ctx, subscription["id"], update)
        finally:
            ctx.memo.pop("schedule_applying", None)
    if phase["add_invoice_items"]:
        _add_phase_invoice_items(ctx, subscriptions.require(ctx, subscription["id"]), phase)
    if "trial_end" in update and subscription["status"] != "trialing":
        _trial_invoice(ctx, subscription["id"])


def _trial_invoice(ctx: Ctx, subscription_id: str) -> None:
    """A phase that starts a trial on a running subscription bills it at once: a $0 invoice of trial lines
    (plus the phase's add_invoice_items and any pending prorations)."""
    subscription = subscriptions.require(ctx, subscription_id)
    customer = common.require(ctx, "customer", subscription["customer"])
    lines = subscriptions._first_lines(ctx, subscription, True, False, ctx.now())
    subscriptions.bill_now(ctx, subscription, customer, lines)


def _add_phase_invoice_items(ctx: Ctx, subscription: dict[str, Any], phase: dict[str, Any]) -> None:
    """Pending invoice items for a phase entered after the subscription exists; their period runs from the
    phase start to the end of the subscription's first period in the phase."""
    customer = common.require(ctx, "customer", subscription["customer"])
    start = phase["start_date"]
    period_end = subscriptions.current_period(subscription)[1]
    if period_end <= start:
        period_end = min(subscriptions.next_period_end(subscription, item["price"]["recurring"], start)
                         for item in subscription["items"]["data"])
    for index, item in enumerate(phase["add_invoice_items"]):
        subscriptions._add_invoice_item(ctx, customer, subscription, {
            "price": item["price"], "quantity": item["quantity"], "metadata": item["metadata"]},
            f"phases[{index}][add_invoice_items]", period=(start, period_end))


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
    _end(ctx, schedule, released, "subscription_schedule.released")
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
    """`POST .../cancel`: the schedule and its subscription are canceled now; `prorate` (credit the unused
    time) and `invoice_now` (a final invoice of what is pending) both default to true."""
    schedule = require(ctx, schedule_id)
    ctx = ctx.on_clock(schedule["test_clock"])
    if schedule["status"] not in LIVE:
        raise InvalidRequestError(f"You cannot cancel a subscription schedule that is currently {schedule['status']}.")
    timers.cancel(ctx, None, schedule_id)
    if schedule["subscription"]:
        subscription = subscriptions.require(ctx, schedule["subscription"])
        if subscription["status"] not in ("canceled", "incomplete_expired"):
            ctx.memo["schedule_applying"] = True
            try:
                subscriptions.cancel(ctx, subscription["id"], {"invoice_now": params.get("invoice_now", True),
                                                               "prorate": params.get("prorate", True)})
            finally:
                ctx.memo.pop("schedule_applying", None)
    canceled = {**schedule, "status": "canceled", "canceled_at": ctx.now(), "current_phase": None}
    return _end(ctx, schedule, canceled, "subscription_schedule.canceled")


def _resent_past_phases(past: list[dict[str, Any]], specs: list[dict[str, Any]]) -> int:
    """Past phases may be omitted from an update or sent again unchanged; how many lead the request.
    Changing one is refused."""
    count = 0
    for index, spec in enumerate(specs):
        start = spec.get("start_date")
        if start is None or not past or start >= past[-1]["end_date"]:
            break
        match = next((phase for phase in past if phase["start_date"] == start), None)
        if match is None:
            raise InvalidRequestError("You can not modify the start date of a phase that has already ended.",
                                      param=f"phases[{index}][start_date]")
        if spec.get("end_date") not in (None, match["end_date"]):
            raise InvalidRequestError("You can not modify the end date of a phase that has already ended.",
                                      param=f"phases[{index}][end_date]")
        sent = [(item.get("price") or item.get("plan"), item.get("quantity", 1)) for item in spec.get("items") or []]
        if sent != [(item["price"], item.get("quantity", 1)) for item in match["items"]]:
            raise InvalidRequestError("You can not modify the items of a phase that has already ended.",
                                      param=f"phases[{index}][items]")
        count += 1
    return count


def _default_settings(current: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    result = orjson.loads(orjson.dumps(current))
    for key in ("billing_cycle_anchor", "collection_method", "default_payment_method", "description"):
        if key in value:
            result[key] = common.or_none(value[key])
    if "days_until_due" in (value.get("invoice_settings") or {}):
        result["invoice_settings"]["days_until_due"] = value["invoice_settings"]["days_until_due"]
    return result


def update(ctx: Ctx, schedule_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscription_schedules/{id}`: phases (all current and future ones; past ones omitted or
    resent unchanged), end_behavior, default_settings, metadata. A change to the current phase applies now
    with the request's `proration_behavior`; released, completed and canceled schedules cannot change."""
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
    if params.get("default_settings"):
        schedule["default_settings"] = _default_settings(before["default_settings"], params["default_settings"])
    current = before.get("current_phase")
    if params.get("phases"):
        past = [phase for phase in before["phases"] if phase["end_date"] <= now]
        offset = _resent_past_phases(past, params["phases"])
        specs = params["phases"][offset:]
        if not specs:
            raise InvalidRequestError("The phases must include the current phase and any future phases.",
                                      param="phases")
        first_start = specs[0].get("start_date")
        if current is not None and first_start is not None and first_start != current["start_date"]:
            raise InvalidRequestError("You can not modify the start date of the current phase.",
                                      param=f"phases[{offset}][start_date]")
        start = current["start_date"] if current else (first_start or before["phases"][0]["start_date"])
        if first_start is not None and current is None and first_start < now and before["status"] == "not_started":
            raise InvalidRequestError("The start date of a not started schedule must be in the future.",
                                      param="phases[0][start_date]")
        new_phases = _phases(ctx, specs, start, schedule["end_behavior"], offset)
        if current is not None and new_phases[0]["end_date"] < now:
            raise InvalidRequestError("The end date of the current phase must be in the future.",
                                      param=f"phases[{offset}][end_date]")
        schedule["phases"] = past + new_phases
        if before["status"] == "active" and current is not None:
            schedule["current_phase"] = {"end_date": new_phases[0]["end_date"],
                                         "start_date": new_phases[0]["start_date"]}
            old = next((phase for phase in before["phases"] if phase["start_date"] == current["start_date"]), None)
            phase = dict(new_phases[0])
            if old is not None and old["add_invoice_items"] == phase["add_invoice_items"]:
                phase["add_invoice_items"] = []  # already added when the phase began
            _apply_phase(ctx, schedule, phase, edited=(before, old) if old is not None else None,
                         proration_behavior=params.get("proration_behavior", "create_prorations"))
        elif before["status"] == "not_started":
            timers.schedule(ctx, "schedule.start", schedule_id, new_phases[0]["start_date"],
                            test_clock=before["test_clock"])
    result = common.save(ctx, before, schedule)
    if result["status"] == "active":
        _plan_next(ctx, result)
        if result["current_phase"] and result["current_phase"]["end_date"] <= now:
            advance_phase(ctx, schedule_id)  # end_date=now: the next phase starts at once
            result = require(ctx, schedule_id)
    return result


def _reflect_direct_edit(ctx: Ctx, before: dict[str, Any], after: dict[str, Any], params: dict[str, Any]) -> None:
    """A direct update of a schedule-managed subscription that changes items, discounts, the trial or
    default tax rates goes through, and the schedule records it: the current phase ends now and a new phase
    with the subscription's new configuration runs to the old phase end (a change at the very start of the
    phase replaces it instead). Metadata-only edits leave the schedule alone."""
    if ctx.memo.get("schedule_applying") or not after.get("schedule") or not set(params) & set(PHASE_FIELDS):
        return
    schedule = ctx.store.get(ctx.account_id, after["schedule"], OBJECT)
    if schedule is None or schedule["status"] != "active" or not schedule.get("current_phase"):
        return
    now = ctx.now()
    current = schedule["current_phase"]
    index = next((i for i, phase in enumerate(schedule["phases"]) if phase["start_date"] == current["start_date"]),
                 None)
    if index is None:
        return
    phase = schedule["phases"][index]
    edited = {
        **phase,
        "add_invoice_items": [],
        "items": [{"billing_thresholds": None, "discounts": [], "metadata": dict(item["metadata"]),
                   "plan": item["price"]["id"], "price": item["price"]["id"], **quantity_of(item),
                   "tax_rates": list(item.get("tax_rates") or [])} for item in after["items"]["data"]],
        "discounts": [{"coupon": None, "discount": d, "promotion_code": None} for d in after["discounts"]],
        "default_tax_rates": list(after.get("default_tax_rates") or []),
        "start_date": max(now, phase["start_date"]),
    }
    if "trial_end" in params:
        edited.pop("trial", None)
        edited["trial_end"] = after["trial_end"] if after["status"] == "trialing" else None
    phases = list(schedule["phases"])
    if now > phase["start_date"]:
        phases[index:index + 1] = [{**phase, "end_date": now}, edited]
    else:
        phases[index] = edited
    updated = {**schedule, "phases": phases,
               "current_phase": {"end_date": edited["end_date"], "start_date": edited["start_date"]}}
    common.save(ctx, schedule, updated, event="subscription_schedule.updated")


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


def renewing_as(ctx: Ctx, subscription: dict[str, Any]) -> dict[str, Any] | None:
    """What `invoice.upcoming` previews for a managed subscription: the items of the phase that starts at the
    period end (the phase change comes before that renewal), or None when the schedule cancels it then."""
    schedule = ctx.store.get(ctx.account_id, subscription["schedule"], OBJECT) if subscription.get("schedule") \
        else None
    current = (schedule or {}).get("current_phase")
    if schedule is None or schedule["status"] != "active" or current is None or \
            current["end_date"] != subscriptions.current_period(subscription)[1]:
        return subscription
    following = [phase for phase in schedule["phases"] if phase["start_date"] >= current["end_date"]]
    if not following:
        return None if schedule["end_behavior"] == "cancel" else subscription
    existing = {item["price"]["id"]: item for item in subscription["items"]["data"]}
    template = subscription["items"]["data"][0]
    items = []
    for phase_item in following[0]["items"]:
        price = prices.require(ctx, phase_item["price"])
        item = dict(existing.get(price["id"]) or {**template, "id": template["id"], "price": price,
                                                  "plan": plans.plan_view(price)})
        if "quantity" in phase_item:
            item["quantity"] = phase_item["quantity"]
        items.append(item)
    renewing = subscriptions._copy(subscription)
    renewing["items"]["data"] = items
    return renewing


subscriptions.BEFORE_RENEW_HOOKS.append(due_before_renewal)
subscriptions.UPCOMING_HOOKS.append(renewing_as)
subscriptions.AFTER_UPDATE_HOOKS.append(_reflect_direct_edit)
subscriptions.AFTER_CANCEL_HOOKS.append(_subscription_canceled)
