"""Prices (`/v1/prices`): one-time and recurring, `lookup_key` with `transfer_lookup_key`, `product_data`,
list filters and search. Legacy plans (emulator.resources.plans) are the same records seen through the
Plans API, as in Stripe where a plan id is also a price id."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, products

OBJECT = "price"
CREATE_PARAMS = ("active", "billing_scheme", "currency", "lookup_key", "metadata", "nickname", "product",
                 "product_data", "recurring", "tax_behavior", "tiers", "tiers_mode", "transfer_lookup_key",
                 "unit_amount", "unit_amount_decimal")
UPDATE_PARAMS = ("active", "lookup_key", "metadata", "nickname", "tax_behavior", "transfer_lookup_key")
LIST_PARAMS = (*common.LIST_PARAMS, "active", "currency", "lookup_keys", "product", "recurring", "type")
# Stripe's longest recurring periods: at most 3 years.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
SEARCH_FIELDS = {
    "active": lambda p: p["active"],
    "created": lambda p: p["created"],
    "currency": lambda p: p["currency"],
    "lookup_key": lambda p: p.get("lookup_key"),
    "metadata": lambda p: p.get("metadata", {}),
    "product": lambda p: p["product"],
    "type": lambda p: p["type"],
}


def require(ctx: Ctx, price_id: str, param: str | None = None) -> dict[str, Any]:
    """The price, or Stripe's `No such price: 'price_x'`."""
    return common.require(ctx, OBJECT, price_id, kind="price", param=param)


def unit_amount_decimal(price: dict[str, Any]) -> Decimal:
    """The exact unit amount in minor units (unit_amount_decimal allows fractions of a cent)."""
    return Decimal(price["unit_amount_decimal"])


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _recurring(ctx: Ctx, value: dict[str, Any], prefix: str) -> dict[str, Any]:
    interval = value["interval"]
    count = value.get("interval_count", 1)
    if count < 1 or count > MAX_INTERVAL_COUNT[interval]:
        raise InvalidRequestError(
            f"Invalid {prefix}[interval_count]: the maximum billing period is three years "
            f"({MAX_INTERVAL_COUNT[interval]} {interval}s).", param=f"{prefix}[interval_count]")
    usage_type = value.get("usage_type", "licensed")
    if usage_type == "metered":
        if not value.get("meter"):
            raise InvalidRequestError(f"Missing required param: {prefix}[meter] (metered prices bill the usage "
                                      "of a billing meter).", param=f"{prefix}[meter]", code="parameter_missing")
        meter = common.require(ctx, "billing.meter", value["meter"], kind="billing meter",
                               param=f"{prefix}[meter]")
        if meter["status"] != "active":
            raise InvalidRequestError("A deactivated billing meter cannot be attached to a price.",
                                      param=f"{prefix}[meter]")
    elif value.get("meter"):
        raise InvalidRequestError(f"{prefix}[meter] is only allowed with {prefix}[usage_type]=metered.",
                                  param=f"{prefix}[meter]")
    return {"interval": interval, "interval_count": count, "meter": value.get("meter"),
            "trial_period_days": value.get("trial_period_days"), "usage_type": usage_type}


def _release_lookup_key(ctx: Ctx, lookup_key: str, transfer: bool, keep: str | None = None) -> None:
    rows = ctx.store.select(ctx.account_id, OBJECT, where="json_extract(data, '$.lookup_key') = ?",
                            args=(lookup_key,))
    for holder in rows:
        if holder["id"] == keep:
            continue
        if not transfer:
            raise InvalidRequestError(
                f"A price (`{holder['id']}`) already uses that lookup key.", param="lookup_key")
        common.save(ctx, holder, {**holder, "lookup_key": None})


def create(ctx: Ctx, params: dict[str, Any], *, param_prefix: str = "", price_id: str | None = None,
           event: str | None = None) -> dict[str, Any]:
    """`POST /v1/prices` (also `product.default_price_data` and plans). `product_data` creates the product
    first (product.created then price.created)."""
    def name(param: str) -> str:
        return f"{param_prefix}[{param}]" if param_prefix else param

    tiered = params.get("billing_scheme") == "tiered"
    if params.get("product") and params.get("product_data"):
        raise InvalidRequestError("You may only specify one of these parameters: product, product_data.",
                                  param=name("product_data"), code="parameters_exclusive")
    if params.get("product_data"):
        product = products.create(ctx, {k: v for k, v in params["product_data"].items()})
    elif params.get("product"):
        product = products.require(ctx, params["product"], param=name("product"))
    else:
        raise InvalidRequestError(f"Missing required param: {name('product')}.", param=name("product"),
                                  code="parameter_missing")
    amount: int | None = params.get("unit_amount")
    decimal_text = params.get("unit_amount_decimal")
    tiers = _tiers(params, name) if tiered else None
    if tiered:
        amount, decimal_text = None, None
    elif params.get("tiers") or params.get("tiers_mode"):
        raise InvalidRequestError("tiers and tiers_mode require billing_scheme=tiered.", param=name("tiers"))
    if tiered:
        exact = None
    elif amount is not None and decimal_text is not None:
        raise InvalidRequestError("You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
                                  param=name("unit_amount_decimal"), code="parameters_exclusive")
    elif amount is None and decimal_text is None:
        raise InvalidRequestError(f"Missing required param: {name('unit_amount')}.", param=name("unit_amount"),
                                  code="parameter_missing")
    elif amount is not None:
        if amount < 0:
            raise InvalidRequestError("This value must be greater than or equal to 0.", param=name("unit_amount"))
        exact = Decimal(amount)
    else:
        try:
            exact = Decimal(str(decimal_text))
        except InvalidOperation:
            raise InvalidRequestError(f"Invalid decimal: {decimal_text}", param=name("unit_amount_decimal")) from None
        if exact < 0:
            raise InvalidRequestError("This value must be greater than or equal to 0.",
                                      param=name("unit_amount_decimal"))
        amount = int(exact) if exact == exact.to_integral_value() else None
    currency = common.currency(params["currency"], name("currency"))
    recurring = _recurring(ctx, params["recurring"], name("recurring")) if params.get("recurring") else None
    lookup_key = common.or_none(params.get("lookup_key"))
    if lookup_key:
        _release_lookup_key(ctx, lookup_key, bool(params.get("transfer_lookup_key")))
    price = {
        "id": price_id or ids.new_id("price"),
        "object": OBJECT,
        "active": params.get("active", True),
        "billing_scheme": "tiered" if tiered else "per_unit",
        "created": ctx.now(),
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "nickname": common.or_none(params.get("nickname")),
        "product": product["id"],
        "recurring": recurring,
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": params.get("tiers_mode") if tiered else None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": _decimal_text(exact) if exact is not None else None,
    }
    if tiers is not None:
        price["tiers"] = tiers
    return common.create(ctx, price, owner=product["id"], event=event)


def _tiers(params: dict[str, Any], name: Any) -> list[dict[str, Any]]:
    """Validate `tiers[]` for billing_scheme=tiered: ascending `up_to`, the last one `inf`."""
    if params.get("tiers_mode") not in ("graduated", "volume"):
        raise InvalidRequestError(f"Missing required param: {name('tiers_mode')}.", param=name("tiers_mode"),
                                  code="parameter_missing")
    specs = params.get("tiers") or []
    if len(specs) < 1:
        raise InvalidRequestError(f"Missing required param: {name('tiers')}.", param=name("tiers"),
                                  code="parameter_missing")
    tiers, previous = [], 0
    for index, spec in enumerate(specs):
        up_to = None if spec["up_to"] == "inf" else int(spec["up_to"])
        last = index == len(specs) - 1
        if (up_to is None) != last or (up_to is not None and up_to <= previous):
            raise InvalidRequestError("Tiers must be in ascending order of up_to, and only the last tier may (and "
                                      "must) have up_to=inf.", param=f"{name('tiers')}[{index}][up_to]")
        unit = spec.get("unit_amount_decimal", spec.get("unit_amount"))
        flat = spec.get("flat_amount_decimal", spec.get("flat_amount"))
        tiers.append({
            "flat_amount": int(flat) if flat is not None and Decimal(str(flat)) == int(Decimal(str(flat))) else None,
            "flat_amount_decimal": _decimal_text(Decimal(str(flat))) if flat is not None else None,
            "unit_amount": int(unit) if unit is not None and Decimal(str(unit)) == int(Decimal(str(unit))) else None,
            "unit_amount_decimal": _decimal_text(Decimal(str(unit))) if unit is not None else None,
            "up_to": up_to,
        })
        previous = up_to or previous
    return tiers


def update(ctx: Ctx, price_id: str, params: dict[str, Any], *, event: str | None = None) -> dict[str, Any]:
    """`POST /v1/prices/{id}`: active, nickname, lookup_key (+transfer_lookup_key), tax_behavior, metadata."""
    before = require(ctx, price_id)
    price = dict(before)
    if "active" in params:
        price["active"] = params["active"]
    if "nickname" in params:
        price["nickname"] = common.or_none(params["nickname"])
    if "tax_behavior" in params:
        if before["tax_behavior"] != "unspecified" and params["tax_behavior"] != before["tax_behavior"]:
            raise InvalidRequestError("tax_behavior cannot be changed once it is set to inclusive or exclusive.",
                                      param="tax_behavior")
        price["tax_behavior"] = params["tax_behavior"]
    if "lookup_key" in params:
        key = common.or_none(params["lookup_key"])
        if key:
            _release_lookup_key(ctx, key, bool(params.get("transfer_lookup_key")), keep=price_id)
        price["lookup_key"] = key
    if "metadata" in params:
        price["metadata"] = common.apply_metadata(price["metadata"], params["metadata"])
    return common.save(ctx, before, price, event=event)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/prices` with active, currency, product, type, lookup_keys[] and recurring filters."""
    lookup_keys = set(params.get("lookup_keys") or [])
    recurring = params.get("recurring") or {}

    def keep(price: dict[str, Any]) -> bool:
        if lookup_keys and price.get("lookup_key") not in lookup_keys:
            return False
        for key in ("active", "currency", "type"):
            if key in params and price.get(key) != params[key]:
                return False
        if recurring:
            if price["recurring"] is None:
                return False
            if any(price["recurring"].get(key) != value for key, value in recurring.items()):
                return False
        return True

    filtered = bool(lookup_keys or recurring or any(k in params for k in ("active", "currency", "type")))
    return common.list_objects(ctx, OBJECT, params, "/v1/prices", columns={"product": "owner"},
                               post_filter=keep if filtered else None)
