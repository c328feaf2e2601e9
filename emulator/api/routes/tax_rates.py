from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, tax_rates


@operation("POST", "/v1/tax_rates", supports=tax_rates.CREATE_PARAMS)
def create_tax_rate(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_rates.create(ctx, params)


@operation("GET", "/v1/tax_rates", supports=(*common.LIST_PARAMS, "active", "inclusive"))
def list_tax_rates(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_rates.list_(ctx, params)


@operation("GET", "/v1/tax_rates/<tax_rate>")
def retrieve_tax_rate(ctx: Ctx, params: dict[str, Any], tax_rate: str) -> dict[str, Any]:
    return tax_rates.require(ctx, tax_rate)


@operation("POST", "/v1/tax_rates/<tax_rate>", supports=tax_rates.UPDATE_PARAMS)
def update_tax_rate(ctx: Ctx, params: dict[str, Any], tax_rate: str) -> dict[str, Any]:
    return tax_rates.update(ctx, tax_rate, params)
