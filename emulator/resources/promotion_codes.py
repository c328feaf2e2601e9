"""Promotion codes (`/v1/promotion_codes`): customer-facing codes for a coupon (endive:
`promotion{type: "coupon", coupon}`), with restrictions (first_time_transaction, minimum_amount), expiry,
max_redemptions and an optional customer. Codes are case-insensitive and unique among active codes
(a customer-restricted code may reuse the string of another customer's code)."""

from __future__ import annotations

import re
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, coupons
from emulator.versions import request_change

OBJECT = "promotion_code"
CREATE_PARAMS = ("active", "code", "customer", "expires_at", "max_redemptions", "metadata", "promotion",
                 "restrictions")
UPDATE_PARAMS = ("active", "metadata", "restrictions.currency_options")
LIST_PARAMS = (*common.LIST_PARAMS, "active", "code", "coupon", "customer")
_CODE = re.compile(r"^[a-zA-Z0-9-]{1,500}$")


@request_change("2025-09-30.clover", "POST /v1/promotion_codes")
def coupon_param_to_promotion(params: dict[str, Any]) -> dict[str, Any]:
    """Before clover, promotion codes were created with `coupon=X`."""
    if "coupon" in params and "promotion" not in params:
        coupon = params["coupon"]
        params = {key: value for key, value in params.items() if key != "coupon"}
        params["promotion"] = {"type": "coupon", "coupon": coupon}
    return params


def _active_now(ctx: Ctx, promo: dict[str, Any]) -> bool:
    if not promo["active"]:
        return False
    if promo.get("expires_at") is not None and ctx.now() >= promo["expires_at"]:
        return False
    if promo.get("max_redemptions") is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
        return False
    coupon = ctx.store.get(ctx.account_id, promo["promotion"]["coupon"], "coupon")
    return coupon is not None and coupons.is_valid(coupon, ctx.now())


def _view(ctx: Ctx, promo: dict[str, Any]) -> dict[str, Any]:
    # A code that expired, ran out or whose coupon became invalid is permanently inactive.
    return {**promo, "active": _active_now(ctx, promo)}


def require(ctx: Ctx, promo_id: str, param: str | None = None) -> dict[str, Any]:
    return _view(ctx, common.require(ctx, OBJECT, promo_id, kind="promotion code", param=param))


def _restrictions(value: Any) -> dict[str, Any]:
    value = value or {}
    minimum = value.get("minimum_amount")
    currency = value.get("minimum_amount_currency")
    if minimum is not None and not currency:
        raise InvalidRequestError("You must pass minimum_amount_currency with minimum_amount.",
                                  param="restrictions[minimum_amount_currency]", code="parameter_missing")
    restrictions: dict[str, Any] = {
        "currency_options": {c.lower(): {"minimum_amount": o["minimum_amount"]}
                             for c, o in (value.get("currency_options") or {}).items()},
        "first_time_transaction": bool(value.get("first_time_transaction", False)),
        "minimum_amount": minimum,
        "minimum_amount_currency": common.currency(currency, "restrictions[minimum_amount_currency]")
        if currency else None,
    }
    return restrictions


def _code_taken(ctx: Ctx, code: str, customer: str | None, except_id: str | None = None) -> bool:
    rows = ctx.store.select(ctx.account_id, OBJECT, where="lower(json_extract(data, '$.code')) = ?",
                            args=(code.lower(),))
    for promo in rows:
        if promo["id"] == except_id or not _active_now(ctx, promo):
            continue
        if customer is None or promo.get("customer") is None or promo.get("customer") == customer:
            return True
    return False


def find_by_code(ctx: Ctx, code: str, customer_id: str) -> dict[str, Any] | None:
    """The active code a customer types (case-insensitive), one for anyone or for this customer."""
    for promo in ctx.store.select(ctx.account_id, OBJECT, where="lower(json_extract(data, '$.code')) = ?",
                                  args=(code.strip().lower(),)):
        if _active_now(ctx, promo) and promo.get("customer") in (None, customer_id):
            return promo
    return None


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/promotion_codes` (`promotion[type]=coupon&promotion[coupon]=X`; `coupon=X` before clover)."""
    promotion = params["promotion"]
    coupon = coupons.require(ctx, promotion.get("coupon") or "", param="promotion[coupon]")
    if not coupon["valid"]:
        raise InvalidRequestError(f"Coupon {coupon['id']} is no longer valid.", param="promotion[coupon]",
                                  code="coupon_expired")
    customer = params.get("customer")
    if customer:
        common.require(ctx, "customer", customer, param="customer")
    code = params.get("code") or ids.coupon_code()
    if not _CODE.match(code):
        raise InvalidRequestError("Promotion codes may contain only letters, digits and dashes.", param="code")
    if _code_taken(ctx, code, customer):
        raise InvalidRequestError(f"An active promotion code with `code: {code}` already exists.", param="code",
                                  code="resource_already_exists")
    expires_at = params.get("expires_at")
    if expires_at is not None:
        if expires_at <= ctx.now():
            raise InvalidRequestError("Invalid expires_at: must be in the future.", param="expires_at")
        if coupon.get("redeem_by") is not None and expires_at > coupon["redeem_by"]:
            raise InvalidRequestError("The promotion code's expires_at must be on or before the coupon's redeem_by.",
                                      param="expires_at")
    max_redemptions = params.get("max_redemptions")
    if max_redemptions is not None:
        if max_redemptions < 1:
            raise InvalidRequestError("Invalid max_redemptions: must be at least 1.", param="max_redemptions")
        if coupon.get("max_redemptions") is not None and max_redemptions > coupon["max_redemptions"]:
            raise InvalidRequestError("The promotion code's max_redemptions cannot exceed the coupon's.",
                                      param="max_redemptions")
    promo = {
        "id": ids.new_id("promo"),
        "object": OBJECT,
        "active": params.get("active", True),
        "code": code,
        "created": ctx.now(),
        "customer": customer,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "restrictions": _restrictions(params.get("restrictions")),
        "times_redeemed": 0,
    }
    return _view(ctx, common.create(ctx, promo, customer=customer))


def update(ctx: Ctx, promo_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/promotion_codes/{id}`: active, metadata, restrictions.currency_options. A code cannot be
    reactivated once its coupon is invalid or it expired / ran out."""
    before = common.require(ctx, OBJECT, promo_id, kind="promotion code")
    promo = dict(before)
    if "active" in params:
        if params["active"] and not before["active"]:
            if _code_taken(ctx, before["code"], before.get("customer"), except_id=promo_id):
                raise InvalidRequestError(f"An active promotion code with `code: {before['code']}` already exists.",
                                          param="active")
            if not _active_now(ctx, {**before, "active": True}):
                raise InvalidRequestError("This promotion code cannot be reactivated: it expired, reached its "
                                          "maximum redemptions, or its coupon is no longer valid.", param="active")
        promo["active"] = params["active"]
    if "metadata" in params:
        promo["metadata"] = common.apply_metadata(promo["metadata"], params["metadata"])
    if (params.get("restrictions") or {}).get("currency_options"):
        promo["restrictions"] = {**promo["restrictions"], "currency_options": {
            **promo["restrictions"]["currency_options"],
            **{c.lower(): {"minimum_amount": o["minimum_amount"]}
               for c, o in params["restrictions"]["currency_options"].items()}}}
    return _view(ctx, common.save(ctx, before, promo))


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/promotion_codes` with active, code, coupon and customer filters."""
    def keep(promo: dict[str, Any]) -> bool:
        if "code" in params and promo["code"].lower() != params["code"].lower():
            return False
        if "coupon" in params and promo["promotion"]["coupon"] != params["coupon"]:
            return False
        if "customer" in params and promo.get("customer") != params["customer"]:
            return False
        if "active" in params and _active_now(ctx, promo) != params["active"]:
            return False
        return True

    result = common.list_objects(ctx, OBJECT, params, "/v1/promotion_codes", post_filter=keep)
    result["data"] = [_view(ctx, promo) for promo in result["data"]]
    return result


def check_redeemable(ctx: Ctx, promo: dict[str, Any], customer_id: str, amount: int | None, currency: str | None,
                     *, param: str) -> None:
    """Stripe's restrictions at redemption: active, the right customer, first-time customers only, and a
    minimum amount (checked against the first payment)."""
    check_applicable(ctx, promo, customer_id, param=param)
    restrictions = promo["restrictions"]
    minimum = restrictions.get("minimum_amount")
    if minimum is not None and amount is not None:
        if currency and currency != restrictions.get("minimum_amount_currency"):
            minimum = (restrictions["currency_options"].get(currency) or {}).get("minimum_amount", minimum)
        if amount < minimum:
            raise InvalidRequestError(
                f"This promotion code cannot be redeemed because the minimum amount of {minimum} was not met.",
                param=param)


def check_applicable_later(ctx: Ctx, promo: dict[str, Any], customer_id: str, *, param: str) -> None:
    """Where no first payment is made (a subscription update, a future schedule phase), Stripe refuses codes
    with an amount restriction, besides its other rules."""
    check_applicable(ctx, promo, customer_id, param=param)
    refuse_amount_restriction(promo, param=param)


def refuse_amount_restriction(promo: dict[str, Any], *, param: str) -> None:
    """Codes with a minimum amount apply only where a first payment is made (Stripe's wording is not known;
    this message is the emulator's)."""
    if promo["restrictions"].get("minimum_amount") is not None:
        raise InvalidRequestError("This promotion code has a minimum amount restriction and can only be redeemed "
                                  "on a new subscription or a one-time payment.", param=param)


def check_applicable(ctx: Ctx, promo: dict[str, Any], customer_id: str, *, param: str) -> None:
    """Active, the right customer, first-time customers only."""
    if not _active_now(ctx, promo):
        raise InvalidRequestError("This promotion code cannot be redeemed because it is inactive.", param=param)
    if promo.get("customer") and promo["customer"] != customer_id:
        raise InvalidRequestError("This promotion code cannot be redeemed by this customer.", param=param)
    if promo["restrictions"]["first_time_transaction"] and _has_prior_transactions(ctx, customer_id):
        raise InvalidRequestError("This promotion code cannot be redeemed because the associated customer has "
                                  "prior transactions.", param=param)


def _has_prior_transactions(ctx: Ctx, customer_id: str) -> bool:
    for object_type in ("payment_intent", "subscription", "invoice"):
        if ctx.store.count(ctx.account_id, object_type, where="customer = ?", args=(customer_id,)):
            return True
    return False


def redeem(ctx: Ctx, promo_id: str) -> dict[str, Any]:
    """Count a redemption of the code (and of its coupon)."""
    promo = common.require(ctx, OBJECT, promo_id, kind="promotion code")
    redeemed = {**promo, "times_redeemed": promo["times_redeemed"] + 1}
    ctx.store.update(ctx.account_id, redeemed)
    coupons.redeem(ctx, promo["promotion"]["coupon"], param="promotion_code")
    return _view(ctx, redeemed)
