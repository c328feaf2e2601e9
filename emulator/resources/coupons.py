"""Coupons (`/v1/coupons`): percent_off or amount_off (+currency, currency_options), duration once /
repeating (duration_in_months) / forever, max_redemptions, redeem_by, applies_to.products.

`valid` is derived whenever a coupon is read or redeemed: false once redeem_by has passed or
times_redeemed reached max_redemptions. Deleting a coupon blocks new redemptions; discounts already
applied keep working, as in Stripe."""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "coupon"
CREATE_PARAMS = ("amount_off", "applies_to", "currency", "currency_options", "duration", "duration_in_months",
                 "id", "max_redemptions", "metadata", "name", "percent_off", "redeem_by")
UPDATE_PARAMS = ("currency_options", "metadata", "name")
FIVE_YEARS = 5 * 366 * 86400


def is_valid(coupon: dict[str, Any], now: int) -> bool:
    """Stripe's `valid`: redeemable now."""
    if coupon.get("deleted"):
        return False
    if coupon.get("redeem_by") is not None and now > coupon["redeem_by"]:
        return False
    if coupon.get("max_redemptions") is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]:
        return False
    return True


def amount_off_in(coupon: dict[str, Any], currency: str) -> int | None:
    """What an `amount_off` coupon takes off in `currency`: its own amount in its currency, else its
    `currency_options` entry; None when it has neither (Stripe ignores such a coupon on that invoice)."""
    if coupon.get("amount_off") is None:
        return None
    if coupon.get("currency") == currency:
        return coupon["amount_off"]
    return ((coupon.get("currency_options") or {}).get(currency) or {}).get("amount_off")


def _view(ctx: Ctx, coupon: dict[str, Any]) -> dict[str, Any]:
    return {**coupon, "valid": is_valid(coupon, ctx.now())}


def require(ctx: Ctx, coupon_id: str, param: str | None = None) -> dict[str, Any]:
    """The coupon (with `valid` as of now), or `No such coupon: 'X'`."""
    return _view(ctx, common.require(ctx, OBJECT, coupon_id, kind="coupon", param=param))


def _currency_options(value: Any, base_currency: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    options = {currency.lower(): {"amount_off": option["amount_off"]} for currency, option in value.items()}
    options.pop(base_currency or "", None)
    return options


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/coupons` with Stripe's validation of the discount and duration combinations."""
    coupon_id = params.get("id") or ids.coupon_code()
    if ctx.store.exists(ctx.account_id, coupon_id):
        raise InvalidRequestError("Coupon already exists.", param="id", code="resource_already_exists")
    percent, amount = params.get("percent_off"), params.get("amount_off")
    if percent is None and amount is None:
        raise InvalidRequestError("Must provide either amount_off or percent_off.", param="percent_off")
    if percent is not None and amount is not None:
        raise InvalidRequestError("You may only specify one of these parameters: amount_off, percent_off.",
                                  param="percent_off", code="parameters_exclusive")
    if percent is not None and not 0 < percent <= 100:
        raise InvalidRequestError("Invalid percent_off: must be greater than 0 and at most 100.",
                                  param="percent_off")
    currency = common.currency(params["currency"]) if params.get("currency") else None
    if amount is not None:
        if amount < 1:
            raise InvalidRequestError("Invalid amount_off: must be at least 1.", param="amount_off")
        if not currency:
            raise InvalidRequestError("You must pass currency when passing amount_off.", param="currency",
                                      code="parameter_missing")
    elif currency:
        raise InvalidRequestError("currency can only be set with amount_off.", param="currency")
    if params.get("currency_options") and amount is None:
        raise InvalidRequestError("currency_options can only be set with amount_off.", param="currency_options")
    duration = params.get("duration", "once")
    months = params.get("duration_in_months")
    if duration == "repeating" and not months:
        raise InvalidRequestError("You must pass duration_in_months when duration is repeating.",
                                  param="duration_in_months", code="parameter_missing")
    if duration != "repeating" and months is not None:
        raise InvalidRequestError("duration_in_months can only be set when duration is repeating.",
                                  param="duration_in_months")
    if months is not None and months < 1:
        raise InvalidRequestError("Invalid duration_in_months: must be at least 1.", param="duration_in_months")
    now = ctx.now()
    redeem_by = params.get("redeem_by")
    if redeem_by is not None and not now < redeem_by <= now + FIVE_YEARS:
        raise InvalidRequestError("Invalid redeem_by: must be in the future and at most five years away.",
                                  param="redeem_by")
    max_redemptions = params.get("max_redemptions")
    if max_redemptions is not None and max_redemptions < 1:
        raise InvalidRequestError("Invalid max_redemptions: must be at least 1.", param="max_redemptions")
    applies_to = None
    if params.get("applies_to"):
        product_ids = list((params["applies_to"] or {}).get("products") or [])
        for index, product_id in enumerate(product_ids):
            common.require(ctx, "product", product_id, kind="product", param=f"applies_to[products][{index}]")
        applies_to = {"products": product_ids}
    coupon: dict[str, Any] = {
        "id": coupon_id,
        "object": OBJECT,
        "amount_off": amount,
        "created": now,
        "currency": currency.lower() if currency else None,
        "duration": duration,
        "duration_in_months": months,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "name": common.or_none(params.get("name")),
        "percent_off": float(percent) if percent is not None else None,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": True,
    }
    if applies_to is not None:
        coupon["applies_to"] = applies_to
    options = _currency_options(params.get("currency_options"), coupon["currency"])
    if options:
        coupon["currency_options"] = options
    return common.create(ctx, coupon)


def update(ctx: Ctx, coupon_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/coupons/{id}`: only name, metadata and currency_options change after creation."""
    before = common.require(ctx, OBJECT, coupon_id, kind="coupon")
    coupon = dict(before)
    if "name" in params:
        coupon["name"] = common.or_none(params["name"])
    if "metadata" in params:
        coupon["metadata"] = common.apply_metadata(coupon["metadata"], params["metadata"])
    if params.get("currency_options"):
        if coupon["amount_off"] is None:
            raise InvalidRequestError("currency_options can only be set with amount_off.",
                                      param="currency_options")
        coupon["currency_options"] = {**(coupon.get("currency_options") or {}),
                                      **(_currency_options(params["currency_options"], coupon["currency"]) or {})}
    return _view(ctx, common.save(ctx, before, coupon))


def delete(ctx: Ctx, coupon_id: str) -> dict[str, Any]:
    """`DELETE /v1/coupons/{id}`: no new redemptions; existing discounts keep it."""
    coupon = common.require(ctx, OBJECT, coupon_id, kind="coupon")
    return common.delete(ctx, coupon)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    result = common.list_objects(ctx, OBJECT, params, "/v1/coupons")
    result["data"] = [_view(ctx, coupon) for coupon in result["data"]]
    return result


def redeem(ctx: Ctx, coupon_id: str, param: str) -> dict[str, Any]:
    """Count a redemption (a discount created from the coupon); refused once it is no longer valid with
    Stripe's coupon_expired. Stripe emits no event for times_redeemed changes."""
    coupon = common.require(ctx, OBJECT, coupon_id, kind="coupon", param=param)
    if not is_valid(coupon, ctx.now()):
        raise InvalidRequestError(f"Coupon {coupon_id} is no longer valid.", param=param, code="coupon_expired")
    redeemed = {**coupon, "times_redeemed": coupon["times_redeemed"] + 1}
    ctx.store.update(ctx.account_id, redeemed)
    return _view(ctx, redeemed)
