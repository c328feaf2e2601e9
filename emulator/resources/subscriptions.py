"""Subscriptions (`/v1/subscriptions`) and their items, billed by invoices.

Creation bills the first period at once (or starts a trial with a $0 invoice); the lifecycle engine renews
at each period end (draft invoice, finalized about an hour later, then charged); updates prorate per second
into pending invoice items (`create_prorations`), an immediate invoice (`always_invoice`, interval changes,
`billing_cycle_anchor=now`) or nothing (`none`); cancellation is immediate or at the period end. Periods
live on the items (endive). The first payment's outcome sets the status: active, trialing, or incomplete
(expiring after 23 hours); failed renewals make it past_due, then the dunning schedule decides.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from emulator import events, ids, timers
from emulator.billing import periods, pricing, proration
from emulator.billing.money import format_amount
from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError
from emulator.resources import common, coupons, discounts, invoice_items, invoices, metered_usage, plans, prices
from emulator.versions import request_change

OBJECT = "subscription"
INCOMPLETE_EXPIRY = 23 * 3600
TRIAL_WILL_END_BEFORE = 3 * 86400
CREATE_PARAMS = ("add_invoice_items.discountable", "add_invoice_items.metadata", "add_invoice_items.period",
                 "add_invoice_items.price", "add_invoice_items.price_data", "add_invoice_items.quantity",
                 "add_invoice_items.tax_rates", "automatic_tax", "backdate_start_date", "billing_cycle_anchor",
                 "billing_cycle_anchor_config", "billing_mode", "cancel_at", "cancel_at_period_end",
                 "collection_method", "currency", "customer", "days_until_due", "default_payment_method",
                 "default_tax_rates", "description", "discounts", "items.metadata", "items.price", "items.price_data",
                 "items.quantity", "items.tax_rates", "metadata", "off_session", "payment_behavior",
                 "payment_settings.payment_method_types", "payment_settings.save_default_payment_method",
                 "proration_behavior", "trial_end", "trial_from_plan", "trial_period_days", "trial_settings")
UPDATE_PARAMS = ("automatic_tax", "billing_cycle_anchor", "cancel_at", "cancel_at_period_end", "cancellation_details",
                 "collection_method", "days_until_due", "default_payment_method", "default_tax_rates", "description",
                 "discounts", "items.clear_usage", "items.deleted", "items.id", "items.metadata", "items.price",
                 "items.price_data", "items.quantity", "items.tax_rates", "metadata", "off_session",
                 "pause_collection", "payment_behavior", "payment_settings.payment_method_types",
                 "payment_settings.save_default_payment_method", "proration_behavior", "proration_date", "trial_end",
                 "trial_settings")
CANCEL_PARAMS = ("cancellation_details", "invoice_now", "prorate")


@request_change("2026-09-30.endive", "POST /v1/subscriptions/{}", "POST /v1/subscriptions/{}/resume")
def anchor_string_to_object(params: dict[str, Any]) -> dict[str, Any]:
    """Before endive, an update's and a resume's `billing_cycle_anchor` was the string `now` or `unchanged`."""
    if isinstance(params.get("billing_cycle_anchor"), str) and params["billing_cycle_anchor"]:
        params = {**params, "billing_cycle_anchor": {"type": params["billing_cycle_anchor"]}}
    return params


@request_change("2025-03-31.basil", "POST /v1/subscriptions", "POST /v1/subscriptions/{}")
def coupon_params_to_discounts(params: dict[str, Any]) -> dict[str, Any]:
    """Before basil, subscriptions took `coupon=X` / `promotion_code=Y` (an empty `coupon` removing it); today
    they take `discounts[]`."""
    if "discounts" in params or not ({"coupon", "promotion_code"} & params.keys()):
        return params
    rest = {key: value for key, value in params.items() if key not in ("coupon", "promotion_code")}
    specs = [{"coupon": params["coupon"]}] if params.get("coupon") else []
    specs += [{"promotion_code": params["promotion_code"]}] if params.get("promotion_code") else []
    rest["discounts"] = specs or ""
    return rest
LIST_PARAMS = (*common.LIST_PARAMS, "collection_method", "customer", "price", "status", "test_clock")
SEARCH_FIELDS = {
    "created": lambda s: s["created"],
    "metadata": lambda s: s.get("metadata", {}),
    "status": lambda s: s["status"],
}
LIVE_STATUSES = ("active", "past_due", "trialing", "unpaid", "incomplete", "paused")


def require(ctx: Ctx, subscription_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, subscription_id, kind="subscription", param=param)


def _product_name(ctx: Ctx, price: dict[str, Any]) -> str:
    product = ctx.store.get(ctx.account_id, price["product"], "product")
    return (product or {}).get("name", price["product"])


def _interval_words(recurring: dict[str, Any]) -> str:
    count, interval = recurring["interval_count"], recurring["interval"]
    return interval if count == 1 else f"every {count} {interval}s"


def line_description(ctx: Ctx, price: dict[str, Any], quantity: int) -> str:
    """Stripe's regular line text: `1 × Pro (at $29.00 / month)`; tiered prices name the tier (volume)
    or the tiered total (graduated)."""
    if price.get("billing_scheme") == "tiered":
        name = _product_name(ctx, price)
        words = _interval_words(price["recurring"])
        if price.get("tiers_mode") == "volume":
            index = pricing.tier_for(price, quantity) or 1
            tier = price["tiers"][index - 1]
            unit_amount = int(Decimal(tier.get("unit_amount_decimal") or 0))
            return f"{quantity} × {name} (Tier {index} at {format_amount(unit_amount, price['currency'])} / {words})"
        return f"{quantity} × {name} (graduated tiers, {format_amount(item_amount(price, quantity), price['currency'])} / {words})"
    unit = Decimal(price["unit_amount_decimal"])
    unit_text = format_amount(int(unit), price["currency"]) if unit == unit.to_integral_value() else \
        f"{price['currency'].upper()} {unit / 100}"
    return f"{quantity} × {_product_name(ctx, price)} (at {unit_text} / {_interval_words(price['recurring'])})"


def _date_text(moment: int) -> str:
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(moment, timezone.utc)
    return f"{stamp.day:02d} {stamp.strftime('%b %Y')}"


def proration_description(ctx: Ctx, price: dict[str, Any], quantity: int, moment: int, credit: bool) -> str:
    """`Unused time on Pro after 16 Jan 2026` / `Remaining time on 2 × Pro after 16 Jan 2026`."""
    name = _product_name(ctx, price)
    what = f"{quantity} × {name}" if quantity > 1 else name
    return f"{'Unused' if credit else 'Remaining'} time on {what} after {_date_text(moment)}"


def item_amount(price: dict[str, Any], quantity: int) -> int:
    """What the price charges for the quantity over a full period (per unit or tiered)."""
    return pricing.amount(price, quantity)


def _item(ctx: Ctx, subscription_id: str, price: dict[str, Any], quantity: int, metadata: Any,
          period: tuple[int, int], created: int, tax_rates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    item = {
        "id": ids.new_id("si", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "current_trial": None,
        "discounts": [],
        "metadata": common.metadata_for_create(metadata),
        "plan": plans.plan_view(price),
        "price": price,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": list(tax_rates or []),
    }
    if metered_usage.is_metered(price):
        # Metered items have no quantity: they bill the meter's usage.
        del item["quantity"]
    return item


def _check_quantity(price: dict[str, Any], spec: dict[str, Any], param: str) -> None:
    if metered_usage.is_metered(price) and spec.get("quantity") is not None:
        raise InvalidRequestError("Quantity should not be specified where usage_type is `metered`. Remove "
                                  f"quantity from `{param}`.", param=f"{param}[quantity]")
    if (spec.get("quantity") or 0) < 0:
        raise InvalidRequestError("Invalid integer: quantity must be at least 0.", param=f"{param}[quantity]")


def _resolve_price(ctx: Ctx, spec: dict[str, Any], param: str) -> dict[str, Any]:
    if spec.get("price_data") and (spec.get("price") or spec.get("plan")):
        raise InvalidRequestError("You may only specify one of these parameters: price, price_data.",
                                  param=f"{param}[price_data]", code="parameters_exclusive")
    if spec.get("price_data"):
        data = spec["price_data"]
        return prices.create(ctx, {"product": data["product"], "currency": data["currency"],
                                   "recurring": data["recurring"], "active": False,
                                   **({"unit_amount": data["unit_amount"]} if "unit_amount" in data else
                                      {"unit_amount_decimal": data.get("unit_amount_decimal", "0")})},
                             param_prefix=f"{param}[price_data]")
    price_id = spec.get("price") or spec.get("plan")
    if not price_id:
        raise InvalidRequestError(f"Missing required param: {param}[price].", param=f"{param}[price]",
                                  code="parameter_missing")
    price = prices.require(ctx, price_id, param=f"{param}[price]")
    if price["recurring"] is None:
        raise InvalidRequestError(
            "The price specified is set to `type=one_time` but this field only accepts prices with "
            "`type=recurring`.", param=f"{param}[price]")
    if not price["active"]:
        raise InvalidRequestError("The price specified is inactive. This field only accepts active prices.",
                                  param=f"{param}[price]")
    return price


def current_period(subscription: dict[str, Any]) -> tuple[int, int]:
    items = subscription["items"]["data"]
    return min(i["current_period_start"] for i in items), max(i["current_period_end"] for i in items)


def _recurring_of(subscription: dict[str, Any]) -> dict[str, Any]:
    return subscription["items"]["data"][0]["price"]["recurring"]


def _check_compatible(prices_list: list[dict[str, Any]], param: str) -> None:
    first = prices_list[0]
    for price in prices_list[1:]:
        if price["currency"] != first["currency"]:
            raise InvalidRequestError("Currency fields must match across all plans on this subscription.",
                                      param=param)
        if not periods.same_interval(price["recurring"], first["recurring"]):
            raise InvalidRequestError("Interval fields must match across all plans on this subscription. "
                                      "Found mismatched intervals.", param=param)


# -- persistence --------------------------------------------------------------------------------------------
def _store_items(ctx: Ctx, subscription: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Items are embedded in the subscription and mirrored as rows for /v1/subscription_items."""
    old_ids = {item["id"] for item in (previous or {}).get("items", {}).get("data", [])}
    new_ids = set()
    for item in subscription["items"]["data"]:
        new_ids.add(item["id"])
        if item["id"] in old_ids:
            ctx.store.update(ctx.account_id, item)
        else:
            ctx.store.insert(ctx.account_id, item, customer=subscription["customer"], owner=subscription["id"])
    for gone in old_ids - new_ids:
        ctx.store.remove(ctx.account_id, gone)


def save(ctx: Ctx, before: dict[str, Any], after: dict[str, Any], *, event: str | None = None) -> dict[str, Any]:
    """Persist and emit customer.subscription.updated with previous_attributes (or `event`, without them)."""
    _store_items(ctx, after, before)
    return common.save(ctx, before, after, event=event or "customer.subscription.updated",
                       customer=after["customer"], previous_attributes=event is None)


# -- creation -----------------------------------------------------------------------------------------------
def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscriptions`."""
    from emulator.resources import payment_methods

    if not params.get("customer"):
        raise InvalidRequestError("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = common.require(ctx, "customer", params["customer"], param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    if customer.get("test_clock") and ctx.settings.get("STRIPE_LIMITS"):
        live = [s for s in ctx.store.select(ctx.account_id, OBJECT, where="customer = ?", args=(customer["id"],))
                if s["status"] not in ("canceled", "incomplete_expired")]
        if len(live) >= 3:
            raise InvalidRequestError("A customer on a test clock can have at most 3 subscriptions (Stripe's "
                                      "limit, applied because the emulator runs with --stripe-limits).",
                                      param="customer")
    specs = params.get("items") or []
    if not specs:
        raise InvalidRequestError("Missing required param: items.", param="items", code="parameter_missing")
    if len(specs) > 20:
        raise InvalidRequestError("A subscription may have at most 20 items.", param="items")
    item_prices = [_resolve_price(ctx, spec, f"items[{index}]") for index, spec in enumerate(specs)]
    _check_compatible(item_prices, "items")
    seen_prices: set[str] = set()
    for index, price in enumerate(item_prices):
        if price["id"] in seen_prices:
            raise InvalidRequestError("Cannot add multiple subscription items with the same price.",
                                      param=f"items[{index}][price]")
        seen_prices.add(price["id"])
    for index, (price, spec) in enumerate(zip(item_prices, specs)):
        _check_quantity(price, spec, f"items[{index}]")
    quantities = [0 if metered_usage.is_metered(price) else spec.get("quantity", 1)
                  for price, spec in zip(item_prices, specs)]
    for index, quantity in enumerate(quantities):
        if quantity < 0:
            raise InvalidRequestError("Invalid integer: quantity must be at least 0.", param=f"items[{index}][quantity]")
    currency = item_prices[0]["currency"]
    if params.get("currency") and common.currency(params["currency"]) != currency:
        raise InvalidRequestError(f"The price {item_prices[0]['id']} is in {currency}; billing it in another currency "
                                  "(a price's currency_options) is not emulated.", param="currency")
    recurring = item_prices[0]["recurring"]
    now = ctx.time_for(customer.get("test_clock"))
    subscription_id = ids.new_id("sub")
    default_pm = None
    if params.get("default_payment_method"):
        default_pm = payment_methods.resolve_attached(ctx, params["default_payment_method"], customer["id"],
                                                      param="default_payment_method")["id"]
    collection_method = params.get("collection_method", "charge_automatically")
    days_until_due = params.get("days_until_due")
    _check_days_until_due(collection_method, days_until_due)
    trial_end = _trial_end_for_create(params, item_prices, now)
    anchor = params.get("billing_cycle_anchor")
    config = params.get("billing_cycle_anchor_config")
    if config:
        if anchor is not None:
            raise InvalidRequestError("You may only specify one of these parameters: billing_cycle_anchor, "
                                      "billing_cycle_anchor_config.", param="billing_cycle_anchor_config",
                                      code="parameters_exclusive")
        if recurring["interval"] not in ("month", "year"):
            raise InvalidRequestError("billing_cycle_anchor_config is only supported for monthly and yearly prices.",
                                      param="billing_cycle_anchor_config")
        if not 1 <= config["day_of_month"] <= 31:
            raise InvalidRequestError("Invalid day_of_month: must be between 1 and 31.",
                                      param="billing_cycle_anchor_config[day_of_month]")
        anchor = periods.anchor_from_config(now, recurring["interval"], recurring["interval_count"],
                                            config["day_of_month"], config.get("month"), config.get("hour"),
                                            config.get("minute"), config.get("second"))
    if anchor is not None and anchor < now:
        raise InvalidRequestError("billing_cycle_anchor cannot be in the past.", param="billing_cycle_anchor")
    mode = (params.get("billing_mode") or {}).get("type")
    proration_discounts = ((params.get("billing_mode") or {}).get("flexible") or {}).get("proration_discounts")
    if proration_discounts is not None and mode != "flexible":
        raise InvalidRequestError("billing_mode[flexible] can only be set with billing_mode[type]=flexible.",
                                  param="billing_mode[flexible]")
    if mode is None:
        from emulator.versions import is_before

        mode = "classic" if is_before(ctx.api_version, "2025-09-30.clover") else "flexible"
    raw_cancel_at = params.get("cancel_at")
    if mode == "classic" and trial_end is not None and isinstance(raw_cancel_at, int) and now < raw_cancel_at < \
            trial_end:
        trial_end = raw_cancel_at  # classic: a cancel_at before the trial's end pulls the trial's end to it
    start = params.get("backdate_start_date", now)
    if start > now:
        raise InvalidRequestError("backdate_start_date must be in the past.", param="backdate_start_date")
    if start < now and trial_end is not None:
        raise InvalidRequestError("stripe-portal-emulator does not combine backdate_start_date with trials yet.",
                                  param="backdate_start_date")
    if trial_end is not None:
        # A trial with an anchor of its own: after the trial, a prorated period runs to the anchor's next
        # boundary, then full periods from the anchor (Stripe's example: 7-day trial, anchor on the 1st).
        # trial_settings[end_behavior][billing_cycle_anchor]=unchanged keeps the start as that anchor.
        period = (now, trial_end)
        keeps_anchor = _trial_settings(None, params.get("trial_settings"))["end_behavior"][
            "billing_cycle_anchor"] == "unchanged"
        anchor = anchor if anchor is not None else now if keeps_anchor else trial_end
    elif anchor is not None and anchor > now:
        if start < periods.boundary(anchor, recurring["interval"], recurring["interval_count"], -1):
            raise InvalidRequestError("backdate_start_date may be at most one billing period before the "
                                      "billing_cycle_anchor.", param="backdate_start_date")
        period = (start, anchor)
    else:
        # Backdated without an anchor: the cycle is anchored on the backdated start; the first invoice bills
        # every period from that start through the current one.
        anchor = start
        period = periods.period_containing(anchor, recurring["interval"], recurring["interval_count"], now)
    from emulator.resources import tax_rates as tax_rate_resource

    items = [_item(ctx, subscription_id, price, quantity, spec.get("metadata"), period, now,
                   tax_rate_resource.resolve(ctx, spec.get("tax_rates"), f"items[{index}][tax_rates]"))
             for index, (price, quantity, spec) in enumerate(zip(item_prices, quantities, specs))]
    default_rates = tax_rate_resource.resolve(ctx, params.get("default_tax_rates"), "default_tax_rates")
    first_amount = sum(item_amount(p, q) for p, q in zip(item_prices, quantities))
    # A backdated subscription's repeating coupons count their months from the backdated start.
    discount_ids = discounts.resolve_list(ctx, params.get("discounts"), customer=customer["id"],
                                          subscription=subscription_id, amount=first_amount, currency=currency,
                                          start=start)
    cancel_at = _cancel_at(params.get("cancel_at"), period)
    # A cancel_at inside the first period shortens it and its charge (flexible with proration_behavior=none
    # bills it whole); classic moves the anchor to cancel_at.
    truncated = cancel_at is not None and trial_end is None and start == now and now < cancel_at < period[1] \
        and not (mode == "flexible" and params.get("proration_behavior") == "none")
    if truncated and mode == "classic":
        anchor = cancel_at
        for item in items:
            item["current_period_end"] = cancel_at
    subscription: dict[str, Any] = {
        "id": subscription_id,
        "object": OBJECT,
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": _automatic_tax(params.get("automatic_tax")),
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": {
            "day_of_month": config["day_of_month"], "hour": config.get("hour"), "minute": config.get("minute"),
            "month": config.get("month"), "second": config.get("second")} if config else None,
        "billing_mode": {"flexible": {"proration_discounts": proration_discounts or "included"}
                         if mode == "flexible" else None,
                         "type": mode, "updated_at": now},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": cancel_at if cancel_at is not None else (period[1] if params.get("cancel_at_period_end")
                                                               else None),
        "cancel_at_period_end": bool(params.get("cancel_at_period_end")),
        "canceled_at": now if params.get("cancel_at_period_end") or cancel_at else None,
        "cancellation_details": {"comment": None, "feedback": None, "feedback_option": None, "reason": None},
        "collection_method": collection_method,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": days_until_due,
        "default_payment_method": default_pm,
        "default_source": None,
        "default_tax_rates": default_rates,
        "description": params.get("description"),
        "discounts": discount_ids,
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "custom_fields": None, "description": None, "footer": None,
                             "issuer": {"type": "self"}},
        "items": {"object": "list", "data": items, "has_more": False,
                  "url": f"/v1/subscription_items?subscription={subscription_id}"},
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": _payment_settings(None, params.get("payment_settings")),
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": ctx.memo.get("schedule_creating"),  # set when a schedule creates its subscription
        "start_date": start,
        "status": "trialing" if trial_end is not None else "incomplete",
        "test_clock": customer.get("test_clock"),
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": _trial_settings(None, params.get("trial_settings")),
        "trial_start": now if trial_end is not None else None,
    }
    # The owner column holds the test clock: an advance finds the clock's subscriptions through its index.
    ctx.store.insert(ctx.account_id, subscription, customer=customer["id"], owner=subscription["test_clock"])
    _store_items(ctx, subscription, None)
    created_event = events.emit(ctx, "customer.subscription.created", subscription)
    discounts.attach(ctx, discount_ids, subscription_id)
    for index, spec in enumerate(params.get("add_invoice_items") or []):
        _add_invoice_item(ctx, customer, subscription, spec, f"add_invoice_items[{index}]")
    # A future anchor with proration_behavior=none: the stub until the anchor is free and nothing is invoiced
    # before the first full period.
    free_stub = trial_end is None and anchor > now and params.get("proration_behavior") == "none" and not truncated
    if free_stub:
        return _activate(ctx, subscription, created_event, setup_future_payments=True)
    lines = _first_lines(ctx, subscription, trial_end is not None, free_stub, now, truncated)
    # A subscription a schedule starts gets a draft first invoice, finalized about an hour later.
    from_schedule = bool(ctx.memo.get("schedule_applying")) and trial_end is None
    invoice = invoices.create_draft(ctx, customer=customer, currency=currency, billing_reason="subscription_create",
                                    subscription=subscription, lines=lines, period=(now, now),
                                    discounts=discount_ids, collection_method=collection_method,
                                    days_until_due=days_until_due, default_payment_method=default_pm,
                                    auto_finalize=from_schedule)
    subscription["latest_invoice"] = invoice["id"]
    ctx.store.update(ctx.account_id, subscription)
    if from_schedule:
        invoices.schedule_auto_finalize(ctx, invoice)
        return _activate(ctx, subscription, created_event, setup_future_payments=False)
    behavior = params.get("payment_behavior", "allow_incomplete")
    ctx.memo["creating_subscription"] = subscription_id
    invoice = invoices.finalize(ctx, invoice["id"])
    if invoice["status"] == "open" and collection_method == "charge_automatically":
        if behavior == "default_incomplete":
            _open_intent(ctx, invoice, subscription)
        else:
            invoice = invoices.attempt_payment(ctx, invoice["id"], off_session=bool(params.get("off_session")))
            if invoice["status"] != "paid" and behavior == "error_if_incomplete":
                intent = _latest_intent(ctx, invoice["id"])
                error = (intent or {}).get("last_payment_error") or {}
                raise CardError(error.get("message", "Your card was declined."),
                                code=error.get("code", "card_declined"), decline_code=error.get("decline_code"),
                                payment_intent=intent)
    ctx.memo.pop("creating_subscription", None)
    subscription = require(ctx, subscription_id)
    if subscription["status"] == "incomplete" and (invoice["status"] == "paid" or collection_method == "send_invoice"):
        subscription["status"] = "active"
    if invoice["amount_due"] == 0 and collection_method == "charge_automatically":
        subscription["pending_setup_intent"] = _setup_future_payments(ctx, subscription)
    ctx.store.update(ctx.account_id, subscription)
    # The created event carries the state the create call ends in (Stripe charges inside the call).
    events.replace_object(ctx, created_event, subscription)
    if subscription["status"] == "incomplete":
        timers.schedule(ctx, "subscription.expire_incomplete", subscription_id, now + INCOMPLETE_EXPIRY,
                        test_clock=subscription["test_clock"])
    _schedule_period_end(ctx, subscription)
    return subscription


def _activate(ctx: Ctx, subscription: dict[str, Any], created_event: str, *,
              setup_future_payments: bool) -> dict[str, Any]:
    """A new subscription active at once, its first invoice not charged in the create call (nothing to invoice
    yet, or a draft finalized later)."""
    subscription = {**require(ctx, subscription["id"]), "status": "active"}
    if setup_future_payments and subscription["collection_method"] == "charge_automatically":
        subscription["pending_setup_intent"] = _setup_future_payments(ctx, subscription)
    ctx.store.update(ctx.account_id, subscription)
    events.replace_object(ctx, created_event, subscription)
    _schedule_period_end(ctx, subscription)
    return subscription


def _setup_future_payments(ctx: Ctx, subscription: dict[str, Any]) -> str | None:
    """Nothing was charged now (trial, free first period): when the payment method must be authenticated
    for later off-session charges, Stripe sets `pending_setup_intent` to a SetupIntent awaiting it."""
    from emulator.resources import setup_intents, test_cards

    pm_id = subscription["default_payment_method"] or (
        ctx.store.get(ctx.account_id, subscription["customer"], "customer") or {}).get(
        "invoice_settings", {}).get("default_payment_method")
    pm = ctx.store.get(ctx.account_id, pm_id, "payment_method") if pm_id else None
    if pm is None or not test_cards.behaviour_of(pm).needs_authentication(off_session=False, setup=True,
                                                                        already_authenticated=False):
        return None
    intent = setup_intents.create(ctx, {"customer": subscription["customer"], "payment_method": pm["id"],
                                        "confirm": True, "usage": "off_session"})
    return intent["id"] if intent["status"] != "succeeded" else None


def _trial_settings(current: dict[str, Any] | None, params: Any) -> dict[str, Any]:
    """`trial_settings[end_behavior]`: what a trial ending without a payment method does (`create_invoice` by
    default) and whether it resets the billing cycle anchor (null, Stripe's default `now`, or `unchanged`)."""
    behavior = (current or {}).get("end_behavior") or {"billing_cycle_anchor": None,
                                                       "missing_payment_method": "create_invoice"}
    given = (params or {}).get("end_behavior") or {}
    return {"end_behavior": {key: given.get(key, behavior[key])
                             for key in ("billing_cycle_anchor", "missing_payment_method")}}


def _paused_details(reason: str, now: int) -> dict[str, Any]:
    """`status_details` of a paused subscription: why and when it was paused."""
    return {"paused": {"subscription": {"type": reason}, "transitioned_at": now, "type": "subscription"}}


def _automatic_tax(value: Any) -> dict[str, Any]:
    """`automatic_tax[enabled]` is accepted; the emulator computes no tax for it (a known difference)."""
    enabled = bool((value or {}).get("enabled"))
    return {"disabled_reason": None, "enabled": enabled, "liability": {"type": "self"} if enabled else None}


def line_tax_rates(subscription: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's own tax rates, else the subscription's default tax rates."""
    return item.get("tax_rates") or subscription.get("default_tax_rates") or []


def _latest_intent(ctx: Ctx, invoice_id: str) -> dict[str, Any] | None:
    """The invoice's latest PaymentIntent as the API shows it (for a CardError's `payment_intent`)."""
    intent_id = invoices.latest_intent_id(ctx, invoice_id)
    if intent_id is None:
        return None
    from emulator.render import Renderer

    intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent")
    return Renderer(ctx).render(intent) if intent else None


def _payment_settings(current: dict[str, Any] | None, params: Any) -> dict[str, Any]:
    """`payment_settings`: the payment method types offered on its invoices, and whether the payment method
    that pays an invoice becomes the subscription's default (`save_default_payment_method=on_subscription`)."""
    settings = dict(current or {"payment_method_options": None, "payment_method_types": None,
                                "save_default_payment_method": "off"})
    params = params or {}
    if "payment_method_types" in params:
        settings["payment_method_types"] = params["payment_method_types"] or None
    if "save_default_payment_method" in params:
        settings["save_default_payment_method"] = params["save_default_payment_method"] or "off"
    return settings


def _saves_payment_method(subscription: dict[str, Any]) -> bool:
    return (subscription.get("payment_settings") or {}).get("save_default_payment_method") == "on_subscription"


def _open_intent(ctx: Ctx, invoice: dict[str, Any], subscription: dict[str, Any]) -> None:
    """payment_behavior=default_incomplete: the first invoice waits for the client to confirm its intent (which
    saves the card on the customer when the subscription keeps it as its default)."""
    intent_id = invoices.latest_intent_id(ctx, invoice["id"])
    intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
    if intent is not None and _saves_payment_method(subscription):
        # The intent finalization created saves the card the client confirms it with.
        ctx.store.update(ctx.account_id, {**intent, "setup_future_usage": "off_session"})


def _check_days_until_due(collection_method: str, days_until_due: int | None) -> None:
    """`days_until_due` goes with `send_invoice` (required there, refused with `charge_automatically`)."""
    if collection_method == "send_invoice" and days_until_due is None:
        raise InvalidRequestError("Missing required param: days_until_due (required with send_invoice).",
                                  param="days_until_due", code="parameter_missing")
    if collection_method == "charge_automatically" and days_until_due is not None:
        raise InvalidRequestError("days_until_due can only be set when collection_method is send_invoice.",
                                  param="days_until_due")


def _trial_end_for_create(params: dict[str, Any], item_prices: list[dict[str, Any]], now: int) -> int | None:
    if params.get("trial_end") is not None:
        value = params["trial_end"]
        if value == "now":
            return None
        if int(value) <= now:
            raise InvalidRequestError("Invalid timestamp: must be an integer Unix timestamp in the future.",
                                      param="trial_end")
        if int(value) > now + 730 * 86400:
            raise InvalidRequestError("The trial end may be at most two years in the future.", param="trial_end")
        return int(value)
    days = params.get("trial_period_days")
    if days is None and params.get("trial_from_plan"):
        days = item_prices[0]["recurring"].get("trial_period_days")
    if days:
        if days > 730:
            raise InvalidRequestError("trial_period_days must be at most 730.", param="trial_period_days")
        return now + days * 86400
    return None


def _cancel_at(value: Any, period: tuple[int, int]) -> int | None:
    if value in (None, ""):
        return None
    if value in ("min_period_end", "max_period_end", "max_billed_until"):
        return period[1]
    return int(value)


def _first_lines(ctx: Ctx, subscription: dict[str, Any], trial: bool, free: bool, now: int,
                 truncated: bool = False) -> list[dict[str, Any]]:
    lines = []
    for item in subscription["items"]["data"]:
        if metered_usage.is_metered(item["price"]):
            lines.append(metered_usage.zero_line(ctx, subscription, item))
            continue
        price, quantity = item["price"], item["quantity"]
        period = (item["current_period_start"], item["current_period_end"])
        if trial:
            name = _product_name(ctx, price)
            description = (f"Free trial for {quantity} × {name}" if subscription["billing_mode"]["type"] == "flexible"
                           else f"Trial period for {name}")
            amount = 0
        else:
            anchor = subscription["billing_cycle_anchor"]
            recurring = price["recurring"]
            full = periods.boundary(anchor, recurring["interval"], recurring["interval_count"], -1)
            # Backdated: every whole period before the current one is billed too.
            past_start = subscription["start_date"]
            while past_start < period[0] and anchor <= now:
                past_end = periods.next_boundary(anchor, recurring["interval"], recurring["interval_count"],
                                                 past_start)
                lines.append(invoices.subscription_line(
                    invoice_id=None, subscription=subscription["id"], item=item["id"], price=price,
                    quantity=quantity, amount=item_amount(price, quantity), period=(past_start, past_end),
                    description=line_description(ctx, price, quantity), tax_rates=line_tax_rates(subscription, item)))
                past_start = past_end
            cancel_at = subscription.get("cancel_at")
            if anchor > now and period[1] == anchor:
                # A future anchor: the first, shorter period is prorated (or free with proration_behavior=none).
                amount = 0 if free else proration.prorate(pricing.exact_amount(price, quantity), full,
                                                          period[1], period[0])
                description = proration_description(ctx, price, quantity, period[0], credit=False)
            elif truncated and cancel_at is not None and period[0] < cancel_at < period[1]:
                # flexible: the period keeps its end; the charge stops at cancel_at.
                amount = proration.round_amount(Fraction(pricing.exact_amount(price, quantity))
                                                * (cancel_at - period[0]) / (period[1] - period[0]))
                description = proration_description(ctx, price, quantity, period[0], credit=False)
                period = (period[0], cancel_at)
            else:
                amount = item_amount(price, quantity)
                description = line_description(ctx, price, quantity)
        lines.append(invoices.subscription_line(
            invoice_id=None, subscription=subscription["id"], item=item["id"], price=price, quantity=quantity,
            amount=amount, period=period, description=description,
            tax_rates=line_tax_rates(subscription, item)))
    return lines


def one_off_price(ctx: Ctx, spec: dict[str, Any], param: str) -> dict[str, Any]:
    """The price of an `add_invoice_items[]` entry: `price`, or `price_data` (which creates an inactive
    one-time price, as Stripe does)."""
    if spec.get("price"):
        return prices.require(ctx, spec["price"], param=f"{param}[price]")
    if spec.get("price_data"):
        data = spec["price_data"]
        return prices.create(ctx, {"product": data["product"], "currency": data["currency"], "active": False,
                                   **({"unit_amount": data["unit_amount"]} if "unit_amount" in data else
                                      {"unit_amount_decimal": data.get("unit_amount_decimal", "0")})},
                             param_prefix=f"{param}[price_data]")
    raise InvalidRequestError(f"Missing required param: {param}[price].", param=f"{param}[price]",
                              code="parameter_missing")


def _add_invoice_item(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], spec: dict[str, Any],
                      param: str, period: tuple[int, int] | None = None) -> None:
    """A one-off item for the next invoice. Its period defaults, as in Stripe, to the latest item period start
    and the earliest item period end (`period[start|end][type]`, or timestamps); its `tax_rates`, else the
    subscription's default tax rates."""
    from emulator.resources import tax_rates as tax_rate_resource

    quantity = spec.get("quantity", 1)
    price = one_off_price(ctx, spec, param)
    if period is None:
        period = _one_off_period(ctx, subscription, spec.get("period") or {}, param)
    rates = tax_rate_resource.resolve(ctx, spec["tax_rates"], f"{param}[tax_rates]") if spec.get("tax_rates") \
        else subscription.get("default_tax_rates") or []
    item = invoice_items.build(ctx, customer=customer, amount=item_amount(price, quantity), currency=price["currency"],
                               description=_product_name(ctx, price), period=period, quantity=quantity,
                               price=price, subscription=subscription["id"], metadata=spec.get("metadata"),
                               discountable=spec.get("discountable", True), tax_rates=rates)
    invoice_items.store(ctx, item)


def _one_off_period(ctx: Ctx, subscription: dict[str, Any], spec: dict[str, Any], param: str) -> tuple[int, int]:
    items = subscription["items"]["data"]
    start_spec, end_spec = spec.get("start") or {}, spec.get("end") or {}
    start = {"now": ctx.now(), "timestamp": start_spec.get("timestamp")}.get(
        start_spec.get("type"), max(i["current_period_start"] for i in items))
    end = end_spec.get("timestamp") if end_spec.get("type") == "timestamp" else \
        min(i["current_period_end"] for i in items)
    if start is None or end is None:
        raise InvalidRequestError("A period of type `timestamp` needs its `timestamp`.", param=f"{param}[period]")
    if end < start:
        raise InvalidRequestError("The period's end must not be before its start.", param=f"{param}[period][end]")
    return start, end


# -- periods and timers -----------------------------------------------------------------------------------
def _schedule_period_end(ctx: Ctx, subscription: dict[str, Any]) -> None:
    """Plan the next transition: cancellation at `cancel_at`, else renewal at the period end; and the
    trial_will_end warning."""
    clock_id = subscription["test_clock"]
    sub_id = subscription["id"]
    timers.cancel_kinds(ctx, ("subscription.renew", "subscription.cancel", "subscription.trial_will_end",
                              "subscription.upcoming"), sub_id)
    if subscription["status"] in ("canceled", "incomplete_expired", "incomplete"):
        return
    _, period_end = current_period(subscription)
    cancel_at = subscription.get("cancel_at")
    if cancel_at is not None and cancel_at <= period_end:
        timers.schedule(ctx, "subscription.cancel", sub_id, cancel_at, test_clock=clock_id, replace=False)
    else:
        timers.schedule(ctx, "subscription.renew", sub_id, period_end, test_clock=clock_id, replace=False)
    if not (cancel_at is not None and cancel_at <= period_end) and subscription["collection_method"] == \
            "charge_automatically":
        upcoming_at = period_end - int(ctx.settings.get("UPCOMING_INVOICE_DAYS", 3)) * 86400
        if upcoming_at > ctx.now():
            timers.schedule(ctx, "subscription.upcoming", sub_id, upcoming_at, test_clock=clock_id, replace=False)
    if subscription["status"] == "trialing" and subscription["trial_end"]:
        warn_at = max(subscription["trial_end"] - TRIAL_WILL_END_BEFORE, ctx.now())
        if warn_at < subscription["trial_end"]:
            timers.schedule(ctx, "subscription.trial_will_end", sub_id, warn_at, test_clock=clock_id, replace=False)


# Work that must happen at a period end before the renewal bills it (schedule phase changes register here).
BEFORE_RENEW_HOOKS: list[Any] = []


def renew(ctx: Ctx, subscription_id: str) -> dict[str, Any] | None:
    """At the period end (ctx.now()): roll every item to the next period, end a trial, drop ended
    discounts, and bill the new period with a draft invoice finalized about an hour later."""
    current = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if current is not None and not current.get("deleted"):
        for hook in BEFORE_RENEW_HOOKS:
            hook(ctx, current)
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or before.get("deleted") or before["status"] not in ("active", "past_due", "trialing",
                                                                             "unpaid", "paused"):
        return None
    now = ctx.now()
    if current_period(before)[1] > now:
        # A hook (a schedule phase that starts a trial or resets the anchor) already moved the period on.
        return None
    if before["status"] == "trialing" and not _has_payment_method(ctx, before):
        behavior = before["trial_settings"]["end_behavior"]["missing_payment_method"]
        if behavior == "cancel":
            return cancel(ctx, subscription_id, {}, reason="cancellation_requested")
        if behavior == "pause":
            paused = {**_copy(before), "status": "paused", "trial_end": now,
                      "status_details": _paused_details("trial_end_without_payment_method", now)}
            save(ctx, before, paused)
            events.emit(ctx, "customer.subscription.paused", paused)
            _schedule_period_end(ctx, paused)
            return paused
    if before["status"] == "paused":
        return None
    # Metered items bill the period that just ended (usage during a trial is free).
    usage = metered_usage.usage_lines(ctx, before, now) if before["status"] != "trialing" else []
    subscription = _copy(before)
    for item in subscription["items"]["data"]:
        item["current_period_start"] = now
        item["current_period_end"] = next_period_end(subscription, item["price"]["recurring"], now)
    if subscription["status"] == "trialing":
        subscription["status"] = "active"
    subscription["discounts"] = _live_discounts(ctx, subscription["discounts"], now)
    customer = common.require(ctx, "customer", subscription["customer"], allow_deleted=True)
    lines = _period_lines(ctx, subscription, after_trial=before["status"] == "trialing") + usage
    _end_period_at_cancel_at(subscription)
    # customer.subscription.updated names the renewal invoice created right after it.
    invoice_id = subscription["latest_invoice"] = ids.new_id("in")
    save(ctx, before, subscription)
    pause = subscription.get("pause_collection") or {}
    if pause.get("resumes_at") is not None and pause["resumes_at"] <= now:
        pause = {}
        cleared = require(ctx, subscription_id)
        save(ctx, cleared, {**_copy(cleared), "pause_collection": None})
    # pause_collection: keep_as_draft leaves invoices drafts that are never collected; the other behaviours
    # finalize and close them at once. An unpaid subscription's drafts are not finalized either.
    behavior = pause.get("behavior")
    auto_finalize = behavior not in ("keep_as_draft", "mark_uncollectible", "void") and \
        subscription["status"] != "unpaid"
    invoice = invoices.create_draft(ctx, customer=customer, currency=subscription["currency"],
                                    billing_reason="subscription_cycle", subscription=subscription, lines=lines,
                                    period=(before_period_start(before), now), discounts=subscription["discounts"],
                                    collection_method=subscription["collection_method"],
                                    days_until_due=subscription["days_until_due"],
                                    default_payment_method=subscription["default_payment_method"],
                                    auto_advance=behavior != "keep_as_draft", auto_finalize=auto_finalize,
                                    invoice_id=invoice_id)
    _consume_once_discounts(ctx, subscription)
    if behavior in ("mark_uncollectible", "void"):
        invoices.finalize(ctx, invoice["id"], auto_advance=False)
        if invoices.require(ctx, invoice["id"])["status"] == "open":
            if behavior == "void":
                invoices.void(ctx, invoice["id"])
            else:
                invoices.mark_uncollectible(ctx, invoice["id"], reason="subscription_paused")
    elif auto_finalize:
        invoices.schedule_auto_finalize(ctx, invoice)
    _schedule_period_end(ctx, require(ctx, subscription_id))
    return require(ctx, subscription_id)


def pause(ctx: Ctx, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscriptions/{id}/pause`: status `paused` now, no renewals until resumed. The unused time is
    credited (`bill_for[unused_time_from][type]`, `now` by default as the SDK documents; `none` credits
    nothing) as pending invoice items, or on an invoice right away with `invoicing_behavior=invoice`."""
    before = require(ctx, subscription_id)
    ctx = ctx.on_clock(before["test_clock"])
    if before["status"] not in ("active", "trialing", "past_due"):
        raise InvalidRequestError(f"A subscription that is {before['status']} cannot be paused.",
                                  param="subscription")
    now = ctx.now()
    unused_from = ((params.get("bill_for") or {}).get("unused_time_from") or {}).get("type", "now")
    if unused_from in ("now", "item_current_period_start") and before["status"] != "trialing":
        customer = common.require(ctx, "customer", before["customer"])
        start, end = current_period(before)
        moment = now if unused_from == "now" else start
        for item in before["items"]["data"]:
            _credit(ctx, customer, before, item, moment, start, end)
    paused = {**_copy(before), "status": "paused", "status_details": _paused_details("pause_requested", now)}
    timers.cancel_kinds(ctx, ("subscription.renew", "subscription.upcoming", "subscription.trial_will_end"),
                        subscription_id)
    save(ctx, before, paused)
    events.emit(ctx, "customer.subscription.paused", paused)
    if params.get("invoicing_behavior") == "invoice" and unused_from != "none":
        _invoice_now(ctx, subscription_id, {"off_session": True})
    return require(ctx, subscription_id)


def _has_payment_method(ctx: Ctx, subscription: dict[str, Any]) -> bool:
    if subscription.get("default_payment_method") or subscription.get("default_source"):
        return True
    customer = ctx.store.get(ctx.account_id, subscription["customer"], "customer")
    return bool(customer and not customer.get("deleted") and (
        customer["invoice_settings"].get("default_payment_method") or customer.get("default_source")))


def resume(ctx: Ctx, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscriptions/{id}/resume` (customer.subscription.resumed). With `billing_cycle_anchor=now`
    (the default) a paused subscription starts a new period now and bills it at once. With `unchanged` the
    period runs to the anchor's next boundary and `proration_behavior` bills that remaining time: a pending
    proration (`create_prorations`, the default), an invoice now (`always_invoice`) or nothing (`none`), as
    though resumed at `proration_date` if given."""
    before = require(ctx, subscription_id)
    ctx = ctx.on_clock(before["test_clock"])
    if before["status"] != "paused":
        raise InvalidRequestError("Only paused subscriptions can be resumed.", param="subscription")
    now = ctx.now()
    keep_anchor = (params.get("billing_cycle_anchor") or {}).get("type") == "unchanged"
    moment = params.get("proration_date", now)
    subscription = {**_copy(before), "status": "active"}
    subscription.pop("status_details", None)
    if not keep_anchor:
        subscription["billing_cycle_anchor"] = now
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = now
        item["current_period_end"] = next_period_end(subscription, recurring, now) if keep_anchor else \
            periods.boundary(now, recurring["interval"], recurring["interval_count"], 1)
    first = subscription["items"]["data"][0]
    if keep_anchor and not _full_period_start(subscription, first["price"], first["current_period_end"]) <= \
            moment <= first["current_period_end"]:
        raise InvalidRequestError("proration_date must be within the current billing period.",
                                  param="proration_date")
    save(ctx, before, subscription)
    events.emit(ctx, "customer.subscription.resumed", subscription)
    if keep_anchor:
        behavior = params.get("proration_behavior", "create_prorations")
        if behavior != "none":
            customer = common.require(ctx, "customer", subscription["customer"])
            for item in subscription["items"]["data"]:
                if metered_usage.is_metered(item["price"]):
                    continue
                end = item["current_period_end"]
                _debit(ctx, customer, subscription, item, item["price"], item["quantity"], moment,
                       _full_period_start(subscription, item["price"], end), end)
        result = require(ctx, subscription_id)
        if behavior == "always_invoice":
            _invoice_now(ctx, subscription_id, {"off_session": True})
            result = require(ctx, subscription_id)
        _schedule_period_end(ctx, result)
        return result
    ctx.memo["bill_new_period"] = subscription_id
    invoice = _invoice_now(ctx, subscription_id, {"off_session": True})
    if invoice["status"] != "paid" and params.get("payment_behavior") == "resume_on_payment_success":
        raise InvalidRequestError("The payment to resume the subscription failed.", param="payment_behavior")
    result = require(ctx, subscription_id)
    _schedule_period_end(ctx, result)
    return result


def delete_discount(ctx: Ctx, subscription_id: str) -> dict[str, Any]:
    """`DELETE /v1/subscriptions/{id}/discount`: the subscription's discounts end now."""
    before = require(ctx, subscription_id)
    if not before["discounts"]:
        raise InvalidRequestError("This subscription has no discount to delete.", code="resource_missing",
                                  http_status=404)
    first = ctx.store.get(ctx.account_id, before["discounts"][0], "discount")
    for discount_id in before["discounts"]:
        discounts.remove(ctx, discount_id)
    save(ctx, before, {**_copy(before), "discounts": []})
    return {**(first or {}), "deleted": True}


def _end_period_at_cancel_at(subscription: dict[str, Any]) -> None:
    """classic: a `cancel_at` inside the current period ends the period there and moves the billing cycle
    anchor to it (flexible keeps the period's end; only the billing stops at cancel_at)."""
    cancel_at = subscription.get("cancel_at")
    if subscription["billing_mode"]["type"] != "classic" or cancel_at is None:
        return
    items = [item for item in subscription["items"]["data"]
             if item["current_period_start"] < cancel_at < item["current_period_end"]]
    for item in items:
        item["current_period_end"] = cancel_at
    if items:
        subscription["billing_cycle_anchor"] = cancel_at


def next_period_end(subscription: dict[str, Any], recurring: dict[str, Any], now: int) -> int:
    """The end of the period starting at `now`: from the anchor, or on the configured day of month (an anchor
    configured for the 31st bills on the 31st whenever the month has one)."""
    config = subscription.get("billing_cycle_anchor_config")
    interval, count = recurring["interval"], recurring["interval_count"]
    if config:
        base = periods.boundary(now, interval, count - 1, 1) if count > 1 else now
        return periods.anchor_from_config(base, interval, count, config["day_of_month"], config.get("month"),
                                          config.get("hour"), config.get("minute"), config.get("second"))
    return periods.next_boundary(subscription["billing_cycle_anchor"], interval, count, now)


def _period_lines(ctx: Ctx, subscription: dict[str, Any], *, preview: bool = False,
                  after_trial: bool = False) -> list[dict[str, Any]]:
    """One line per licensed item for the items' current periods (metered items bill in arrears). The first
    period `after_trial`, when it ends on the anchor's boundary before a full interval, is prorated."""
    lines = []
    for item in subscription["items"]["data"]:
        if metered_usage.is_metered(item["price"]):
            continue
        price, quantity = item["price"], item["quantity"]
        start, end = item["current_period_start"], item["current_period_end"]
        full_start = _full_period_start(subscription, price, end) if after_trial else start
        cancel_at = subscription.get("cancel_at")
        if cancel_at is not None and start < cancel_at < end:
            # The last period, cut short by cancel_at, bills only the time up to it (whatever the
            # proration_behavior was when cancel_at was set).
            amount = proration.round_amount(Fraction(pricing.exact_amount(price, quantity)) * (cancel_at - start)
                                            / (end - start))
            description = proration_description(ctx, price, quantity, start, credit=False)
            end = cancel_at
        elif start > full_start:
            amount = proration.prorate(pricing.exact_amount(price, quantity), full_start, end, start)
            description = proration_description(ctx, price, quantity, start, credit=False)
        else:
            amount, description = item_amount(price, quantity), line_description(ctx, price, quantity)
        lines.append(invoices.subscription_line(
            invoice_id=None, subscription=subscription["id"], item=item["id"], price=price, quantity=quantity,
            amount=amount, period=(start, end), description=description,
            tax_rates=line_tax_rates(subscription, item), preview=preview))
    return lines


def _full_period_start(subscription: dict[str, Any], price: dict[str, Any], end: int) -> int:
    """Where a whole period of the anchor's cycle ending at `end` starts."""
    recurring = price["recurring"]
    return periods.period_containing(subscription["billing_cycle_anchor"], recurring["interval"],
                                     recurring["interval_count"], end - 1)[0]


def upcoming_invoice(ctx: Ctx, subscription: dict[str, Any]) -> dict[str, Any]:
    """The renewal invoice the subscription will get at its period end, built without writing anything:
    the next period's lines, the pending invoice items, the discounts still active then."""
    _, period_end = current_period(subscription)
    upcoming = _copy(subscription)
    for item in upcoming["items"]["data"]:
        item["current_period_start"] = period_end
        item["current_period_end"] = next_period_end(upcoming, item["price"]["recurring"], period_end)
    upcoming["discounts"] = [d for d in upcoming["discounts"] if discounts.active_at(ctx, d, period_end)]
    customer = common.require(ctx, "customer", subscription["customer"], allow_deleted=True)
    invoice = invoices.create_draft(ctx.at(period_end), customer=customer, currency=subscription["currency"],
                                    billing_reason="upcoming", subscription=upcoming,
                                    lines=_period_lines(ctx, upcoming, preview=True,
                                                        after_trial=subscription["status"] == "trialing") + (
                                        metered_usage.usage_lines(ctx, subscription, period_end, preview=True)
                                        if subscription["status"] != "trialing" else []),
                                    period=(current_period(subscription)[0], period_end),
                                    discounts=upcoming["discounts"],
                                    collection_method=subscription["collection_method"],
                                    default_payment_method=subscription["default_payment_method"], persist=False)
    invoice["id"] = "upcoming_" + invoice["id"]
    for line in invoice["lines"]["data"]:
        line["invoice"] = invoice["id"]
        if not line["id"].startswith("il_tmp"):
            line["id"] = ids.new_id("il_tmp")
    invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
    return invoice


def before_period_start(subscription: dict[str, Any]) -> int:
    return current_period(subscription)[0]


def _copy(subscription: dict[str, Any]) -> dict[str, Any]:
    """A copy whose top level, item list and items can be changed. Deeper values stay shared with the stored
    document and are replaced, never changed in place (tests verify it: STRIPE_EMULATOR_VERIFY_SHARED)."""
    items = subscription["items"]
    return {**subscription, "items": {**items, "data": [dict(item) for item in items["data"]]}}


def _live_discounts(ctx: Ctx, discount_ids: list[str], moment: int) -> list[str]:
    live = []
    for discount_id in discount_ids:
        if discounts.active_at(ctx, discount_id, moment):
            live.append(discount_id)
        else:
            discounts.remove(ctx, discount_id)
    return live


def _consume_once_discounts(ctx: Ctx, subscription: dict[str, Any]) -> None:
    """`once` coupons leave subscription.discounts after the invoice they discounted."""
    remaining = []
    for discount_id in subscription["discounts"]:
        coupon = discounts.coupon_of(ctx, discount_id)
        if coupon is not None and coupon["duration"] == "once":
            discounts.remove(ctx, discount_id)
        else:
            remaining.append(discount_id)
    if remaining != subscription["discounts"]:
        before = require(ctx, subscription["id"])
        save(ctx, before, {**_copy(before), "discounts": remaining})


# -- reactions to invoices ----------------------------------------------------------------------------------
def _on_invoice_paid(ctx: Ctx, invoice: dict[str, Any]) -> None:
    subscription_id = invoices.subscription_of(invoice)
    if not subscription_id:
        return
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or before.get("deleted"):
        return
    timers.cancel(ctx, "subscription.expire_incomplete", subscription_id)
    # What the payment changes (the payment method kept, the status) goes out in one update event.
    after = _keep_payment_method(ctx, before, invoice) if _saves_payment_method(before) else before
    if ctx.memo.get("creating_subscription") == subscription_id:
        # Paid inside the create call: the subscription is created active (no separate update event).
        if after is not before:
            ctx.store.update(ctx.account_id, after)
        _consume_once_discounts(ctx, after)
        return
    if before.get("pending_update") and before["latest_invoice"] == invoice["id"]:
        if after is not before:
            save(ctx, before, after)
        apply_pending_update(ctx, subscription_id)
        return
    reactivated = before["status"] in ("incomplete", "past_due", "unpaid") and \
        before["latest_invoice"] == invoice["id"]
    if reactivated:
        after = {**_copy(after), "status": "active"}
    if after is not before:
        save(ctx, before, after)
    if reactivated:
        _schedule_period_end(ctx, after)
    if invoice["billing_reason"] == "subscription_create":
        _consume_once_discounts(ctx, require(ctx, subscription_id))


def _keep_payment_method(ctx: Ctx, before: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    """save_default_payment_method=on_subscription: the payment method that paid the invoice becomes the
    subscription's default_payment_method (a changed copy, not saved; `before` itself when nothing changes)."""
    intent_id = invoices.latest_intent_id(ctx, invoice["id"])
    intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
    method = (intent or {}).get("payment_method")
    if not method or method == before["default_payment_method"]:
        return before
    return {**_copy(before), "default_payment_method": method}


def _reactivate(ctx: Ctx, before: dict[str, Any]) -> None:
    after = {**_copy(before), "status": "active"}
    save(ctx, before, after)
    _schedule_period_end(ctx, after)


def _on_invoice_voided(ctx: Ctx, invoice: dict[str, Any]) -> None:
    """Stripe derives the status from the latest invoice that is not void: voiding the unpaid invoice that made
    a subscription past_due or unpaid makes it active again."""
    subscription_id = invoices.subscription_of(invoice)
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT) if subscription_id else None
    if before is not None and before["status"] in ("past_due", "unpaid") and \
            before["latest_invoice"] == invoice["id"]:
        _reactivate(ctx, before)


def _on_invoice_failed(ctx: Ctx, invoice: dict[str, Any]) -> None:
    subscription_id = invoices.subscription_of(invoice)
    if not subscription_id:
        return
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or before.get("deleted") or before["latest_invoice"] != invoice["id"]:
        return
    if ctx.memo.get("pending_if_incomplete") == subscription_id:
        return  # the update is deferred instead (pending_update); the subscription stays as it was
    if before["status"] in ("active", "trialing"):
        save(ctx, before, {**_copy(before), "status": "past_due"})
    if _dunning_applies(ctx, before, invoice):
        # The retry time was set on the invoice before invoice.payment_failed (retry_at); none left: the
        # configured final action.
        if invoice["next_payment_attempt"] is not None:
            timers.schedule(ctx, "invoice.retry", invoice["id"], invoice["next_payment_attempt"],
                            test_clock=invoice.get("test_clock"))
        else:
            _final_dunning_action(ctx, invoice)


def _dunning_applies(ctx: Ctx, subscription: dict[str, Any] | None, invoice: dict[str, Any]) -> bool:
    """Whether dunning retries this failed invoice: the subscription's latest, not deferred as a pending
    update, and not the first payment inside the create call (that leaves the subscription incomplete)."""
    return subscription is not None and not subscription.get("deleted") and \
        subscription["latest_invoice"] == invoice["id"] and \
        ctx.memo.get("pending_if_incomplete") != subscription["id"] and \
        (invoice["billing_reason"] != "subscription_create" or subscription["status"] != "incomplete")


def retry_at(ctx: Ctx, invoice: dict[str, Any]) -> int | None:
    """Dunning: when a failed subscription invoice is tried again, after the configured delays (days after the
    first failed attempt); None after the last one."""
    subscription_id = invoices.subscription_of(invoice)
    subscription = ctx.store.get(ctx.account_id, subscription_id, OBJECT) if subscription_id else None
    if not _dunning_applies(ctx, subscription, invoice):
        return None
    schedule = [int(d) for d in str(ctx.settings.get("DUNNING_RETRY_DAYS", "3,5,7")).split(",") if d.strip()]
    attempt = invoice["attempt_count"]
    if attempt - 1 >= len(schedule):
        return None
    delay = schedule[attempt - 1] * 86400
    finalized_at = invoice["status_transitions"]["finalized_at"]
    at = finalized_at + sum(d * 86400 for d in schedule[:attempt - 1]) + delay if finalized_at else ctx.now() + delay
    return max(at, ctx.now() + 1)


def _final_dunning_action(ctx: Ctx, invoice: dict[str, Any]) -> None:
    subscription_id = invoices.subscription_of(invoice)
    if not subscription_id:
        return
    action = ctx.settings.get("DUNNING_FINAL_ACTION", "cancel")
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or before.get("deleted") or before["status"] == "canceled":
        return
    if action == "cancel":
        cancel(ctx, subscription_id, {}, reason="payment_failed")
    elif action == "unpaid":
        save(ctx, before, {**_copy(before), "status": "unpaid"})


def _on_action_required(ctx: Ctx, invoice: dict[str, Any]) -> None:
    _on_invoice_failed(ctx, invoice)


def _on_invoice_overdue(ctx: Ctx, invoice: dict[str, Any]) -> None:
    """send_invoice: unpaid at the due date makes the subscription past_due."""
    subscription_id = invoices.subscription_of(invoice)
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT) if subscription_id else None
    if before is not None and before["latest_invoice"] == invoice["id"] and before["status"] in ("active",
                                                                                               "trialing"):
        save(ctx, before, {**_copy(before), "status": "past_due"})


invoices.OVERDUE_HOOKS.append(_on_invoice_overdue)
invoices.PAID_HOOKS.append(_on_invoice_paid)
invoices.FAILED_HOOKS.append(_on_invoice_failed)
invoices.RETRY_PLANNERS.append(retry_at)
invoices.ACTION_REQUIRED_HOOKS.append(_on_action_required)
invoices.VOIDED_HOOKS.append(_on_invoice_voided)


def resume_collection(ctx: Ctx, subscription_id: str) -> None:
    """`pause_collection[resumes_at]` has come: collection resumes (pause_collection cleared,
    customer.subscription.updated)."""
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    pause = (before or {}).get("pause_collection") or {}
    if before is not None and pause.get("resumes_at") is not None and pause["resumes_at"] <= ctx.now():
        save(ctx, before, {**_copy(before), "pause_collection": None})


def expire_incomplete(ctx: Ctx, subscription_id: str) -> None:
    """23 hours after creation an unpaid incomplete subscription becomes incomplete_expired and its first
    invoice is voided."""
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or before["status"] != "incomplete":
        return
    after = {**_copy(before), "status": "incomplete_expired", "ended_at": ctx.now()}
    save(ctx, before, after)
    timers.cancel(ctx, None, subscription_id)
    if before["latest_invoice"]:
        invoice = invoices.require(ctx, before["latest_invoice"])
        if invoice["status"] == "open":
            invoices.void(ctx, invoice["id"])


def upcoming(ctx: Ctx, subscription_id: str) -> None:
    """`invoice.upcoming` a few days before a renewal that will be charged automatically; the event's
    invoice is the preview of that renewal (computed by the real renewal, then rolled back)."""
    subscription = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if subscription is None or subscription["status"] not in ("active", "trialing", "past_due"):
        return
    for hook in UPCOMING_HOOKS:
        subscription = hook(ctx, subscription)
        if subscription is None:
            return  # it ends at the period end: no renewal to announce
    events.emit(ctx, "invoice.upcoming", upcoming_invoice(ctx, subscription))


# (ctx, subscription) -> the subscription as it will renew (a schedule's next phase), or None when it will not.
UPCOMING_HOOKS: list[Any] = []


def trial_will_end(ctx: Ctx, subscription_id: str) -> None:
    subscription = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if subscription and subscription["status"] == "trialing":
        events.emit(ctx, "customer.subscription.trial_will_end", subscription)


# -- update -------------------------------------------------------------------------------------------------
# What Stripe lets an integration change while the first payment is outstanding.
INCOMPLETE_UPDATABLE = frozenset({"metadata", "default_payment_method", "default_source"})


def update(ctx: Ctx, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscriptions/{id}`."""
    from emulator.resources import payment_methods

    before = require(ctx, subscription_id)
    ctx = ctx.on_clock(before["test_clock"])
    if before["status"] in ("canceled", "incomplete_expired"):
        allowed = {"metadata", "cancellation_details"}
        if set(params) - allowed:
            raise InvalidRequestError(
                "A canceled subscription can only update its cancellation_details and metadata.",
                code="invalid_canceled_subscription_fields")
    refused = sorted(set(params) - INCOMPLETE_UPDATABLE)
    if before["status"] == "incomplete" and refused:
        raise InvalidRequestError(
            "An incomplete subscription can only update its metadata, default_payment_method and default_source "
            "until its first invoice is paid.", param=refused[0])
    if before.get("pending_update") and (params.get("items") or "billing_cycle_anchor" in params):
        before = _supersede_pending_update(ctx, before)
    if before.get("schedule") and not ctx.memo.get("schedule_applying"):
        for key in ("cancel_at", "cancel_at_period_end"):
            if key in params:
                raise InvalidRequestError(
                    f"The subscription is managed by the subscription schedule `{before['schedule']}`, and updating "
                    "any cancelation behavior directly is not allowed. Please update the schedule instead.",
                    param=key)
    subscription = _copy(before)
    now = ctx.time_for(before["test_clock"])
    moment = params.get("proration_date", now)
    behavior = params.get("proration_behavior", "create_prorations")
    if "proration_date" in params:
        start, end = current_period(before)
        if not start <= moment <= max(end, now):
            raise InvalidRequestError("proration_date must be within the current billing period.",
                                      param="proration_date")
    for key in ("description",):
        if key in params:
            subscription[key] = common.or_none(params[key])
    if "metadata" in params:
        subscription["metadata"] = common.apply_metadata(subscription["metadata"], params["metadata"])
    if "cancellation_details" in params:
        details = params["cancellation_details"] or {}
        subscription["cancellation_details"] = {**subscription["cancellation_details"],
                                                "comment": common.or_none(details.get("comment")),
                                                "feedback": common.or_none(details.get("feedback"))}
    if "default_payment_method" in params:
        pm = params["default_payment_method"]
        subscription["default_payment_method"] = None if pm == "" else payment_methods.resolve_attached(
            ctx, pm, subscription["customer"], param="default_payment_method")["id"]
    if "collection_method" in params:
        subscription["collection_method"] = params["collection_method"]
        if params["collection_method"] == "charge_automatically":
            subscription["days_until_due"] = None
    if "days_until_due" in params:
        subscription["days_until_due"] = params["days_until_due"]
    if {"collection_method", "days_until_due"} & params.keys():
        _check_days_until_due(subscription["collection_method"], subscription["days_until_due"])
    if "default_tax_rates" in params:
        from emulator.resources import tax_rates as tax_rate_resource

        subscription["default_tax_rates"] = tax_rate_resource.resolve(ctx, params["default_tax_rates"],
                                                                      "default_tax_rates")
    if "automatic_tax" in params:
        subscription["automatic_tax"] = _automatic_tax(params["automatic_tax"])
    if "payment_settings" in params:
        subscription["payment_settings"] = _payment_settings(subscription["payment_settings"],
                                                             params["payment_settings"])
    if "trial_settings" in params:
        subscription["trial_settings"] = _trial_settings(subscription["trial_settings"], params["trial_settings"])
    if "pause_collection" in params:
        pause = params["pause_collection"]
        subscription["pause_collection"] = None if pause == "" else {"behavior": pause["behavior"],
                                                                     "resumes_at": pause.get("resumes_at")}
        timers.cancel(ctx, "subscription.resume_collection", subscription_id)
        resumes_at = (subscription["pause_collection"] or {}).get("resumes_at")
        if resumes_at is not None and resumes_at > now:
            timers.schedule(ctx, "subscription.resume_collection", subscription_id, resumes_at,
                            test_clock=subscription["test_clock"])
    if "discounts" in params:
        kept = discounts.resolve_list(ctx, params["discounts"], customer=subscription["customer"],
                                      subscription=subscription_id, update=True)
        for discount_id in subscription["discounts"]:
            if discount_id not in kept:
                discounts.remove(ctx, discount_id)
        subscription["discounts"] = kept
        discounts.attach(ctx, [d for d in subscription["discounts"] if d not in before["discounts"]], subscription_id)
    _apply_cancel_params(subscription, params, now)
    immediate = False
    interval_changed = False
    anchor_now = (params.get("billing_cycle_anchor") or {}).get("type") == "now" \
        if isinstance(params.get("billing_cycle_anchor"), dict) else params.get("billing_cycle_anchor") == "now"
    # classic: leaving all-zero prices for a paid one restarts the period now (flexible never does).
    was_free = _all_free(before) and before["status"] != "trialing" and bool(params.get("items"))
    leaves_free = was_free and subscription["billing_mode"]["type"] == "classic"
    if params.get("items"):
        # A period restarting now is billed in full: the changed items' remaining time is not debited.
        interval_changed = _apply_items(ctx, before, subscription, params["items"], moment, behavior,
                                        restarts=anchor_now or leaves_free)
        immediate = interval_changed
    if "trial_end" in params and _apply_trial_end(ctx, subscription, params["trial_end"], now):
        _start_trial(ctx, before, subscription, now, behavior)
        # A schedule's phase bills the trial itself, with the phase's add_invoice_items.
        immediate = immediate or not ctx.memo.get("schedule_applying")
    if ctx.memo.get("trial_ended_now"):
        immediate = True  # trial_end=now: the period starting now is billed at once
    _end_trial_by_cancel_at(subscription)
    if behavior != "none":
        _credit_after_cancel_at(ctx, before, subscription, now)
    paid_now = was_free and not _all_free(subscription)
    if anchor_now or interval_changed or (leaves_free and paid_now):
        _reset_anchor(ctx, before, subscription, now, behavior)
        immediate = True
    elif paid_now:
        immediate = True  # Stripe charges at once when a subscription that needed no payment starts paying
    invoice_id = None
    if behavior == "always_invoice" or immediate:
        # customer.subscription.updated names the invoice this change creates right after it.
        invoice_id = subscription["latest_invoice"] = ids.new_id("in")
    save(ctx, before, subscription)
    if invoice_id is not None:
        invoice = _invoice_now(ctx, subscription_id, params, invoice_id=invoice_id)
        if invoice["status"] != "paid" and params.get("payment_behavior") == "pending_if_incomplete":
            _defer_as_pending_update(ctx, before, subscription_id, invoice)
    result = require(ctx, subscription_id)
    _schedule_period_end(ctx, result)
    for hook in AFTER_UPDATE_HOOKS:
        hook(ctx, before, result, params)
    return require(ctx, subscription_id)


# Called after a direct update with (ctx, before, after, params): a schedule reflects edits in its phases.
AFTER_UPDATE_HOOKS: list[Any] = []

PENDING_UPDATE_EXPIRY = 23 * 3600


def _all_free(subscription: dict[str, Any]) -> bool:
    """Only zero-amount prices (a metered item is not a free price, nor is a paid price at quantity 0)."""
    items = subscription["items"]["data"]
    return not any(metered_usage.is_metered(i["price"]) for i in items) and \
        sum(item_amount(i["price"], max(i["quantity"], 1)) for i in items) == 0


def _defer_as_pending_update(ctx: Ctx, before: dict[str, Any], subscription_id: str, invoice: dict[str, Any]
                             ) -> None:
    """payment_behavior=pending_if_incomplete: the payment failed, so the subscription keeps its old items and
    carries `pending_update` until the invoice is paid (applied) or 23 hours pass (expired)."""
    changed = require(ctx, subscription_id)
    reverted = _copy(before)
    reverted["latest_invoice"] = invoice["id"]
    reverted["status"] = before["status"]
    reverted["pending_update"] = {
        "billing_cycle_anchor": changed["billing_cycle_anchor"]
        if changed["billing_cycle_anchor"] != before["billing_cycle_anchor"] else None,
        "cancel_at_period_end": None, "discount": None, "discounts": None,
        "expires_at": ctx.now() + PENDING_UPDATE_EXPIRY, "metadata": None,
        "subscription_items": changed["items"]["data"], "trial_end": None, "trial_from_plan": None,
    }
    save(ctx, changed, reverted)
    timers.schedule(ctx, "subscription.pending_update_expire", subscription_id,
                    reverted["pending_update"]["expires_at"], test_clock=reverted["test_clock"])


def apply_pending_update(ctx: Ctx, subscription_id: str) -> None:
    """The invoice behind a pending update was paid: the update takes effect
    (customer.subscription.pending_update_applied)."""
    before = require(ctx, subscription_id)
    pending = before.get("pending_update")
    if not pending:
        return
    after = _copy(before)
    after["items"]["data"] = pending["subscription_items"]
    if pending.get("billing_cycle_anchor"):
        after["billing_cycle_anchor"] = pending["billing_cycle_anchor"]
    after["pending_update"] = None
    timers.cancel(ctx, "subscription.pending_update_expire", subscription_id)
    save(ctx, before, after)
    events.emit(ctx, "customer.subscription.pending_update_applied", after,
                previous_attributes={"pending_update": before["pending_update"]})
    _schedule_period_end(ctx, after)


def _supersede_pending_update(ctx: Ctx, before: dict[str, Any]) -> dict[str, Any]:
    """A new change replaces a pending update that was never paid for: it is dropped and its open invoice
    voided (the change it billed never took effect, so nothing of it is credited later)."""
    save(ctx, before, {**_copy(before), "pending_update": None})
    timers.cancel(ctx, "subscription.pending_update_expire", before["id"])
    invoice = invoices.require(ctx, before["latest_invoice"])
    if invoice["status"] == "open":
        invoices.void(ctx, invoice["id"])
    return require(ctx, before["id"])


def expire_pending_update(ctx: Ctx, subscription_id: str) -> None:
    """23 hours without payment: the pending update is dropped and its invoice voided
    (customer.subscription.pending_update_expired)."""
    before = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if before is None or not before.get("pending_update"):
        return
    after = {**_copy(before), "pending_update": None}
    save(ctx, before, after)
    events.emit(ctx, "customer.subscription.pending_update_expired", after,
                previous_attributes={"pending_update": before["pending_update"]})
    invoice = invoices.require(ctx, before["latest_invoice"])
    if invoice["status"] == "open":
        invoices.void(ctx, invoice["id"])


def _apply_cancel_params(subscription: dict[str, Any], params: dict[str, Any], now: int) -> None:
    if "cancel_at_period_end" in params:
        flag = params["cancel_at_period_end"]
        subscription["cancel_at_period_end"] = flag
        subscription["cancel_at"] = current_period(subscription)[1] if flag else None
        subscription["canceled_at"] = now if flag else None
        if flag:
            subscription["cancellation_details"] = {**subscription["cancellation_details"],
                                                    "reason": "cancellation_requested"}
        else:
            subscription["cancellation_details"] = {"comment": None, "feedback": None, "feedback_option": None,
                                                    "reason": None}
    if "cancel_at" in params:
        value = _cancel_at(params["cancel_at"], current_period(subscription))
        if value is not None and value <= now:
            raise InvalidRequestError("cancel_at must be in the future.", param="cancel_at")
        subscription["cancel_at"] = value
        subscription["cancel_at_period_end"] = False
        subscription["canceled_at"] = now if value is not None else None
        if value is not None:
            subscription["cancellation_details"] = {**subscription["cancellation_details"],
                                                    "reason": "cancellation_requested"}
        else:
            subscription["cancellation_details"] = {"comment": None, "feedback": None, "feedback_option": None,
                                                    "reason": None}


def _credit_after_cancel_at(ctx: Ctx, before: dict[str, Any], subscription: dict[str, Any], now: int) -> None:
    """A `cancel_at` newly set inside the current period of a billed subscription credits the time after it
    ("Unused time on ... after <cancel_at>"), collected by the next invoice: at once with always_invoice,
    else the final invoice at cancel_at. classic also ends the period at cancel_at."""
    cancel_at = subscription.get("cancel_at")
    if cancel_at is None or cancel_at == before.get("cancel_at") or cancel_at <= now or \
            subscription["status"] not in ("active", "past_due", "unpaid"):
        return
    customer = common.require(ctx, "customer", subscription["customer"])
    for item in subscription["items"]["data"]:
        if item["current_period_start"] <= cancel_at < item["current_period_end"]:
            _credit(ctx, customer, subscription, item, cancel_at, item["current_period_start"],
                    item["current_period_end"])
    _end_period_at_cancel_at(subscription)


def _apply_trial_end(ctx: Ctx, subscription: dict[str, Any], value: Any, now: int) -> bool:
    """Set, move or end (`now`) the trial. Returns whether a trial starts on a subscription that had none."""
    if value == "now":
        if subscription["status"] == "trialing":
            subscription["trial_end"] = now
            events.emit(ctx, "customer.subscription.trial_will_end", subscription)
            subscription["status"] = "active"
            for item in subscription["items"]["data"]:
                recurring = item["price"]["recurring"]
                item["current_period_start"] = now
                item["current_period_end"] = periods.boundary(now, recurring["interval"], recurring["interval_count"], 1)
            subscription["billing_cycle_anchor"] = now
            ctx.memo["trial_ended_now"] = True
        return False
    value = int(value)
    if value <= now:
        raise InvalidRequestError("Invalid timestamp: must be an integer Unix timestamp in the future.",
                                  param="trial_end")
    subscription["trial_end"] = value
    starting = subscription["status"] != "trialing"
    # trial_start: classic keeps the first trial's start, flexible shows the most recent trial's.
    if not subscription["trial_start"] or (starting and subscription["billing_mode"]["type"] == "flexible"):
        subscription["trial_start"] = now
    subscription["status"] = "trialing"
    if subscription["trial_settings"]["end_behavior"]["billing_cycle_anchor"] != "unchanged":
        subscription["billing_cycle_anchor"] = value
    for item in subscription["items"]["data"]:
        if starting:
            item["current_period_start"] = now  # a new trial period begins now
        item["current_period_end"] = value
    return starting


def _end_trial_by_cancel_at(subscription: dict[str, Any]) -> None:
    """classic: a cancel_at before the trial's end pulls the trial's end (and the period) down to it; flexible
    keeps trial_end."""
    cancel_at, trial_end = subscription.get("cancel_at"), subscription.get("trial_end")
    if subscription["billing_mode"]["type"] != "classic" or subscription["status"] != "trialing" or \
            cancel_at is None or trial_end is None or cancel_at >= trial_end:
        return
    subscription["trial_end"] = subscription["billing_cycle_anchor"] = cancel_at
    for item in subscription["items"]["data"]:
        item["current_period_end"] = min(item["current_period_end"], cancel_at)


def _start_trial(ctx: Ctx, before: dict[str, Any], subscription: dict[str, Any], now: int, behavior: str) -> None:
    """A trial added to a paying subscription: the unused time is credited (unless proration_behavior=none) and a
    $0 invoice for the trial is issued at once (Stripe's example: trial added on Jul 15 -> $0 invoice that day,
    no bill at the old period end, the first full period billed when the trial ends)."""
    if behavior != "none":
        customer = common.require(ctx, "customer", subscription["customer"])
        start, end = current_period(before)
        kept = {(item["id"], item["price"]["id"], item.get("quantity")) for item in subscription["items"]["data"]}
        for item in before["items"]["data"]:
            if (item["id"], item["price"]["id"], item.get("quantity")) in kept:
                _credit(ctx, customer, before, item, now, start, end)
    if not ctx.memo.get("schedule_applying"):
        ctx.memo["trial_started_now"] = subscription["id"]


def _apply_items(ctx: Ctx, before: dict[str, Any], subscription: dict[str, Any], specs: list[dict[str, Any]],
                 moment: int, behavior: str, *, restarts: bool = False) -> bool:
    """Add, change and remove items; create proration invoice items per Stripe's rules (no debits when the
    period `restarts` now: the new period is billed in full). Returns whether the billing interval changed
    (which invoices at once and restarts the period)."""
    customer = common.require(ctx, "customer", subscription["customer"])
    by_id = {item["id"]: item for item in subscription["items"]["data"]}
    old_recurring = _recurring_of(before)
    start, end = current_period(before)
    interval_changed = False
    proratable = behavior != "none" and subscription["status"] not in ("trialing",)
    new_items = list(subscription["items"]["data"])
    for index, spec in enumerate(specs):
        param = f"items[{index}]"
        if spec.get("id"):
            item = by_id.get(spec["id"])
            if item is None:
                raise InvalidRequestError(f"No such subscription item: '{spec['id']}'", param=f"{param}[id]",
                                          code="resource_missing")
            if spec.get("deleted"):
                if metered_usage.is_metered(item["price"]):
                    # clear_usage: the item's usage so far is deleted instead of billed.
                    _leave_metered(ctx, customer, subscription, item, moment,
                                   "none" if spec.get("clear_usage") else behavior)
                elif proratable:
                    _credit(ctx, customer, subscription, item, moment, start, end)
                new_items = [i for i in new_items if i["id"] != item["id"]]
                continue
            old_price, old_quantity = item["price"], item.get("quantity")
            if spec.get("price") or spec.get("price_data"):
                new_price = _resolve_price(ctx, spec, param)
            else:
                new_price = old_price
            _check_quantity(new_price, spec, param)
            new_quantity = spec.get("quantity", old_quantity if old_quantity is not None else 1)
            if metered_usage.is_metered(new_price):
                new_quantity = None
            if "metadata" in spec:
                item["metadata"] = common.apply_metadata(item["metadata"], spec["metadata"])
            if "tax_rates" in spec:
                from emulator.resources import tax_rates as tax_rate_resource

                item["tax_rates"] = tax_rate_resource.resolve(ctx, spec["tax_rates"], f"{param}[tax_rates]")
            if new_price["id"] == old_price["id"] and new_quantity == old_quantity:
                continue
            if not periods.same_interval(new_price["recurring"], old_recurring):
                interval_changed = True
            if metered_usage.is_metered(old_price):
                _leave_metered(ctx, customer, subscription, item, moment, behavior)
            elif proratable:
                _credit(ctx, customer, subscription, item, moment, start, end)
            if proratable and not (interval_changed or restarts) and not metered_usage.is_metered(new_price):
                _debit(ctx, customer, subscription, item, new_price, new_quantity, moment, start, end)
            if metered_usage.is_metered(new_price):
                metered_usage.mark_usage_from(ctx, item["id"], moment)
            item["price"] = new_price
            item["plan"] = plans.plan_view(new_price)
            if new_quantity is None:
                item.pop("quantity", None)
            else:
                item["quantity"] = new_quantity
        else:
            new_price = _resolve_price(ctx, spec, param)
            if any(i["price"]["id"] == new_price["id"] for i in new_items):
                raise InvalidRequestError("Cannot add multiple subscription items with the same price.",
                                          param=f"{param}[price]")
            if not periods.same_interval(new_price["recurring"], old_recurring):
                interval_changed = True
            _check_quantity(new_price, spec, param)
            quantity = spec.get("quantity", 1)
            from emulator.resources import tax_rates as tax_rate_resource

            item = _item(ctx, subscription["id"], new_price, quantity, spec.get("metadata"), (start, end), moment,
                         tax_rate_resource.resolve(ctx, spec.get("tax_rates"), f"{param}[tax_rates]"))
            if metered_usage.is_metered(new_price):
                # A metered item added mid-period counts usage from now on.
                metered_usage.mark_usage_from(ctx, item["id"], moment)
            elif proratable and not (interval_changed or restarts):
                _debit(ctx, customer, subscription, item, new_price, quantity, moment, start, end)
            new_items.append(item)
    if not new_items:
        raise InvalidRequestError("A subscription must keep at least one item.", param="items")
    _check_compatible([item["price"] for item in new_items], "items")
    subscription["items"]["data"] = new_items
    return interval_changed


def _leave_metered(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any],
                   moment: int, behavior: str) -> None:
    """A metered price leaves the item mid-period (price change or removal). flexible: the usage so far is
    billed by an invoice item (not with proration_behavior=none); classic: it is not billed. Metered items
    are never prorated."""
    if subscription["billing_mode"]["type"] == "flexible" and behavior != "none" and \
            subscription["status"] != "trialing":
        metered_usage.bill_usage_so_far(ctx, customer, subscription, item, moment)
    metered_usage.mark_usage_from(ctx, item["id"], moment)


def _credit(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any], moment: int,
            start: int, end: int) -> None:
    """Credit the unused time of the item. classic: the current price and quantity over the rest of the
    period. flexible: what was actually billed for that time, one credit per original debit (less what
    earlier credits already gave back), linked through `proration_details.credited_items`. Metered items bill
    in arrears and are never credited."""
    if metered_usage.is_metered(item["price"]):
        return
    if subscription["billing_mode"]["type"] == "flexible":
        _credit_billed(ctx, customer, subscription, item, moment, end)
        return
    price, quantity = item["price"], item["quantity"]
    full = pricing.exact_amount(price, quantity)
    amount = proration.prorate(full, start, end, moment)
    amount -= sum(d["amount"] for d in _proration_discounts(ctx, subscription, price, amount, full))
    if amount == 0:
        return
    invoice_items.store(ctx, invoice_items.build(
        ctx, customer=customer, amount=-amount, currency=price["currency"],
        description=proration_description(ctx, price, quantity, moment, credit=True), period=(moment, end),
        quantity=quantity, price=price, subscription=subscription["id"], subscription_item=item["id"],
        proration=True, credited=_credited_line(ctx, subscription["id"], item["id"], moment),
        tax_rates=line_tax_rates(subscription, item)))


def _debits_and_credits(ctx: Ctx, subscription_id: str, item_id: str, customer_id: str, itemized: bool = False
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What was debited for the item (invoice lines and pending items, net of discounts; gross with their
    discount amounts when proration discounts are itemized) and the proration credits already issued
    against those debits."""
    debits: dict[str, dict[str, Any]] = {}
    credits: list[dict[str, Any]] = []
    voided: set[str] = set()
    for invoice in ctx.store.select(ctx.account_id, "invoice", where="owner = ?", args=(subscription_id,), limit=12):
        if invoice["status"] == "void":
            voided.add(invoice["id"])
            continue
        for line in invoice["lines"]["data"]:
            details = (line.get("parent") or {}).get("subscription_item_details") or {}
            if details.get("subscription_item") != item_id or line["amount"] <= 0:
                continue
            key = details.get("invoice_item") or line["id"]
            ref = ({"invoice_item": key, "type": "invoice_item"} if details.get("invoice_item") else
                   {"invoice_line_item_details": {"invoice": invoice["id"], "invoice_line_items": [line["id"]]},
                    "type": "invoice_line_items"})
            net = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
            debits[key] = {"key": key, "ref": ref, "amount": line["amount"] if itemized else net,
                           "discounts": line["discount_amounts"], "start": line["period"]["start"],
                           "end": line["period"]["end"], "quantity": line["quantity"],
                           "price": (line.get("pricing") or {}).get("price_details", {}).get("price")}
    for ii in ctx.store.select(ctx.account_id, "invoiceitem", where="customer = ?", args=(customer_id,)):
        parent = (ii.get("parent") or {}).get("subscription_details") or {}
        if parent.get("subscription") != subscription_id or parent.get("subscription_item") != item_id or \
                ii.get("invoice") in voided:
            continue
        if ii["amount"] > 0 and ii["id"] not in debits:
            debits[ii["id"]] = {"key": ii["id"], "ref": {"invoice_item": ii["id"], "type": "invoice_item"},
                                "amount": ii["amount"], "start": ii["period"]["start"], "end": ii["period"]["end"],
                                "discounts": (ii.get("proration_details") or {}).get("discount_amounts") or [],
                                "quantity": ii["quantity"],
                                "price": ((ii.get("pricing") or {}).get("price_details") or {}).get("price")}
        elif ii["amount"] < 0:
            credited = (ii.get("proration_details") or {}).get("credited_items") or {}
            key = credited.get("invoice_item") or ((credited.get("invoice_line_item_details") or {})
                                                   .get("invoice_line_items") or [None])[0]
            if key:
                credits.append({"key": key, "amount": -ii["amount"], "start": ii["period"]["start"],
                                "end": ii["period"]["end"]})
    return list(debits.values()), credits


def _credit_billed(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any],
                   moment: int, end: int) -> None:
    itemized = _itemized(subscription)
    debits, credits = _debits_and_credits(ctx, subscription["id"], item["id"], customer["id"], itemized)
    for debit in debits:
        if debit["end"] <= moment or debit["end"] <= debit["start"]:
            continue
        share = Fraction(debit["amount"]) * proration.fraction_remaining(debit["start"], debit["end"], moment)
        for credit in credits:
            if credit["key"] == debit["key"] and credit["end"] > credit["start"]:
                share -= Fraction(credit["amount"]) * proration.fraction_remaining(
                    credit["start"], credit["end"], max(moment, credit["start"]))
        amount = proration.round_amount(share)
        if amount <= 0:
            continue
        price = ctx.store.get(ctx.account_id, debit["price"], "price") if debit["price"] else item["price"]
        price = price or item["price"]
        credit = invoice_items.build(
            ctx, customer=customer, amount=-amount, currency=price["currency"],
            description=proration_description(ctx, price, debit["quantity"], moment, credit=True),
            period=(moment, debit["end"]), quantity=debit["quantity"], price=price,
            subscription=subscription["id"], subscription_item=item["id"], proration=True, credited=debit["ref"],
            tax_rates=line_tax_rates(subscription, item))
        if itemized:
            # The credited share of each discount the debit carried, with the credit's sign.
            _itemize(credit, [{"amount": -proration.round_amount(Fraction(d["amount"] * amount, debit["amount"])),
                               "discount": d["discount"]} for d in debit["discounts"]])
        invoice_items.store(ctx, credit)


def _credited_line(ctx: Ctx, subscription_id: str, item_id: str, moment: int) -> dict[str, Any] | None:
    """The invoice line that billed the credited time (`proration_details.credited_items`)."""
    for invoice in ctx.store.select(ctx.account_id, "invoice", where="owner = ?", args=(subscription_id,), limit=6):
        for line in invoice["lines"]["data"]:
            details = (line.get("parent") or {}).get("subscription_item_details") or {}
            if details.get("subscription_item") == item_id and line["amount"] > 0 and \
                    line["period"]["start"] <= moment <= line["period"]["end"]:
                return {"invoice_line_item_details": {"invoice": invoice["id"], "invoice_line_items": [line["id"]]},
                        "type": "invoice_line_items"}
    return None


def _debit(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any],
           price: dict[str, Any], quantity: int, moment: int, start: int, end: int) -> None:
    full = pricing.exact_amount(price, quantity)
    gross = proration.prorate(full, start, end, moment)
    taken = _proration_discounts(ctx, subscription, price, gross, full)
    itemized = _itemized(subscription)
    amount = gross if itemized else gross - sum(d["amount"] for d in taken)
    if amount == 0:
        return
    debit = invoice_items.build(
        ctx, customer=customer, amount=amount, currency=price["currency"],
        description=proration_description(ctx, price, quantity, moment, credit=False), period=(moment, end),
        quantity=quantity, price=price, subscription=subscription["id"], subscription_item=item["id"],
        proration=True, tax_rates=line_tax_rates(subscription, item))
    if itemized:
        _itemize(debit, taken)
    invoice_items.store(ctx, debit)


def _itemized(subscription: dict[str, Any]) -> bool:
    """billing_mode[flexible][proration_discounts]=itemized: proration amounts are gross and carry their
    discounts as discount_amounts (otherwise discounts are baked into the amounts)."""
    return ((subscription["billing_mode"].get("flexible") or {}).get("proration_discounts")) == "itemized"


def _itemize(invoice_item: dict[str, Any], taken: list[dict[str, Any]]) -> None:
    taken = [d for d in taken if d["amount"]]
    invoice_item["discounts"] = [d["discount"] for d in taken]
    invoice_item["proration_details"]["discount_amounts"] = taken


def _proration_discounts(ctx: Ctx, subscription: dict[str, Any], price: dict[str, Any], amount: int,
                         full: Fraction | int) -> list[dict[str, Any]]:
    """What the subscription's active discounts take off a proration `amount` (of a `full` period's amount), in
    order. A percent off takes its share of what remains; an amount off comes off the full period's amount and
    is prorated with it (Stripe's example: half a period of a $10 item with $5 off credits 0.5 x (10 - 5))."""
    taken = []
    remaining = amount
    for discount_id in subscription["discounts"]:
        coupon = discounts.coupon_of(ctx, discount_id)
        if coupon is None or remaining <= 0:
            continue
        products = (coupon.get("applies_to") or {}).get("products")
        if products and price["product"] not in products:
            continue
        if coupon.get("percent_off") is not None:
            share = proration.round_amount(Fraction(remaining) * Fraction(str(coupon["percent_off"])) / 100)
        elif coupons.amount_off_in(coupon, price["currency"]) and full:
            amount_off = coupons.amount_off_in(coupon, price["currency"])
            share = min(proration.round_amount(min(Fraction(amount_off), Fraction(full)) * amount
                                               / Fraction(full)), remaining)
        else:
            continue
        taken.append({"amount": share, "discount": discount_id})
        remaining -= share
    return taken


def _reset_anchor(ctx: Ctx, before: dict[str, Any], subscription: dict[str, Any], now: int, behavior: str) -> None:
    """billing_cycle_anchor=now or an interval change: the period restarts now; the new period is billed in
    full at once (unused time of the old configuration was credited)."""
    subscription["billing_cycle_anchor"] = now
    if before["status"] != "trialing":
        # The period restarts: metered usage so far is billed on the immediate invoice.
        kept = {(i["id"], i["price"]["id"]) for i in subscription["items"]["data"]}
        unchanged = [i for i in before["items"]["data"] if (i["id"], i["price"]["id"]) in kept]
        ctx.memo["usage_lines"] = metered_usage.usage_lines(ctx, {**before, "items": {"data": unchanged}}, now)
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        old = next((i for i in before["items"]["data"] if i["id"] == item["id"]), None)
        if old is not None and old["price"]["id"] == item["price"]["id"] and old.get("quantity") == \
                item.get("quantity") and behavior != "none":
            _credit(ctx, common.require(ctx, "customer", subscription["customer"]), subscription, old, now,
                    old["current_period_start"], old["current_period_end"])
        item["current_period_start"] = now
        item["current_period_end"] = periods.boundary(now, recurring["interval"], recurring["interval_count"], 1)
    ctx.memo["bill_new_period"] = subscription["id"]


def _invoice_now(ctx: Ctx, subscription_id: str, params: dict[str, Any], invoice_id: str | None = None
                 ) -> dict[str, Any]:
    """An immediate invoice (always_invoice, interval change, anchor reset): pending prorations plus, when
    the period restarted, the new period in full; finalized and charged."""
    if params.get("payment_behavior") == "pending_if_incomplete":
        ctx.memo["pending_if_incomplete"] = subscription_id
    subscription = require(ctx, subscription_id)
    customer = common.require(ctx, "customer", subscription["customer"])
    lines = []
    if ctx.memo.pop("trial_started_now", None) == subscription_id:
        lines = _first_lines(ctx, subscription, True, False, ctx.now())
    elif ctx.memo.pop("bill_new_period", None) == subscription_id or ctx.memo.pop("trial_ended_now", False):
        for item in subscription["items"]["data"]:
            if metered_usage.is_metered(item["price"]):
                lines.append(metered_usage.zero_line(ctx, subscription, item))
                continue
            lines.append(invoices.subscription_line(
                invoice_id=None, subscription=subscription_id, item=item["id"], price=item["price"],
                quantity=item["quantity"], amount=item_amount(item["price"], item["quantity"]),
                period=(item["current_period_start"], item["current_period_end"]),
                description=line_description(ctx, item["price"], item["quantity"]),
                tax_rates=line_tax_rates(subscription, item)))
    lines += ctx.memo.pop("usage_lines", [])
    invoice = bill_now(ctx, subscription, customer, lines, off_session=bool(params.get("off_session", True)),
                       invoice_id=invoice_id)
    if invoice["status"] != "paid" and invoice["collection_method"] == "charge_automatically":
        if params.get("payment_behavior") == "error_if_incomplete":
            intent = _latest_intent(ctx, invoice["id"])
            error = (intent or {}).get("last_payment_error") or {}
            raise CardError(error.get("message", "Your card was declined."), code=error.get("code", "card_declined"),
                            decline_code=error.get("decline_code"), payment_intent=intent)
    return invoice


def bill_now(ctx: Ctx, subscription: dict[str, Any], customer: dict[str, Any], lines: list[dict[str, Any]], *,
             off_session: bool = True, invoice_id: str | None = None) -> dict[str, Any]:
    """An invoice outside the renewal cycle (`billing_reason=subscription_update`): `lines` plus the customer's
    pending invoice items, becoming the subscription's `latest_invoice`, finalized at once and, when charged
    automatically, paid with the subscription's payment method."""
    invoice = invoices.create_draft(ctx, customer=customer, currency=subscription["currency"],
                                    billing_reason="subscription_update", subscription=subscription, lines=lines,
                                    discounts=subscription["discounts"],
                                    collection_method=subscription["collection_method"],
                                    days_until_due=subscription["days_until_due"],
                                    default_payment_method=subscription["default_payment_method"],
                                    invoice_id=invoice_id)
    latest = require(ctx, subscription["id"])
    if latest["latest_invoice"] != invoice["id"]:
        ctx.store.update(ctx.account_id, {**latest, "latest_invoice": invoice["id"]})
    invoice = invoices.finalize(ctx, invoice["id"])
    if invoice["status"] == "open" and subscription["collection_method"] == "charge_automatically":
        invoice = invoices.attempt_payment(ctx, invoice["id"], off_session=off_session)
    return invoice


# -- cancellation -------------------------------------------------------------------------------------------
def cancel(ctx: Ctx, subscription_id: str, params: dict[str, Any], *, reason: str = "cancellation_requested",
           at_period_end: bool = False) -> dict[str, Any]:
    """`DELETE /v1/subscriptions/{id}` (and cancellations at `cancel_at` / period end / dunning): canceled
    now; `prorate` credits unused time, `invoice_now` bills what is pending; otherwise pending prorations of
    the subscription are dropped. A cancellation planned for `cancel_at` or the period end bills, in a final
    invoice, the period's metered usage and the pending prorations left in place.
    customer.subscription.deleted."""
    before = require(ctx, subscription_id)
    ctx = ctx.on_clock(before["test_clock"])
    if before["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequestError("A canceled subscription can't be canceled again.", param="subscription")
    now = ctx.time_for(before["test_clock"])
    subscription = _copy(before)
    details = params.get("cancellation_details") or {}
    subscription.pop("status_details", None)
    subscription.update({
        "status": "canceled", "canceled_at": before["canceled_at"] or now, "ended_at": now,
        "cancellation_details": {**before["cancellation_details"],
                                 "comment": common.or_none(details.get("comment"))
                                 or before["cancellation_details"].get("comment"),
                                 "feedback": common.or_none(details.get("feedback"))
                                 or before["cancellation_details"].get("feedback"),
                                 "reason": before["cancellation_details"].get("reason") or reason},
    })
    if params.get("prorate"):
        customer = common.require(ctx, "customer", subscription["customer"])
        start, end = current_period(before)
        for item in before["items"]["data"]:
            _credit(ctx, customer, subscription, item, now, start, end)
    timers.cancel(ctx, None, subscription_id)
    pending = invoices.pending_items(ctx, subscription["customer"], subscription_id)
    invoice_now = bool(params.get("invoice_now"))
    # Un-invoiced metered usage is billed by invoice_now, and by a cancellation at the period end.
    usage = metered_usage.usage_lines(ctx, before, now, final=invoice_now) if (invoice_now or at_period_end) and \
        before["status"] != "trialing" else []
    own_pending = [item for item in pending
                   if ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
                   == subscription_id]
    if not invoice_now and not at_period_end:
        for item in own_pending:
            if item["proration"] and not params.get("prorate"):
                ctx.store.remove(ctx.account_id, item["id"])
    if usage or ((invoice_now or at_period_end) and own_pending):
        customer = common.require(ctx, "customer", subscription["customer"], allow_deleted=True)
        invoice = invoices.create_draft(ctx, customer=customer, currency=subscription["currency"],
                                        billing_reason="subscription_update" if invoice_now else
                                        "subscription_cycle", subscription=subscription, lines=usage,
                                        include_pending=invoice_now or at_period_end,
                                        discounts=subscription["discounts"],
                                        collection_method=subscription["collection_method"],
                                        days_until_due=subscription["days_until_due"],
                                        default_payment_method=subscription["default_payment_method"])
        subscription["latest_invoice"] = invoice["id"]
        invoices.finalize(ctx, invoice["id"])
        if invoices.require(ctx, invoice["id"])["status"] == "open" and \
                subscription["collection_method"] == "charge_automatically":
            invoices.attempt_payment(ctx, invoice["id"])
    for invoice in ctx.store.select(ctx.account_id, "invoice", where="owner = ?", args=(subscription_id,)):
        if invoice["status"] in ("draft", "open") and invoice["auto_advance"]:
            ctx.store.update(ctx.account_id, {**invoice, "auto_advance": False})
            timers.cancel(ctx, None, invoice["id"])
    result = save(ctx, before, subscription, event="customer.subscription.deleted")
    for hook in AFTER_CANCEL_HOOKS:
        hook(ctx, result)
    return result


# Called with (ctx, canceled subscription) after a cancellation: its schedule ends with it.
AFTER_CANCEL_HOOKS: list[Any] = []


def cancel_at_due(ctx: Ctx, subscription_id: str) -> None:
    """The engine reached `cancel_at` (or the end of a period set to cancel)."""
    subscription = ctx.store.get(ctx.account_id, subscription_id, OBJECT)
    if subscription is None or subscription["status"] in ("canceled", "incomplete_expired"):
        return
    cancel(ctx, subscription_id, {}, at_period_end=True)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/subscriptions`: not canceled by default; status (incl. `all`, `ended`), customer, price,
    test_clock, collection_method filters."""
    status = params.get("status")

    def keep(subscription: dict[str, Any]) -> bool:
        if status == "all":
            pass
        elif status == "ended":
            if subscription["status"] not in ("canceled", "incomplete_expired"):
                return False
        elif status:
            if subscription["status"] != status:
                return False
        elif subscription["status"] in ("canceled", "incomplete_expired"):
            return False
        if params.get("price") and not any(i["price"]["id"] == params["price"] for i in subscription["items"]["data"]):
            return False
        if params.get("test_clock") and subscription["test_clock"] != params["test_clock"]:
            return False
        if params.get("collection_method") and subscription["collection_method"] != params["collection_method"]:
            return False
        return True

    return common.list_objects(ctx, OBJECT, params, "/v1/subscriptions", columns={"customer": "customer"},
                               post_filter=keep)


def shortest_interval_limit(ctx: Ctx, clock: dict[str, Any]) -> int | None:
    """Stripe's test clock limit: an advance may cover at most two intervals of the shortest subscription
    interval on the clock."""
    rows = ctx.store.select_owned(ctx.account_id, OBJECT, clock["id"])
    limits = []
    for subscription in rows:
        if subscription["status"] in ("canceled", "incomplete_expired"):
            continue
        for item in subscription["items"]["data"]:
            recurring = item["price"]["recurring"]
            limits.append(periods.boundary(clock["frozen_time"], recurring["interval"], recurring["interval_count"], 2))
    return min(limits) if limits else None


def _delete_with_customer(ctx: Ctx, customer: dict[str, Any]) -> None:
    """Deleting a customer cancels its subscriptions immediately."""
    for subscription in ctx.store.select(ctx.account_id, OBJECT, where="customer = ?", args=(customer["id"],)):
        if subscription["status"] not in ("canceled", "incomplete_expired"):
            cancel(ctx, subscription["id"], {})


def _register() -> None:
    from emulator.resources import customers, test_clocks

    customers.DELETE_HOOKS.insert(0, _delete_with_customer)
    test_clocks.ADVANCE_LIMITS.append(shortest_interval_limit)


_register()
