"""The customer portal's API objects: configurations and sessions."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import billing_portal_configurations as configurations, billing_portal_sessions as sessions

CONFIGURATIONS = "/v1/billing_portal/configurations"


@operation("POST", CONFIGURATIONS, supports=configurations.CREATE_PARAMS)
def create_configuration(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return configurations.create(ctx, params)


@operation("GET", CONFIGURATIONS, supports=configurations.LIST_PARAMS)
def list_configurations(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return configurations.list_(ctx, params)


@operation("GET", CONFIGURATIONS + "/<configuration>")
def retrieve_configuration(ctx: Ctx, params: dict[str, Any], configuration: str) -> dict[str, Any]:
    return configurations.require(ctx, configuration)


@operation("POST", CONFIGURATIONS + "/<configuration>", supports=configurations.UPDATE_PARAMS)
def update_configuration(ctx: Ctx, params: dict[str, Any], configuration: str) -> dict[str, Any]:
    return configurations.update(ctx, configuration, params)


@operation("POST", "/v1/billing_portal/sessions", supports=sessions.CREATE_PARAMS)
def create_session(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return sessions.create(ctx, params)
