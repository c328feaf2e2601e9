"""Subscription schedules."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, subscription_schedules as schedules

BASE = "/v1/subscription_schedules"


@operation("POST", BASE, supports=schedules.CREATE_PARAMS)
def create_schedule(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return schedules.create(ctx, params)


@operation("GET", BASE, supports=(*common.LIST_PARAMS, "customer", "scheduled"))
def list_schedules(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return schedules.list_(ctx, params)


@operation("GET", BASE + "/<schedule>")
def retrieve_schedule(ctx: Ctx, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    return schedules.require(ctx, schedule)


@operation("POST", BASE + "/<schedule>", supports=schedules.UPDATE_PARAMS)
def update_schedule(ctx: Ctx, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    return schedules.update(ctx, schedule, params)


@operation("POST", BASE + "/<schedule>/cancel", supports=("invoice_now", "prorate"))
def cancel_schedule(ctx: Ctx, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    return schedules.cancel(ctx, schedule, params)


@operation("POST", BASE + "/<schedule>/release", supports=("preserve_cancel_date",))
def release_schedule(ctx: Ctx, params: dict[str, Any], schedule: str) -> dict[str, Any]:
    return schedules.release(ctx, schedule, params)
