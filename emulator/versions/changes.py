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


def _without(node: Any, path: list[str]) -> Any:
    """`node` without the field at `path` (`[]` steps into lists). Copies along the path, never changes
    `node`: nested values are shared with the stored document."""
    if isinstance(node, list):
        return [_without(item, path) for item in node]
    if not isinstance(node, dict):
        return node
    head, rest = path[0], path[1:]
    if not rest:
        return {key: value for key, value in node.items() if key != head} if head in node else node
    child = node.get(head)
    if child is None:
        return node
    return {**node, head: _without(child, rest[1:] if rest[0] == "[]" else rest)}


# Stripe adds fields without a new version; a client pinned to 2023-08-16 (the oldest shape this emulator
# renders exactly) gets the objects of that version's schema, so fields added since are removed. The
# change is dated at the next version after 2023-08-16.
@change("2023-10-16", *_ADDED_FIELDS, description="Fields added after 2023-08-16 (generated list).")
def fields_added_since_2023_08_16(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    for path in _ADDED_FIELDS.get(obj.get("object", ""), ()):
        obj = _without(obj, path)
    return obj


def _first_discount(obj: dict[str, Any], resolve: Resolver) -> Any:
    """The older single `discount`: the first of `discounts`, as it was applied. A discount that has ended since
    is stored as deleted; the field still shows it as a discount (which the walk then renders in the version)."""
    discount_ids = obj.get("discounts") or []
    first = discount_ids[0] if discount_ids else None
    found = resolve(first) if isinstance(first, str) else first
    if isinstance(found, dict) and found.get("deleted"):
        found = {key: value for key, value in found.items() if key != "deleted"}
    return found


@change(BASIL, "subscription", description="Periods moved from the subscription to its items; `discount` "
        "became `discounts`.")
def subscription_periods_on_subscription(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    items = (obj.get("items") or {}).get("data") or []
    if items:
        obj["current_period_start"] = min(item.get("current_period_start", 0) for item in items)
        obj["current_period_end"] = max(item.get("current_period_end", 0) for item in items)
    obj["discount"] = _first_discount(obj, resolve)
    return obj


@change(BASIL, "invoice", description="Invoice links moved under `parent` and `payments`; `paid`, `charge`, "
        "`payment_intent`, `subscription` and `discount` were removed.")
def invoice_parent_to_links(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    parent = obj.pop("parent", None) or {}
    details = parent.get("subscription_details") or {}
    obj["subscription"] = details.get("subscription")
    obj["subscription_details"] = {"metadata": details.get("metadata")} if details else {"metadata": None}
    if details.get("subscription_proration_date") is not None:
        obj["subscription_proration_date"] = details["subscription_proration_date"]
    intent_id = _invoice_intent(obj, resolve)
    intent = resolve(intent_id) if intent_id else None
    obj["payment_intent"] = intent_id
    obj["charge"] = (intent or {}).get("latest_charge") if (intent or {}).get("status") == "succeeded" else \
        (intent or {}).get("latest_charge")
    obj["paid"] = obj.get("status") == "paid"
    obj["paid_out_of_band"] = obj.get("status") == "paid" and intent_id is None and obj.get("amount_paid", 0) > 0
    obj["discount"] = _first_discount(obj, resolve)
    taxes = obj.get("total_taxes") or []
    obj["tax"] = sum(t["amount"] for t in taxes) if taxes else None
    obj["total_tax_amounts"] = [_tax_amount(t) for t in taxes]
    obj["application_fee_amount"] = None
    obj["quote"] = None
    obj["rendering_options"] = None
    obj["transfer_data"] = None
    obj.pop("payments", None)
    return obj


def _invoice_intent(invoice: dict[str, Any], resolve: Resolver) -> str | None:
    # The invoice_payment objects are found through the resolver's store by their invoice id.
    finder = getattr(resolve, "invoice_payment_intent", None)
    return finder(invoice["id"]) if finder else None


@change(BASIL, "line_item", description="Line items lost type, proration, price, plan and links; they gained "
        "`parent` and `pricing`.")
def line_item_links(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    parent = obj.pop("parent", None) or {}
    pricing = obj.pop("pricing", None) or {}
    sub_details = parent.get("subscription_item_details")
    item_details = parent.get("invoice_item_details")
    details = sub_details or item_details or {}
    is_item = bool(details.get("invoice_item"))
    obj["type"] = "invoiceitem" if is_item else "subscription"
    obj["proration"] = bool(details.get("proration"))
    obj["proration_details"] = {"credited_items": (details.get("proration_details") or {}).get("credited_items")}
    # Both links are optional and never null in the older shape: left out when there is none.
    if details.get("invoice_item"):
        obj["invoice_item"] = details["invoice_item"]
    if (sub_details or {}).get("subscription_item"):
        obj["subscription_item"] = sub_details["subscription_item"]
    obj["subscription"] = details.get("subscription") or obj.get("subscription")
    price_id = ((pricing.get("price_details") or {}).get("price"))
    price = resolve(price_id) if isinstance(price_id, str) else price_id
    obj["price"] = price
    taxes = obj.get("taxes") or []
    obj["tax_amounts"] = [_tax_amount(t) for t in taxes]
    obj["tax_rates"] = [rate for rate in (resolve((t.get("tax_rate_details") or {}).get("tax_rate", ""))
                                          for t in taxes) if rate]
    obj["amount_excluding_tax"] = obj.get("amount")
    obj["unit_amount_excluding_tax"] = pricing.get("unit_amount_decimal")
    return obj


@change(BASIL, "invoiceitem", description="Invoice items lost price, subscription links and unit amounts; they "
        "gained `parent` and `pricing`.")
def invoice_item_links(obj: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    parent = obj.pop("parent", None) or {}
    pricing = obj.pop("pricing", None) or {}
    details = parent.get("subscription_details") or {}
    obj["subscription"] = details.get("subscription")
    if details.get("subscription_item"):  # optional and never null in the older shape
        obj["subscription_item"] = details["subscription_item"]
    price_id = (pricing.get("price_details") or {}).get("price")
    price = resolve(price_id) if isinstance(price_id, str) else price_id
    obj["price"] = price
    obj["plan"] = _plan_of(price)
    decimal = pricing.get("unit_amount_decimal")
    obj["unit_amount_decimal"] = decimal
    try:
        obj["unit_amount"] = int(float(decimal)) if decimal is not None and float(decimal).is_integer() else None
    except ValueError:
        obj["unit_amount"] = None
    return obj


def _tax_amount(tax: dict[str, Any]) -> dict[str, Any]:
    """A basil-era `taxes` entry as the older `tax_amounts` entry."""
    return {"amount": tax["amount"], "inclusive": tax["tax_behavior"] == "inclusive",
            "tax_rate": (tax.get("tax_rate_details") or {}).get("tax_rate"),
            "taxability_reason": tax.get("taxability_reason"), "taxable_amount": tax.get("taxable_amount")}


def _plan_of(price: dict[str, Any] | None) -> dict[str, Any] | None:
    if not price or not price.get("recurring"):
        return None
    from emulator.resources.plans import plan_view

    return plan_view(price)
