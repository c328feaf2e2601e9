"""Test clocks (`/v1/test_helpers/test_clocks`): per-customer simulated time.

Customers created with `test_clock` (and everything they own) live at the clock's `frozen_time`. Advancing
moves the clock forward; the lifecycle engine (emulator.engine) runs every transition due up to the new time,
in order, exactly as Stripe would have done them live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "test_helpers.test_clock"
DELETES_AFTER_SECONDS = 30 * 86400  # the guide's 30 days; Stripe's API example shows 7 (UNCONFIRMED)
MAX_ADVANCE_WITHOUT_SUBSCRIPTIONS = 730 * 86400  # two years (Stripe: at most two years ahead)

# fn(ctx, clock) -> the latest frozen_time the clock may advance to (Stripe: two shortest intervals).
ADVANCE_LIMITS: list[Callable[[Ctx, dict[str, Any]], int | None]] = []
# fn(ctx, clock): delete what lives on the clock (customers, subscriptions) before the clock goes.
DELETE_HOOKS: list[Callable[[Ctx, dict[str, Any]], None]] = []


def require(ctx: Ctx, clock_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, clock_id, kind="test_helpers.test_clock", param=param)


def require_usable(ctx: Ctx, clock_id: str) -> dict[str, Any]:
    """The clock a new customer joins; refused while it is advancing, as Stripe does."""
    clock = require(ctx, clock_id, param="test_clock")
    if clock["status"] == "advancing":
        raise InvalidRequestError("The test clock is advancing; wait until it is ready.", param="test_clock")
    return clock


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/test_helpers/test_clocks`: frozen_time may be in the past or the future. `customer` (API
    2026-05-27.dahlia) attaches an existing customer to the new clock, for good."""
    customer = _attachable(ctx, params["customer"]) if params.get("customer") else None
    created = ctx.now()
    clock = {
        "id": ids.new_id("clock"),
        "object": OBJECT,
        "created": created,
        "deletes_after": created + DELETES_AFTER_SECONDS,
        "frozen_time": params["frozen_time"],
        "livemode": False,
        "name": params.get("name"),
        "status": "ready",
        "status_details": {},
    }
    common.create(ctx, clock, event="test_helpers.test_clock.created", created=created)
    if customer is not None:
        common.save(ctx, customer, {**customer, "test_clock": clock["id"]})
    return clock


def _attachable(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """A customer that can join a new clock: not on one already, and (the emulator's rule, Stripe's is not
    documented) nothing billed yet, so no subscription, schedule, invoice or invoice item has to move in time."""
    customer = common.require(ctx, "customer", customer_id, param="customer")
    if customer.get("test_clock"):
        raise InvalidRequestError(f"The customer {customer_id} is already attached to a test clock.",
                                  param="customer")
    for object_type in ("subscription", "subscription_schedule", "invoice", "invoiceitem"):
        if ctx.store.count(ctx.account_id, object_type, where="customer = ?", args=(customer_id,)):
            raise InvalidRequestError(f"The customer {customer_id} already has {object_type.replace('_', ' ')}s; "
                                      "stripe-portal-emulator attaches only customers with nothing billed yet to "
                                      "a test clock.", param="customer")
    return customer


def retrieve(ctx: Ctx, clock_id: str) -> dict[str, Any]:
    return require(ctx, clock_id)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return common.list_objects(ctx, OBJECT, params, "/v1/test_helpers/test_clocks")


def delete(ctx: Ctx, clock_id: str) -> dict[str, Any]:
    """Deleting a clock deletes its customers and cancels their subscriptions."""
    clock = require(ctx, clock_id)
    for hook in DELETE_HOOKS:
        hook(ctx, clock)
    return common.delete(ctx, clock, keep=False, event="test_helpers.test_clock.deleted")


def begin_advance(ctx: Ctx, clock_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../advance`: forward only, within Stripe's limit; the clock becomes `advancing` (event
    test_helpers.test_clock.advancing). The lifecycle engine then runs every transition due up to the target
    and `complete_advance` makes it `ready`."""
    clock = require(ctx, clock_id)
    target = params["frozen_time"]
    if clock["status"] == "advancing":
        raise InvalidRequestError("The test clock is already advancing; wait until it is ready.",
                                  param="frozen_time")
    if target <= clock["frozen_time"]:
        raise InvalidRequestError(
            "The frozen_time must be after the test clock's current frozen_time "
            f"({clock['frozen_time']}).", param="frozen_time")
    limits = [limit for limit in (fn(ctx, clock) for fn in ADVANCE_LIMITS) if limit is not None]
    latest = min(limits) if limits else clock["frozen_time"] + MAX_ADVANCE_WITHOUT_SUBSCRIPTIONS
    if target > latest:
        raise InvalidRequestError(
            "Cannot advance the test clock more than two intervals of its shortest subscription interval "
            f"at a time (at most to {latest}).", param="frozen_time")
    advancing = {**clock, "status": "advancing", "status_details": {"advancing": {"target_frozen_time": target}}}
    return common.save(ctx, clock, advancing, event="test_helpers.test_clock.advancing", previous_attributes=False,
                       created=clock["frozen_time"])


def complete_advance(ctx: Ctx, clock_id: str) -> dict[str, Any]:
    """The clock reaches its target: `ready`, event test_helpers.test_clock.ready."""
    clock = require(ctx, clock_id)
    target = clock["status_details"]["advancing"]["target_frozen_time"]
    ready = {**clock, "frozen_time": target, "status": "ready", "status_details": {}}
    return common.save(ctx, clock, ready, event="test_helpers.test_clock.ready", created=target,
                       previous_attributes=False)
