from __future__ import annotations

from typing import Any

from emulator import search
from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, customers


@operation("POST", "/v1/customers", supports=customers.CREATE_PARAMS)
def create_customer(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return customers.create(ctx, params)


@operation("GET", "/v1/customers", supports=(*common.LIST_PARAMS, "email", "test_clock"))
def list_customers(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return customers.list_(ctx, params)


@operation("GET", "/v1/customers/search", supports=search.PARAMS)
def search_customers(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "customer", params, "/v1/customers/search", customers.SEARCH_FIELDS)


@operation("GET", "/v1/customers/<customer>")
def retrieve_customer(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customers.retrieve(ctx, customer)


@operation("POST", "/v1/customers/<customer>", supports=customers.UPDATE_PARAMS)
def update_customer(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customers.update(ctx, customer, params)


@operation("DELETE", "/v1/customers/<customer>")
def delete_customer(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customers.delete(ctx, customer)


@operation("DELETE", "/v1/customers/<customer>/discount")
def delete_customer_discount(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customers.delete_discount(ctx, customer)
