"""Discount objects (`di_...`): a coupon (optionally through a promotion code) applied to a customer or a
subscription. `end` is set for repeating coupons (start + duration_in_months); discounts are not
retrievable by id through the API (expand `discounts` on their owner)."""

from __future__ import annotations

from typing import Any

from emulator import events, ids
from emulator.billing import periods
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, coupons, promotion_codes

OBJECT = "discount"


def create(ctx: Ctx, spec: dict[str, Any], *, customer: str, subscription: str | None, param: str,
           start: int | None = None, amount: int | None = None, currency: str | None = None,
           update: bool = False, reusable_from: str | None = None) -> dict[str, Any]:
    """A discount from `{coupon}` / `{promotion_code}` / `{discount}` (an existing one of the customer, the
    subscription or `reusable_from`, reused). `update`: added by a subscription update, where codes with an
    amount restriction are refused."""
    if spec.get("discount"):
        # Only a discount already on the object or one of its ancestors (its subscription, its customer).
        reused = common.require(ctx, OBJECT, spec["discount"], kind="discount", param=f"{param}[discount]")
        if reused.get("deleted") or reused["customer"] != customer or \
                reused["subscription"] not in (None, subscription, reusable_from):
            raise InvalidRequestError(f"The discount {reused['id']} can only be reused on the object it belongs to "
                                      "or its customer.", param=f"{param}[discount]")
        return reused
    promo_id = None
    if spec.get("promotion_code"):
        promo = promotion_codes.require(ctx, spec["promotion_code"], param=f"{param}[promotion_code]")
        if update:
            promotion_codes.check_applicable_later(ctx, promo, customer, param=f"{param}[promotion_code]")
        else:
            promotion_codes.check_redeemable(ctx, promo, customer, amount, currency, param=f"{param}[promotion_code]")
        coupon_id = promo["promotion"]["coupon"]
        promo_id = promo["id"]
        promotion_codes.redeem(ctx, promo_id)
        coupon = coupons.require(ctx, coupon_id)
    elif spec.get("coupon"):
        coupon = coupons.redeem(ctx, spec["coupon"], param=f"{param}[coupon]")
    else:
        raise InvalidRequestError("Each discount needs a coupon, promotion_code or discount.", param=param)
    start = start if start is not None else ctx.now()
    end = None
    if coupon["duration"] == "repeating":
        end = periods.boundary(start, "month", coupon["duration_in_months"], 1)
    discount = {
        "id": ids.new_id("di"),
        "object": OBJECT,
        "checkout_session": None,
        "customer": customer,
        "customer_account": None,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promo_id,
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": start,
        "subscription": subscription,
        "subscription_item": None,
    }
    return common.create(ctx, discount, customer=customer, owner=subscription, event="")


def resolve_list(ctx: Ctx, specs: Any, *, customer: str, subscription: str | None, param: str = "discounts",
                 amount: int | None = None, currency: str | None = None, update: bool = False,
                 start: int | None = None, reusable_from: str | None = None) -> list[str]:
    """Discount ids for a `discounts[]` parameter (at most 20, no duplicate coupons). `start`: when new
    discounts begin (a backdated subscription's start; now by default)."""
    if not specs:
        return []
    if len(specs) > 20:
        raise InvalidRequestError("You may apply at most 20 discounts.", param=param)
    result: list[str] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        discount = create(ctx, spec, customer=customer, subscription=subscription, param=f"{param}[{index}]",
                          amount=amount, currency=currency, update=update, start=start, reusable_from=reusable_from)
        coupon_id = discount["source"]["coupon"]
        if coupon_id in seen:
            raise InvalidRequestError("The same coupon cannot be applied twice.", param=f"{param}[{index}]")
        seen.add(coupon_id)
        result.append(discount["id"])
    return result


def attach(ctx: Ctx, discount_ids: list[str], subscription_id: str) -> None:
    """Point new discounts at their subscription once it exists, and emit customer.discount.created."""
    for discount_id in discount_ids:
        discount = ctx.store.get(ctx.account_id, discount_id, OBJECT)
        if discount is None:
            continue
        if discount["subscription"] != subscription_id:
            discount = {**discount, "subscription": subscription_id}
            ctx.store.update(ctx.account_id, discount, owner=subscription_id)
        events.emit(ctx, "customer.discount.created", discount)


def attach_to_invoice(ctx: Ctx, discount_ids: list[str], invoice_id: str) -> None:
    """Discounts applied directly to an invoice name it (`invoice`)."""
    for discount_id in discount_ids:
        discount = ctx.store.get(ctx.account_id, discount_id, OBJECT)
        if discount is not None and discount["subscription"] is None and discount["invoice"] is None:
            ctx.store.update(ctx.account_id, {**discount, "invoice": invoice_id})


def remove(ctx: Ctx, discount_id: str) -> None:
    """A discount ends (expired repeating coupon, once coupon used, or deleted): customer.discount.deleted."""
    discount = ctx.store.get(ctx.account_id, discount_id, OBJECT)
    if discount is None or discount.get("deleted"):
        return
    ctx.store.mark_deleted(ctx.account_id, discount)
    events.emit(ctx, "customer.discount.deleted", discount)


def coupon_of(ctx: Ctx, discount_id: str) -> dict[str, Any] | None:
    discount = ctx.store.get(ctx.account_id, discount_id, OBJECT)
    if discount is None:
        return None
    return ctx.store.get(ctx.account_id, discount["source"]["coupon"], "coupon")


def active_at(ctx: Ctx, discount_id: str, moment: int) -> bool:
    discount = ctx.store.get(ctx.account_id, discount_id, OBJECT)
    return discount is not None and not discount.get("deleted") and (discount["end"] is None or
                                                                       moment < discount["end"])
