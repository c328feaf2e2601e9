"""Subscription items (`/v1/subscription_items`): add, change and remove items of a subscription. Each call
is a subscription update with the same proration rules (`proration_behavior`, `proration_date`)."""

from __future__ import annotations

from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, subscriptions

CREATE_PARAMS = ("metadata", "payment_behavior", "plan", "price", "price_data", "proration_behavior",
                 "proration_date", "quantity", "subscription")
UPDATE_PARAMS = ("metadata", "off_session", "payment_behavior", "plan", "price", "price_data", "proration_behavior",
                 "proration_date", "quantity")
DELETE_PARAMS = ("clear_usage", "proration_behavior", "proration_date")
_PASS_THROUGH = ("payment_behavior", "proration_behavior", "proration_date", "off_session")


def require(ctx: Ctx, item_id: str) -> dict[str, Any]:
    return common.require(ctx, "subscription_item", item_id, kind="subscription item")


def _update_params(params: dict[str, Any], item_spec: dict[str, Any]) -> dict[str, Any]:
    update = {key: params[key] for key in _PASS_THROUGH if key in params}
    update["items"] = [item_spec]
    return update


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscription_items`: a new item on the subscription."""
    spec = {key: params[key] for key in ("price", "plan", "price_data", "quantity", "metadata") if key in params}
    before = subscriptions.require(ctx, params["subscription"], param="subscription")
    known = {item["id"] for item in before["items"]["data"]}
    after = subscriptions.update(ctx, before["id"], _update_params(params, spec))
    return next(item for item in after["items"]["data"] if item["id"] not in known)


def update(ctx: Ctx, item_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscription_items/{id}`: price, quantity, metadata."""
    item = require(ctx, item_id)
    spec = {"id": item_id, **{key: params[key] for key in ("price", "plan", "price_data", "quantity", "metadata")
                              if key in params}}
    after = subscriptions.update(ctx, item["subscription"], _update_params(params, spec))
    return next(i for i in after["items"]["data"] if i["id"] == item_id)


def delete(ctx: Ctx, item_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`DELETE /v1/subscription_items/{id}` (a subscription keeps at least one item)."""
    item = require(ctx, item_id)
    subscriptions.update(ctx, item["subscription"], _update_params(params, {"id": item_id, "deleted": True}))
    return {"id": item_id, "object": "subscription_item", "deleted": True}


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/subscription_items?subscription=`."""
    if not params.get("subscription"):
        raise InvalidRequestError("Missing required param: subscription.", param="subscription",
                                  code="parameter_missing")
    subscriptions.require(ctx, params["subscription"], param="subscription")
    return common.list_objects(ctx, "subscription_item", params, "/v1/subscription_items", where="owner = ?",
                               args=(params["subscription"],))
