"""The registered version changes, newest first. Each function undoes its version's change."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from emulator.versions import Resolver, change

CLOVER = "2025-09-30.clover"
BASIL = "2025-03-31.basil"


@change(CLOVER, "discount", description="Discount.coupon became Discount.source{type, coupon}.")
def discount_source_to_coupon(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    # Before clover the discount embedded the whole coupon object.
    source = obj.pop("source", None) or {}
    coupon = source.get("coupon")
    obj["coupon"] = resolve(coupon) if isinstance(coupon, str) else coupon
    return obj


@change(CLOVER, "promotion_code", description="PromotionCode.coupon became promotion{type, coupon}.")
def promotion_to_coupon(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    # Before clover the promotion code embedded the whole coupon object.
    promotion = obj.pop("promotion", None) or {}
    coupon = promotion.get("coupon")
    obj["coupon"] = resolve(coupon) if isinstance(coupon, str) else coupon
    return obj


@change(BASIL, "plan", description="Plan.aggregate_usage was removed with legacy usage records.")
def plan_aggregate_usage(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    obj["aggregate_usage"] = "sum" if obj.get("usage_type") == "metered" else None
    obj.pop("meter", None)
    return obj


@change(BASIL, "price", description="Price.recurring.aggregate_usage was removed with legacy usage records.")
def price_aggregate_usage(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    recurring = obj.get("recurring")
    if recurring is not None:
        obj["recurring"] = {**recurring, "aggregate_usage": "sum" if recurring.get("usage_type") == "metered"
                            else None}
    return obj


@change("2024-04-10", "product", description="Product.features was renamed marketing_features.")
def product_features(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    obj["features"] = obj.pop("marketing_features", [])
    return obj


def _load_added_fields() -> dict[str, list[list[str]]]:
    raw = json.loads(resources.files("emulator").joinpath("spec/fields_added_since_2023_08_16.json").read_text())
    return {object_type: [path.split(".") for path in paths] for object_type, paths in raw.items()}


_ADDED_FIELDS = _load_added_fields()


def _drop(node: Any, path: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _drop(item, path)
        return
    if not isinstance(node, dict):
        return
    head, rest = path[0], path[1:]
    if head == "[]":
        _drop(node, rest)  # unreachable for dicts; arrays are handled above
        return
    if not rest:
        node.pop(head, None)
        return
    child = node.get(head)
    if child is not None:
        if rest[0] == "[]":
            for item in child if isinstance(child, list) else []:
                _drop(item, rest[1:])
        else:
            _drop(child, rest)


# Stripe adds fields without a new version; a client pinned to 2023-08-16 (the oldest shape this emulator
# renders exactly) gets the objects of that version's schema, so fields added since are removed. The
# change is dated at the next version after 2023-08-16.
@change("2023-10-16", *_ADDED_FIELDS, description="Fields added after 2023-08-16 (generated list).")
def fields_added_since_2023_08_16(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    for path in _ADDED_FIELDS.get(obj.get("object", ""), ()):
        _drop(obj, path)
    return obj
