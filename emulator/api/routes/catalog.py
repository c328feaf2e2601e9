"""Products, prices and legacy plans."""

from __future__ import annotations

from typing import Any

from emulator import search
from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, plans, prices, products


@operation("POST", "/v1/products", supports=products.CREATE_PARAMS)
def create_product(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return products.create(ctx, params)


@operation("GET", "/v1/products", supports=products.LIST_PARAMS)
def list_products(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return products.list_(ctx, params)


@operation("GET", "/v1/products/search", supports=search.PARAMS)
def search_products(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "product", params, "/v1/products/search", products.SEARCH_FIELDS)


@operation("GET", "/v1/products/<id>")
def retrieve_product(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    product = common.require(ctx, "product", id, kind="product", allow_deleted=True)
    return {"id": id, "object": "product", "deleted": True} if product.get("deleted") else product


@operation("POST", "/v1/products/<id>", supports=products.UPDATE_PARAMS)
def update_product(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return products.update(ctx, id, params)


@operation("DELETE", "/v1/products/<id>")
def delete_product(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return products.delete(ctx, id)


@operation("POST", "/v1/prices", supports=prices.CREATE_PARAMS)
def create_price(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return prices.create(ctx, params)


@operation("GET", "/v1/prices", supports=prices.LIST_PARAMS)
def list_prices(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return prices.list_(ctx, params)


@operation("GET", "/v1/prices/search", supports=search.PARAMS)
def search_prices(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "price", params, "/v1/prices/search", prices.SEARCH_FIELDS)


@operation("GET", "/v1/prices/<price>")
def retrieve_price(ctx: Ctx, params: dict[str, Any], price: str) -> dict[str, Any]:
    return prices.require(ctx, price)


@operation("POST", "/v1/prices/<price>", supports=prices.UPDATE_PARAMS)
def update_price(ctx: Ctx, params: dict[str, Any], price: str) -> dict[str, Any]:
    return prices.update(ctx, price, params)


@operation("POST", "/v1/plans", supports=plans.CREATE_PARAMS)
def create_plan(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return plans.create(ctx, params)


@operation("GET", "/v1/plans", supports=(*common.LIST_PARAMS, "active", "product"))
def list_plans(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return plans.list_(ctx, params)


@operation("GET", "/v1/plans/<plan>")
def retrieve_plan(ctx: Ctx, params: dict[str, Any], plan: str) -> dict[str, Any]:
    return plans.plan_view(plans.require(ctx, plan))


@operation("POST", "/v1/plans/<plan>", supports=plans.UPDATE_PARAMS)
def update_plan(ctx: Ctx, params: dict[str, Any], plan: str) -> dict[str, Any]:
    return plans.update(ctx, plan, params)


@operation("DELETE", "/v1/plans/<plan>")
def delete_plan(ctx: Ctx, params: dict[str, Any], plan: str) -> dict[str, Any]:
    return plans.delete(ctx, plan)
