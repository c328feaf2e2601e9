"""Billing meters, meter events, meter event adjustments and meter event summaries."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import billing_meters

BASE = "/v1/billing/meters"


@operation("POST", BASE, supports=billing_meters.CREATE_PARAMS)
def create_meter(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return billing_meters.create(ctx, params)


@operation("GET", BASE, supports=billing_meters.LIST_PARAMS)
def list_meters(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return billing_meters.list_(ctx, params)


@operation("GET", BASE + "/<meter>")
def retrieve_meter(ctx: Ctx, params: dict[str, Any], meter: str) -> dict[str, Any]:
    return billing_meters.require(ctx, meter)


@operation("POST", BASE + "/<meter>", supports=("display_name",))
def update_meter(ctx: Ctx, params: dict[str, Any], meter: str) -> dict[str, Any]:
    return billing_meters.update(ctx, meter, params)


@operation("POST", BASE + "/<meter>/deactivate")
def deactivate_meter(ctx: Ctx, params: dict[str, Any], meter: str) -> dict[str, Any]:
    return billing_meters.set_status(ctx, meter, active=False)


@operation("POST", BASE + "/<meter>/reactivate")
def reactivate_meter(ctx: Ctx, params: dict[str, Any], meter: str) -> dict[str, Any]:
    return billing_meters.set_status(ctx, meter, active=True)


@operation("GET", BASE + "/<meter>/event_summaries", supports=billing_meters.SUMMARY_PARAMS)
def list_meter_event_summaries(ctx: Ctx, params: dict[str, Any], meter: str) -> dict[str, Any]:
    return billing_meters.event_summaries(ctx, meter, params)


@operation("POST", "/v1/billing/meter_events", supports=billing_meters.EVENT_PARAMS)
def create_meter_event(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return billing_meters.record_event(ctx, params)


@operation("POST", "/v1/billing/meter_event_adjustments", supports=billing_meters.ADJUSTMENT_PARAMS)
def create_meter_event_adjustment(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return billing_meters.adjust(ctx, params)
