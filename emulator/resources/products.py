"""Products (`/v1/products`): create (with `default_price_data`), retrieve, update, delete, list, search."""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "product"
CREATE_PARAMS = ("active", "default_price_data", "description", "id", "images", "marketing_features", "metadata",
                 "name", "package_dimensions", "shippable", "statement_descriptor", "tax_code", "type",
                 "unit_label", "url")
UPDATE_PARAMS = ("active", "default_price", "description", "images", "marketing_features", "metadata", "name",
                 "package_dimensions", "shippable", "statement_descriptor", "tax_code", "unit_label", "url")
LIST_PARAMS = (*common.LIST_PARAMS, "active", "ids", "shippable", "type", "url")
SEARCH_FIELDS = {
    "active": lambda p: p["active"],
    "created": lambda p: p["created"],
    "description": lambda p: p.get("description"),
    "metadata": lambda p: p.get("metadata", {}),
    "name": lambda p: p["name"],
    "shippable": lambda p: p.get("shippable"),
    "url": lambda p: p.get("url"),
}


def require(ctx: Ctx, product_id: str, param: str | None = None) -> dict[str, Any]:
    """The product, or Stripe's `No such product: 'prod_x'`."""
    return common.require(ctx, OBJECT, product_id, kind="product", param=param)


def _dimensions(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {key: float(value[key]) for key in ("height", "length", "weight", "width")}


def _features(value: Any) -> list[dict[str, Any]]:
    if not value:
        return []
    return [{"name": feature["name"]} for feature in value]


def _statement_descriptor(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if len(value) > 22 or any(char in value for char in "<>\\'\"*"):
        raise InvalidRequestError("The statement descriptor must be at most 22 characters and may not contain "
                                  "<, >, \\, ', \" or *.", param="statement_descriptor")
    return value


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/products`: a caller-given `id` must be unused; `default_price_data` creates its price."""
    product_id = params.get("id") or ids.new_id("prod")
    if ctx.store.exists(ctx.account_id, product_id):
        raise InvalidRequestError("Product already exists.", param="id", code="resource_already_exists")
    now = ctx.now()
    product: dict[str, Any] = {
        "id": product_id,
        "object": OBJECT,
        "active": params.get("active", True),
        "created": now,
        "default_price": None,
        "description": common.or_none(params.get("description")),
        "images": list(params.get("images") or []),
        "livemode": False,
        "marketing_features": _features(params.get("marketing_features")),
        "metadata": common.metadata_for_create(params.get("metadata")),
        "name": params["name"],
        "package_dimensions": _dimensions(params.get("package_dimensions")),
        "shippable": params.get("shippable"),
        "statement_descriptor": _statement_descriptor(params.get("statement_descriptor")),
        "tax_code": params.get("tax_code"),
        "tax_details": None,
        "type": params.get("type", "service"),
        "unit_label": common.or_none(params.get("unit_label")),
        "updated": now,
        "url": common.or_none(params.get("url")),
    }
    common.create(ctx, product)
    if params.get("default_price_data"):
        from emulator.resources import prices

        price = prices.create(ctx, {**params["default_price_data"], "product": product_id},
                              param_prefix="default_price_data")
        before = dict(product)
        product["default_price"] = price["id"]
        common.save(ctx, before, product)
    return product


def update(ctx: Ctx, product_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/products/{id}`; `default_price` must be an active price of this product."""
    before = require(ctx, product_id)
    product = dict(before)
    for key in ("active", "shippable", "name", "tax_code"):
        if key in params:
            product[key] = params[key]
    for key in ("description", "unit_label", "url"):
        if key in params:
            product[key] = common.or_none(params[key])
    if "statement_descriptor" in params:
        product["statement_descriptor"] = _statement_descriptor(params["statement_descriptor"])
    if "images" in params:
        product["images"] = list(params["images"] or [])
    if "marketing_features" in params:
        product["marketing_features"] = _features(params["marketing_features"])
    if "package_dimensions" in params:
        product["package_dimensions"] = _dimensions(params["package_dimensions"])
    if "metadata" in params:
        product["metadata"] = common.apply_metadata(product["metadata"], params["metadata"])
    if "default_price" in params:
        if params["default_price"] == "":
            product["default_price"] = None
        else:
            price = common.require(ctx, "price", params["default_price"], kind="price", param="default_price")
            if price["product"] != product_id:
                raise InvalidRequestError(f"The price {price['id']} does not belong to product {product_id}.",
                                          param="default_price")
            if not price["active"]:
                raise InvalidRequestError("The default price must be active.", param="default_price")
            product["default_price"] = price["id"]
    if product != before:
        product["updated"] = ctx.now()
    return common.save(ctx, before, product)


def delete(ctx: Ctx, product_id: str) -> dict[str, Any]:
    """`DELETE /v1/products/{id}`: refused while the product has prices, as Stripe does."""
    product = require(ctx, product_id)
    if ctx.store.count(ctx.account_id, "price", where="owner = ?", args=(product_id,)):
        raise InvalidRequestError("This product cannot be deleted because it has one or more user-created prices.",
                                  param="id")
    return common.delete(ctx, product)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/products` with active, ids, shippable, type and url filters."""
    wanted_ids = set(params.get("ids") or [])

    def keep(product: dict[str, Any]) -> bool:
        return ((not wanted_ids or product["id"] in wanted_ids)
                and all(product.get(key) == params[key] for key in ("active", "shippable", "type", "url")
                        if key in params))

    filtered = any(key in params for key in ("active", "shippable", "type", "url", "ids"))
    return common.list_objects(ctx, OBJECT, params, "/v1/products", post_filter=keep if filtered else None)
