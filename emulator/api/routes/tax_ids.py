"""Tax IDs: a customer's (`/v1/customers/{customer}/tax_ids`) and `/v1/tax_ids` by owner."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, tax_ids

LIST = common.LIST_PARAMS[:3]


@operation("POST", "/v1/customers/<customer>/tax_ids", supports=("type", "value"))
def create_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return tax_ids.create(ctx, customer, params)


@operation("GET", "/v1/customers/<customer>/tax_ids", supports=LIST)
def list_customer_tax_ids(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return tax_ids.list_(ctx, params, customer)


@operation("GET", "/v1/customers/<customer>/tax_ids/<id>")
def retrieve_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    return tax_ids.require(ctx, id, customer)


@operation("DELETE", "/v1/customers/<customer>/tax_ids/<id>")
def delete_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    return tax_ids.delete(ctx, id, customer)


@operation("POST", "/v1/tax_ids", supports=("owner.type", "owner.customer", "type", "value"))
def create_tax_id(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_ids.create_top_level(ctx, params)


@operation("GET", "/v1/tax_ids", supports=(*LIST, "owner.type", "owner.customer"))
def list_tax_ids(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_ids.list_(ctx, params)


@operation("GET", "/v1/tax_ids/<id>")
def retrieve_tax_id(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return tax_ids.require(ctx, id)


@operation("DELETE", "/v1/tax_ids/<id>")
def delete_tax_id(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return tax_ids.delete(ctx, id)
