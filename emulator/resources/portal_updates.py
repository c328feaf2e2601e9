"""What the customer portal shows and does for a customer's subscriptions (the portal pages only render it).

The plan change follows the session's configuration (`features.subscription_update`):

* the customer picks one of the configured products' prices (and a quantity when the product's
  `adjustable_quantity` and `default_allowed_updates` allow it);
* when no `schedule_at_period_end` condition matches, the change is the API's subscription update, with
  the configuration's `proration_behavior` (and `billing_cycle_anchor=now`, `trial_end=now` for
  `trial_update_behavior=end_trial`, when so configured);
* when a condition matches (`decreasing_item_amount`: the new item costs less per unit of time;
  `shortening_interval`: the new interval is shorter), nothing changes now: the portal creates (or updates)
  a subscription schedule whose current phase keeps today's items to the period end and whose next phase
  has the new ones (`end_behavior=release`), marked internally as the portal's;
* a later portal change replaces the pending phase, an immediate one releases the schedule first, and
  choosing the current plan again releases it (the pending change is dropped);
* a subscription managed by a schedule the portal did not create cannot be changed in the portal while
  the schedule has phases to come, as Stripe documents.

The confirm page's figures come from `invoices/create_preview` run on the same update parameters (for a
scheduled change, on the schedule itself inside a rolled-back savepoint), so they agree with what the
change then bills.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import (billing_portal_configurations as configurations, common, discounts, invoices,
                                metered_usage, previews, promotion_codes, subscription_schedules as schedules,
                                subscriptions)

UPDATABLE_STATUSES = ("active", "trialing", "past_due")
SHOWN_STATUSES = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")
# Statuses whose card says when the subscription renews; the others show a status badge instead (a paused
# subscription does not renew, an incomplete one waits for its first payment, past_due and unpaid ones for an
# overdue invoice).
RENEWING_STATUSES = ("active", "trialing")
STATUS_BADGES = {"past_due": "home.past_due", "paused": "home.paused", "incomplete": "home.incomplete",
                 "unpaid": "home.unpaid"}
# The invoice history's first page; each "View more" shows as many rows again.
INVOICE_PAGE = 10
# Interval lengths in months, to compare prices of different intervals over the same span of time.
_MONTHS = {"day": Fraction(12, 365), "week": Fraction(84, 365), "month": Fraction(1), "year": Fraction(12)}


def english(key: str, **values: Any) -> str:
    """A text of the portal's message catalogue in English (imported late: the portal package imports this
    module)."""
    from emulator.portal.messages import EN

    return EN[key].format(**values)


class PortalError(InvalidRequestError):
    """A portal action that cannot be done, named by its key in the portal's message catalogue: the portal's
    error page words it in the page's language; `message` is the English text (also used when a deep link's
    flow_data is refused by the API)."""

    def __init__(self, key: str, *, http_status: int | None = None, param: str | None = None,
                 **values: Any) -> None:
        super().__init__(english(key, **values), http_status=http_status, param=param)
        self.message_key = key
        self.message_values = values


def _length(recurring: dict[str, Any]) -> Fraction:
    return _MONTHS[recurring["interval"]] * recurring["interval_count"]


def _product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    return ctx.store.get(ctx.account_id, product_id, "product") or {"id": product_id, "name": product_id,
                                                                      "description": None}


def product_name(ctx: Ctx, subscription: dict[str, Any]) -> str:
    """How the portal names a subscription's plan: its (first) item's product."""
    product_id = subscription["items"]["data"][0]["price"]["product"]
    return (ctx.store.get(ctx.account_id, product_id, "product") or {}).get("name") or product_id


def plan_of(ctx: Ctx, price: dict[str, Any], quantity: int | None) -> dict[str, Any]:
    """A price as the portal shows it: the price, its product, the quantity and the period's amount."""
    product = _product(ctx, price["product"])
    return {"price": price, "product": product, "quantity": quantity,
            "amount": subscriptions.item_amount(price, quantity or 1)}


def _live_schedule(ctx: Ctx, subscription: dict[str, Any]) -> dict[str, Any] | None:
    if not subscription.get("schedule"):
        return None
    schedule = ctx.store.get(ctx.account_id, subscription["schedule"], schedules.OBJECT)
    return schedule if schedule is not None and schedule["status"] in schedules.LIVE else None


def _future_phases(ctx: Ctx, schedule: dict[str, Any]) -> list[dict[str, Any]]:
    now = ctx.time_for(schedule["test_clock"])
    return [phase for phase in schedule["phases"] if phase["start_date"] > now]


def portal_schedule(ctx: Ctx, subscription: dict[str, Any]) -> dict[str, Any] | None:
    """The live schedule the portal created for a pending plan change, if any."""
    schedule = _live_schedule(ctx, subscription)
    if schedule is not None and schedules.origin_of(ctx, schedule["id"]) == "portal":
        return schedule
    return None


def locked(ctx: Ctx, subscription: dict[str, Any]) -> bool:
    """A schedule the portal did not create, with phases still to come, locks the subscription."""
    schedule = _live_schedule(ctx, subscription)
    return schedule is not None and schedules.origin_of(ctx, schedule["id"]) != "portal" and \
        bool(_future_phases(ctx, schedule))


def _update_feature(configuration: dict[str, Any]) -> dict[str, Any]:
    return configuration["features"]["subscription_update"]


def offers_changes(configuration: dict[str, Any]) -> bool:
    """Whether the configuration offers "Update plan" (enabled, with products, prices or quantities)."""
    feature = _update_feature(configuration)
    return feature["enabled"] and bool(feature["products"]) and \
        bool({"price", "quantity"} & set(feature["default_allowed_updates"]))


def single_licensed_item(subscription: dict[str, Any]) -> dict[str, Any] | None:
    """The one item the portal can change: several items, metered prices and `send_invoice` collection make a
    subscription cancel-only in Stripe's portal."""
    items = subscription["items"]["data"]
    if len(items) != 1 or metered_usage.is_metered(items[0]["price"]):
        return None
    if subscription["collection_method"] != "charge_automatically":
        return None
    return items[0]


def _pending_change(ctx: Ctx, subscription: dict[str, Any]) -> dict[str, Any] | None:
    schedule = portal_schedule(ctx, subscription)
    if schedule is None:
        return None
    future = _future_phases(ctx, schedule)
    if not future:
        return None
    phase = future[0]
    item = phase["items"][0]
    price = ctx.store.get(ctx.account_id, item["price"], "price")
    return {**plan_of(ctx, price, item.get("quantity")), "date": phase["start_date"], "schedule": schedule["id"]}


def overview(ctx: Ctx, session: dict[str, Any], invoice_rows: int = INVOICE_PAGE) -> dict[str, Any]:
    """The portal's home page: the customer, the configuration, each subscription that has not ended (plan,
    price, discounts with their promotion codes, renewal date or status badge, a pending scheduled change,
    whether "Update plan", "Cancel plan" or "Renew" is offered or the subscription is locked by a schedule)
    and, when the configuration shows it, the invoice history's first `invoice_rows` rows (see
    `invoice_history`)."""
    from emulator.resources import portal_cancellations

    customer = common.require(ctx, "customer", session["customer"])
    configuration = configurations.require(ctx, session["configuration"])
    cards = []
    for subscription in ctx.store.select(ctx.account_id, subscriptions.OBJECT, where="customer = ?",
                                         args=(customer["id"],)):
        if subscription["status"] not in SHOWN_STATUSES:
            continue
        item = subscription["items"]["data"][0]
        is_locked = locked(ctx, subscription)
        _, period_end = subscriptions.current_period(subscription)
        cards.append({
            "subscription": subscription,
            "plans": [plan_of(ctx, i["price"], i.get("quantity")) for i in subscription["items"]["data"]],
            "plan": plan_of(ctx, item["price"], item.get("quantity")),
            "discounts": discount_views(ctx, subscription),
            "renews_at": None if subscription.get("cancel_at") or subscription["status"] not in RENEWING_STATUSES
            else period_end,
            "badge": STATUS_BADGES.get(subscription["status"]),
            "pending": _pending_change(ctx, subscription),
            "can_update": update_problem(ctx, configuration, subscription) is None,
            "can_cancel": portal_cancellations.cancel_problem(ctx, configuration, subscription) is None,
            "can_renew": portal_cancellations.renew_problem(ctx, configuration, subscription) is None,
            "locked_message": english("home.locked") if is_locked and (
                offers_changes(configuration) or portal_cancellations.offers_cancellation(configuration)) else None,
        })
    history: list[dict[str, Any]] = []
    more_rows = None
    if configuration["features"]["invoice_history"]["enabled"]:
        history, more_rows = invoice_history(ctx, customer["id"], invoice_rows)
    return {"customer": customer, "configuration": configuration, "subscriptions": cards, "invoices": history,
            "more_invoices": more_rows}


def invoice_history(ctx: Ctx, customer_id: str, rows: int) -> tuple[list[dict[str, Any]], int | None]:
    """The portal's invoice history: the customer's invoices newest first, drafts left out, `rows` of them,
    and how many rows "View more" shows (None when there are no more)."""
    found = ctx.store.select(ctx.account_id, "invoice", where="customer = ? AND json_extract(data, '$.status') != ?",
                             args=(customer_id, "draft"), limit=rows + 1)
    return found[:rows], (rows + INVOICE_PAGE if len(found) > rows else None)


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon takes off and for how long (`20% off for 3 months`, `$5.00 off once`, `10% off
    forever`); the portal words it in the page's language (emulator.portal.i18n.Translator.coupon_terms)."""

    percent_off: float | None
    amount_off: int | None
    currency: str | None
    duration: str
    months: int | None


def coupon_terms(coupon: dict[str, Any], currency: str) -> CouponTerms:
    """The coupon's terms for a subscription in `currency` (an amount_off coupon in the currency's option)."""
    amount, code = coupon.get("amount_off"), coupon.get("currency")
    if coupon.get("percent_off") is None:
        option = (coupon.get("currency_options") or {}).get(currency)
        if code != currency and option:
            amount, code = option["amount_off"], currency
    return CouponTerms(coupon.get("percent_off"), amount, code, coupon["duration"], coupon.get("duration_in_months"))


def discount_view(ctx: Ctx, spec: dict[str, Any], currency: str) -> dict[str, Any]:
    """A `{coupon}` / `{promotion_code}` about to be applied, named as the portal shows it."""
    label = None
    coupon_id = spec.get("coupon")
    if spec.get("promotion_code"):
        promo = common.require(ctx, "promotion_code", spec["promotion_code"], kind="promotion code")
        label, coupon_id = promo["code"], promo["promotion"]["coupon"]
    coupon = common.require(ctx, "coupon", str(coupon_id))
    return {"name": label or coupon.get("name") or coupon["id"], "terms": coupon_terms(coupon, currency)}


def discount_views(ctx: Ctx, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's discounts as the portal lists them: the coupon's name and terms, and the promotion
    code it was redeemed with (Stripe shows customers the codes and coupons active on each subscription)."""
    views = []
    for discount_id in subscription["discounts"]:
        coupon = discounts.coupon_of(ctx, discount_id)
        if coupon is not None:
            views.append({"id": discount_id, "name": coupon.get("name") or coupon["id"],
                          "code": _promotion_code(ctx, discount_id),
                          "terms": coupon_terms(coupon, subscription["currency"])})
    return views


def _promotion_code(ctx: Ctx, discount_id: str) -> str | None:
    """The customer-facing code of the promotion code a discount came from (None for a plain coupon)."""
    discount = ctx.store.get(ctx.account_id, discount_id, discounts.OBJECT) or {}
    promo = ctx.store.get(ctx.account_id, discount["promotion_code"], "promotion_code") \
        if discount.get("promotion_code") else None
    return promo["code"] if promo else None


def owned_subscription(ctx: Ctx, session: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    """One of the session customer's subscriptions (any other id is "not found" in the portal)."""
    subscription = ctx.store.get(ctx.account_id, subscription_id, subscriptions.OBJECT)
    if subscription is None or subscription["customer"] != session["customer"]:
        raise PortalError("refusal.subscription_not_found", http_status=404)
    return subscription


def pending_cancellation(subscription: dict[str, Any]) -> bool:
    """Set to cancel later (at the period end or at a `cancel_at`)."""
    return subscription["status"] not in ("canceled", "incomplete_expired") and \
        bool(subscription["cancel_at_period_end"] or subscription.get("cancel_at"))


def update_problem(ctx: Ctx, configuration: dict[str, Any], subscription: dict[str, Any]) -> PortalError | None:
    """Why the portal cannot change this subscription's plan, or None when it can. As Stripe documents,
    "Update plan" needs at least one allowed product or price: a picker that would offer nothing but the
    current price, and no quantity to adjust, is no plan change."""
    if not offers_changes(configuration):
        return PortalError("refusal.no_plan_changes", http_status=403)
    if locked(ctx, subscription):
        return PortalError("home.locked", http_status=409)
    if subscription["status"] not in UPDATABLE_STATUSES:
        return PortalError("refusal.cannot_change_status", http_status=409, status=subscription["status"])
    if pending_cancellation(subscription):
        return PortalError("refusal.renew_first", http_status=409)
    item = single_licensed_item(subscription)
    if item is None:
        return PortalError("refusal.cancel_only", http_status=409)
    if not _offers_change(_picker(ctx, configuration, item)):
        return PortalError("refusal.cannot_change", http_status=409)
    return None


def _updatable(ctx: Ctx, session: dict[str, Any], subscription_id: str
               ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The session's subscription, its configuration and its item, or the reason the portal refuses."""
    configuration = configurations.require(ctx, session["configuration"])
    subscription = owned_subscription(ctx, session, subscription_id)
    problem = update_problem(ctx, configuration, subscription)
    item = single_licensed_item(subscription)
    if problem is not None or item is None:
        raise problem or PortalError("refusal.cannot_change", http_status=409)
    return subscription, configuration, item


def _allowed(configuration: dict[str, Any], what: str) -> bool:
    return what in _update_feature(configuration)["default_allowed_updates"]


def _picker(ctx: Ctx, configuration: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """The update-plan page's products: the configured active products with their active prices in the
    item's currency (only the current one unless prices may change; the current one marked), and each
    product's quantity range when quantities are adjustable."""
    current_price = item["price"]
    products = []
    for entry in _update_feature(configuration)["products"]:
        product = _product(ctx, entry["product"])
        if product.get("active") is False:
            continue
        offered = []
        for price_id in entry["prices"]:
            price = ctx.store.get(ctx.account_id, price_id, "price")
            if price is None or not price["active"] or price["currency"] != current_price["currency"]:
                continue
            if not _allowed(configuration, "price") and price["id"] != current_price["id"]:
                continue
            offered.append({**plan_of(ctx, price, item["quantity"]), "current": price["id"] == current_price["id"]})
        if offered:
            quantity = entry["adjustable_quantity"]
            adjustable = quantity["enabled"] and _allowed(configuration, "quantity")
            # Each product's field starts at the current quantity kept inside that product's own range (a form
            # field out of range would stop the browser from sending any choice).
            start = max(item["quantity"] or 1, quantity.get("minimum") or 1)
            if quantity.get("maximum"):
                start = min(start, quantity["maximum"])
            products.append({"product": product, "prices": offered, "quantity": quantity if adjustable else None,
                             "default_quantity": start})
    return products


def _offers_change(products: list[dict[str, Any]]) -> bool:
    """Whether the picker offers a change: a price other than the item's, or a quantity field."""
    return any(entry["quantity"] or any(not option["current"] for option in entry["prices"]) for entry in products)


_INTERVAL_ORDER = {"day": 0, "week": 1, "month": 2, "year": 3}


def interval_key(recurring: dict[str, Any]) -> str:
    """A billing interval as the picker's toggle names it: `month`, `year`, `3_month`."""
    count, interval = recurring["interval_count"], recurring["interval"]
    return interval if count == 1 else f"{count}_{interval}"


def options(ctx: Ctx, session: dict[str, Any], subscription_id: str, interval: str | None = None) -> dict[str, Any]:
    """The update-plan page: the configured products with their active prices in the subscription's
    currency (the current one marked), and the quantity range when quantities are adjustable. When the prices
    cover several billing intervals, an interval toggle (Monthly / Yearly, as Stripe's portal shows) picks
    which prices are listed: `interval`, else the current price's."""
    subscription, configuration, item = _updatable(ctx, session, subscription_id)
    pending = _pending_change(ctx, subscription)
    products = _picker(ctx, configuration, item)
    recurrings = {interval_key(option["price"]["recurring"]): option["price"]["recurring"]
                  for entry in products for option in entry["prices"]}
    toggle = sorted(recurrings.values(), key=lambda r: (_INTERVAL_ORDER[r["interval"]], r["interval_count"]))
    chosen = interval if interval in recurrings else interval_key(item["price"]["recurring"])
    if len(toggle) > 1:
        products = [{**entry, "prices": shown} for entry in products
                    if (shown := [option for option in entry["prices"]
                                  if interval_key(option["price"]["recurring"]) == chosen])]
    return {"subscription": subscription, "current": plan_of(ctx, item["price"], item["quantity"]),
            "products": products, "pending": pending, "promotion_codes": _allowed(configuration, "promotion_code"),
            "intervals": toggle if len(toggle) > 1 else [], "interval": chosen}


def promotion_code_discount(ctx: Ctx, session: dict[str, Any], code: str) -> dict[str, Any] | None:
    """The code typed on the plan picker (offered when `default_allowed_updates` has `promotion_code`) as the
    discount the change brings: an active code the customer may use on a subscription update (Stripe's rules
    for updates); anything else is refused in the page's language."""
    if not code.strip():
        return None
    configuration = configurations.require(ctx, session["configuration"])
    promo = promotion_codes.find_by_code(ctx, code, session["customer"]) \
        if _allowed(configuration, "promotion_code") else None
    if promo is None:
        raise PortalError("refusal.promotion_code_invalid", param="promotion_code", code=code.strip())
    try:
        promotion_codes.check_applicable_later(ctx, promo, session["customer"], param="promotion_code")
    except InvalidRequestError:
        raise PortalError("refusal.promotion_code_not_usable", param="promotion_code", code=promo["code"]) from None
    return {"coupon": None, "promotion_code": promo["id"]}


def selection(ctx: Ctx, configuration: dict[str, Any], item: dict[str, Any], price_id: str,
               quantity: int | None) -> tuple[dict[str, Any], int]:
    """The chosen price and quantity, checked against the configuration: a configured, active price in the
    subscription's currency, and a quantity within the product's `adjustable_quantity` range."""
    entry = next((entry for entry in _update_feature(configuration)["products"] if price_id in entry["prices"]), None)
    price = ctx.store.get(ctx.account_id, price_id, "price") if entry else None
    if entry is None or price is None or not price["active"] or \
            (price_id != item["price"]["id"] and not _allowed(configuration, "price")):
        raise PortalError("refusal.plan_unavailable", param="price")
    if price["currency"] != item["price"]["currency"]:
        raise PortalError("refusal.other_currency", param="price")
    adjustable = entry["adjustable_quantity"]
    if quantity is None or not (adjustable["enabled"] and _allowed(configuration, "quantity")):
        return price, item["quantity"]
    if quantity < max(adjustable["minimum"], 1) or \
            (adjustable["maximum"] is not None and quantity > adjustable["maximum"]):
        minimum = max(adjustable["minimum"], 1)
        if adjustable["maximum"] is None:
            raise PortalError("refusal.quantity_minimum", param="quantity", minimum=minimum)
        raise PortalError("refusal.quantity_range", param="quantity", minimum=minimum, maximum=adjustable["maximum"])
    return price, quantity


def schedules_change(configuration: dict[str, Any], old_price: dict[str, Any], old_quantity: int,
                     new_price: dict[str, Any], new_quantity: int) -> bool:
    """Whether a `schedule_at_period_end` condition holds: `decreasing_item_amount` when the new item costs
    less per unit of time (a cheaper price, a lower quantity, or a longer interval that is cheaper over
    time), `shortening_interval` when the new price's interval is shorter."""
    conditions = {c["type"] for c in _update_feature(configuration)["schedule_at_period_end"]["conditions"]}
    old_length, new_length = _length(old_price["recurring"]), _length(new_price["recurring"])
    if "shortening_interval" in conditions and new_length < old_length:
        return True
    if "decreasing_item_amount" in conditions:
        old_rate = Fraction(subscriptions.item_amount(old_price, old_quantity)) / old_length
        new_rate = Fraction(subscriptions.item_amount(new_price, new_quantity)) / new_length
        return new_rate < old_rate
    return False


def _update_params(configuration: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any],
                   price: dict[str, Any], quantity: int) -> dict[str, Any]:
    """The subscription update an immediate portal change is (also what its preview previews)."""
    feature = _update_feature(configuration)
    params: dict[str, Any] = {"items": [{"id": item["id"], "price": price["id"], "quantity": quantity}],
                              "proration_behavior": feature["proration_behavior"]}
    if feature.get("billing_cycle_anchor") == "now":
        params["billing_cycle_anchor"] = {"type": "now"}
    if subscription["status"] == "trialing" and feature["trial_update_behavior"] == "end_trial":
        params["trial_end"] = "now"
    return params


def _phase_params(phase: dict[str, Any]) -> dict[str, Any]:
    """A stored phase as schedule-update parameters (to resend it unchanged)."""
    spec: dict[str, Any] = {
        "start_date": phase["start_date"], "end_date": phase["end_date"],
        "items": [{"price": i["price"], **schedules.quantity_of(i), "metadata": i["metadata"]} for i in phase["items"]],
        "proration_behavior": phase["proration_behavior"],
    }
    spec.update(_carried(phase))
    for key in ("collection_method", "default_payment_method", "description", "billing_cycle_anchor"):
        if phase.get(key):
            spec[key] = phase[key]
    if phase.get("trial"):
        spec["trial"] = True
    elif phase.get("trial_end"):
        spec["trial_end"] = phase["trial_end"]
    if (phase.get("invoice_settings") or {}).get("days_until_due") is not None:
        spec["invoice_settings"] = {"days_until_due": phase["invoice_settings"]["days_until_due"]}
    return spec


def _carried(phase: dict[str, Any]) -> dict[str, Any]:
    """What the scheduled phase keeps from the current one: discounts, default tax rates, metadata."""
    spec: dict[str, Any] = {}
    if phase["discounts"]:
        spec["discounts"] = [{key: value for key, value in d.items() if value} for d in phase["discounts"]]
    if phase["default_tax_rates"]:
        spec["default_tax_rates"] = [rate["id"] for rate in phase["default_tax_rates"]]
    if phase["metadata"]:
        spec["metadata"] = dict(phase["metadata"])
    return spec


def _with_discount(subscription: dict[str, Any], discount: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The subscription's discounts plus the one a `subscription_update_confirm` link brings."""
    return [{"discount": discount_id} for discount_id in subscription["discounts"]] + ([discount] if discount else [])


def _schedule_change(ctx: Ctx, subscription: dict[str, Any], price: dict[str, Any], quantity: int,
                     discount: dict[str, Any] | None = None) -> dict[str, Any]:
    schedule = portal_schedule(ctx, subscription)
    if schedule is None:
        schedule = schedules.create(ctx, {"from_subscription": subscription["id"]}, origin="portal")
    current = schedule["current_phase"]
    phase = next(p for p in schedule["phases"] if p["start_date"] == current["start_date"])
    # The current phase may be shorter than the item's period (a phase split): the change waits for the
    # period end, so the current phase is stretched to it.
    _, period_end = subscriptions.current_period(subscription)
    kept = {**_phase_params(phase), "end_date": max(phase["end_date"], period_end)} \
        if phase["end_date"] < period_end else _phase_params(phase)
    following = {"items": [{"price": price["id"], "quantity": quantity}], "proration_behavior": "none",
                 **_carried(phase)}
    if discount:
        following["discounts"] = [*following.get("discounts", []), discount]
    return schedules.update(ctx, schedule["id"], {"phases": [kept, following]})


def apply(ctx: Ctx, session: dict[str, Any], subscription_id: str, price_id: str, quantity: int | None,
          discount: dict[str, Any] | None = None) -> dict[str, Any]:
    """The portal's "Confirm": apply the change now, schedule it at the period end, replace the pending
    scheduled change, or drop it when the customer picks the current plan again. `discount` (`{coupon}` or
    `{promotion_code}`, from a `subscription_update_confirm` link) joins the subscription's discounts with
    the change (or the scheduled phase's). Returns
    `{"outcome": "updated" | "scheduled" | "unscheduled" | "payment_incomplete", "subscription": ...,
    "schedule": ...}` (with the `payment_intent` to authenticate or that was declined when incomplete)."""
    subscription, configuration, item = _updatable(ctx, session, subscription_id)
    ctx = ctx.on_clock(subscription["test_clock"])
    price, quantity = selection(ctx, configuration, item, price_id, quantity)
    pending_schedule = portal_schedule(ctx, subscription)
    if price["id"] == item["price"]["id"] and quantity == item["quantity"]:
        has_pending = pending_schedule is not None and bool(_future_phases(ctx, pending_schedule))
        if not has_pending and not discount:
            raise PortalError("refusal.same_plan", param="price")
        released = schedules.release(ctx, pending_schedule["id"], {}) if has_pending and pending_schedule else None
        if discount:
            updated = subscriptions.update(ctx, subscription_id, {"discounts": _with_discount(
                subscriptions.require(ctx, subscription_id), discount)})
            return {"outcome": "updated", "subscription": updated, "schedule": released}
        return {"outcome": "unscheduled", "subscription": subscriptions.require(ctx, subscription_id),
                "schedule": released}
    if schedules_change(configuration, item["price"], item["quantity"], price, quantity):
        schedule = _schedule_change(ctx, subscription, price, quantity, discount)
        return {"outcome": "scheduled", "subscription": subscriptions.require(ctx, subscription_id),
                "schedule": schedule}
    if pending_schedule is not None:
        schedules.release(ctx, pending_schedule["id"], {})
        subscription = subscriptions.require(ctx, subscription_id)
    params = _update_params(configuration, subscription, item, price, quantity)
    if discount:
        params["discounts"] = _with_discount(subscription, discount)
    # The customer is on the confirm page while it charges: a payment that is declined or needs 3-D Secure
    # leaves the plan as it was, the change waiting as `pending_update` until the invoice is paid.
    params.update(payment_behavior="pending_if_incomplete", off_session=False)
    updated = subscriptions.update(ctx, subscription_id, params)
    if updated.get("pending_update"):
        intent_id = invoices.latest_intent_id(ctx, updated["latest_invoice"])
        return {"outcome": "payment_incomplete", "subscription": updated, "schedule": None,
                "payment_intent": ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None}
    return {"outcome": "updated", "subscription": updated, "schedule": None}


def preview(ctx: Ctx, session: dict[str, Any], subscription_id: str, price_id: str, quantity: int | None,
            discount: dict[str, Any] | None = None) -> dict[str, Any]:
    """The confirm page: the old and new plan, whether the change waits for the period end (and when), the
    amount due today and the next invoice, all from `invoices/create_preview` (nothing is kept)."""
    subscription, configuration, item = _updatable(ctx, session, subscription_id)
    ctx = ctx.on_clock(subscription["test_clock"])
    price, quantity = selection(ctx, configuration, item, price_id, quantity)
    pending_schedule = portal_schedule(ctx, subscription)
    same = price["id"] == item["price"]["id"] and quantity == item["quantity"]
    if same and not discount and (pending_schedule is None or not _future_phases(ctx, pending_schedule)):
        raise PortalError("refusal.same_plan", param="price")
    scheduled = not same and schedules_change(configuration, item["price"], item["quantity"], price, quantity)
    _, period_end = subscriptions.current_period(subscription)
    with ctx.store.discarded():
        if scheduled or same or discount:
            apply(ctx, session, subscription_id, price_id, quantity, discount)
            latest = subscriptions.require(ctx, subscription_id)["latest_invoice"]
            invoice = copy.deepcopy(invoices.require(ctx, latest)) if latest != subscription["latest_invoice"] \
                else previews.create_preview(ctx, {"subscription": subscription_id})
        else:
            if pending_schedule is not None:
                schedules.release(ctx, pending_schedule["id"], {})
            details = _update_params(configuration, subscription, item, price, quantity)
            invoice = previews.create_preview(ctx, {"subscription": subscription_id,
                                                    "subscription_details": details})
    immediate = not scheduled and not same and invoice["billing_reason"] != "upcoming"
    return {
        "subscription": subscription,
        "current": plan_of(ctx, item["price"], item["quantity"]),
        "new": plan_of(ctx, price, quantity),
        "outcome": "scheduled" if scheduled else "unscheduled" if same and not discount else "updated",
        "discount": discount_view(ctx, discount, price["currency"]) if discount else None,
        "effective_at": period_end if scheduled else None,
        "amount_due_today": invoice["amount_due"] if immediate else 0,
        # A downgrade invoiced at once can total less than zero: the difference goes to the credit balance.
        "credit": -invoice["total"] if immediate and invoice["total"] < 0 else 0,
        "invoice": invoice,
        "taxes": invoices.tax_rows(ctx, invoice),
        "invoice_is_today": immediate,
        "next_invoice_at": None if immediate else period_end,
        "currency": price["currency"],
    }
