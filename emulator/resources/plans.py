"""Legacy plans (`/v1/plans`): in Stripe a plan is a recurring price seen through the older API, sharing
its id. The emulator keeps one record (the price) and derives the plan object from it, so
`GET /v1/prices/<plan id>` and `GET /v1/plans/<recurring price id>` both work. Plan API calls emit plan.*
events; price API calls emit price.* events."""

from __future__ import annotations

from typing import Any

from emulator import events, ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError, ResourceMissingError
from emulator.resources import common, prices, products

CREATE_PARAMS = ("active", "amount", "amount_decimal", "currency", "id", "interval", "interval_count", "metadata",
                 "nickname", "product", "trial_period_days", "usage_type")
UPDATE_PARAMS = ("active", "metadata", "nickname", "product", "trial_period_days")


def plan_view(price: dict[str, Any]) -> dict[str, Any]:
    """The plan object of a recurring price."""
    recurring = price["recurring"] or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
        **({"tiers": price["tiers"]} if price.get("tiers") is not None else {}),
    }


def require(ctx: Ctx, plan_id: str) -> dict[str, Any]:
    """The recurring price behind a plan id, or `No such plan: 'x'`."""
    price = ctx.store.get(ctx.account_id, plan_id, "price")
    if price is None or price.get("deleted") or price.get("recurring") is None:
        raise ResourceMissingError("plan", plan_id)
    return price


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/plans`: product (id or inline `product[name]`), amount or amount_decimal, currency, interval."""
    plan_id = params.get("id")
    if plan_id and ctx.store.exists(ctx.account_id, plan_id):
        raise InvalidRequestError("Plan already exists.", param="id", code="resource_already_exists")
    product = params.get("product")
    if isinstance(product, dict):
        product_id = products.create(ctx, {k: v for k, v in product.items()})["id"]
    elif product:
        product_id = products.require(ctx, product, param="product")["id"]
    else:
        raise InvalidRequestError("Missing required param: product.", param="product", code="parameter_missing")
    price_params: dict[str, Any] = {
        "product": product_id, "currency": params["currency"], "active": params.get("active", True),
        "nickname": params.get("nickname"), "metadata": params.get("metadata"),
        "recurring": {"interval": params["interval"], "interval_count": params.get("interval_count", 1),
                      "usage_type": params.get("usage_type", "licensed")},
    }
    if params.get("trial_period_days") is not None:
        price_params["recurring"]["trial_period_days"] = params["trial_period_days"]
    if "amount_decimal" in params:
        price_params["unit_amount_decimal"] = params["amount_decimal"]
    elif "amount" in params:
        price_params["unit_amount"] = params["amount"]
    else:
        raise InvalidRequestError("Missing required param: amount.", param="amount", code="parameter_missing")
    price = prices.create(ctx, price_params, price_id=plan_id or ids.new_id("price"), event="")
    plan = plan_view(price)
    events.emit(ctx, "plan.created", plan)
    return plan


def update(ctx: Ctx, plan_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/plans/{id}`: active, nickname, metadata, product, trial_period_days."""
    before = require(ctx, plan_id)
    price = dict(before)
    if "active" in params:
        price["active"] = params["active"]
    if "nickname" in params:
        price["nickname"] = common.or_none(params["nickname"])
    if "metadata" in params:
        price["metadata"] = common.apply_metadata(price["metadata"], params["metadata"])
    if params.get("product"):
        price["product"] = products.require(ctx, params["product"], param="product")["id"]
    if "trial_period_days" in params:
        price["recurring"] = {**price["recurring"], "trial_period_days": params["trial_period_days"]}
    ctx.store.update(ctx.account_id, price, owner=price["product"])
    plan, old = plan_view(price), plan_view(before)
    changed = events.previous_attributes(old, plan)
    if changed:
        events.emit(ctx, "plan.updated", plan, previous_attributes=changed)
    return plan


def delete(ctx: Ctx, plan_id: str) -> dict[str, Any]:
    """`DELETE /v1/plans/{id}`: the plan (and its price record) is gone; existing subscriptions keep it."""
    price = require(ctx, plan_id)
    ctx.store.mark_deleted(ctx.account_id, {**price, "active": False})
    events.emit(ctx, "plan.deleted", plan_view(price))
    return {"id": plan_id, "object": "plan", "deleted": True}


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/plans` (active, product filters): recurring prices as plans."""
    def keep(price: dict[str, Any]) -> bool:
        return price.get("recurring") is not None and ("active" not in params or price["active"] == params["active"])

    result = common.list_objects(ctx, "price", params, "/v1/plans", columns={"product": "owner"}, post_filter=keep)
    result["data"] = [plan_view(price) for price in result["data"]]
    return result
