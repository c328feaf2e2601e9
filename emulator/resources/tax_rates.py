"""Tax rates (`/v1/tax_rates`): manual percentage taxes, inclusive or exclusive, applied to invoice lines of
subscriptions (`default_tax_rates`, `items[].tax_rates`) and invoice items (`tax_rates`)."""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "tax_rate"
CREATE_PARAMS = ("active", "country", "description", "display_name", "inclusive", "jurisdiction", "metadata",
                 "percentage", "state", "tax_type")
UPDATE_PARAMS = ("active", "country", "description", "display_name", "jurisdiction", "metadata", "state",
                 "tax_type")


def require(ctx: Ctx, rate_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, rate_id, kind="tax rate", param=param)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/tax_rates`: display_name, percentage (0-100), inclusive."""
    percentage = float(params["percentage"])
    if not 0 <= percentage <= 100:
        raise InvalidRequestError("Invalid percentage: must be between 0 and 100.", param="percentage")
    rate = {
        "id": ids.new_id("txr"),
        "object": OBJECT,
        "active": params.get("active", True),
        "country": params.get("country"),
        "created": ctx.now(),
        "description": params.get("description"),
        "display_name": params["display_name"],
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": params["inclusive"],
        "jurisdiction": params.get("jurisdiction"),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "percentage": percentage,
        "rate_type": "percentage",
        "state": params.get("state"),
        "tax_type": params.get("tax_type"),
    }
    return common.create(ctx, rate)


def update(ctx: Ctx, rate_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/tax_rates/{id}`: the percentage and inclusive flag cannot change (create a new rate)."""
    before = require(ctx, rate_id)
    rate = dict(before)
    for key in ("active", "display_name", "tax_type"):
        if key in params:
            rate[key] = params[key]
    for key in ("country", "description", "jurisdiction", "state"):
        if key in params:
            rate[key] = common.or_none(params[key])
    if "metadata" in params:
        rate["metadata"] = common.apply_metadata(rate["metadata"], params["metadata"])
    return common.save(ctx, before, rate)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/tax_rates` with active and inclusive filters."""
    return common.list_objects(ctx, OBJECT, params, "/v1/tax_rates",
                               post_filter=common.fields_equal(params, ("active", "inclusive")))


def resolve(ctx: Ctx, rate_ids: Any, param: str) -> list[dict[str, Any]]:
    """Tax rate objects for a `tax_rates[]` / `default_tax_rates[]` parameter ("" clears)."""
    if not rate_ids:
        return []
    rates = []
    for index, rate_id in enumerate(rate_ids):
        rate = require(ctx, rate_id, param=f"{param}[{index}]")
        if not rate["active"]:
            raise InvalidRequestError(f"Tax rate {rate_id} is inactive.", param=f"{param}[{index}]")
        rates.append(rate)
    return rates


def line_taxes(rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A line's `taxes` placeholders; amounts are computed with the invoice totals."""
    return [{"amount": 0, "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
             "tax_rate_details": {"tax_rate": rate["id"]}, "taxability_reason": "standard_rated",
             "taxable_amount": 0, "type": "tax_rate_details"} for rate in rates]
