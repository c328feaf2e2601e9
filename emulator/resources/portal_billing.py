"""What the customer portal shows and does for a customer's payment methods and billing details (the portal
pages only render it). Every change goes through the resource functions the API uses, so the objects and
events are the API's:

* **Payment methods** (`features.payment_method_update`): the customer's cards, the customer's default
  (`invoice_settings.default_payment_method`) marked, and each subscription that overrides it with its own
  `default_payment_method`. Adding a card is a PaymentMethod confirmed through a SetupIntent for the
  customer (`payment_methods.create`, `setup_intents.create(confirm=true)`): decline-family cards fail
  with their card error (`setup_intent.setup_failed`), cards that authenticate on setup go through the
  3-D Secure page and come back; a saved card is attached (`payment_method.attached`,
  `setup_intent.succeeded`) and becomes the customer's default (`customer.updated`). "Make default" is the
  customer update; "Remove" detaches (`payment_method.detached`), except, while a subscription that has
  not ended needs one, the last card (as Stripe documents) and the default card (as observed). A
  subscription's override can be removed so the subscription uses the customer's default again.
* **A new default card pays what is overdue**: when a card becomes the default in the portal, the open
  invoices of the customer's `past_due` / `unpaid` subscriptions (charged automatically) are paid with it
  at once, as an automatic collection attempt (`invoices.pay`, off-session). A success makes the
  subscription `active` through the usual invoice hooks; a failure stays an attempt of the dunning
  sequence. (Whether Stripe's portal does this immediately is unconfirmed; the emulator chooses to.)
* **Billing details** (`features.customer_update`): the fields of `allowed_updates` (name, email, address,
  phone, shipping) through `customers.update` (`customer.updated`), tax IDs through `tax_ids.create` /
  `delete` (`customer.tax_id.created` / `.updated` / `.deleted`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError
from emulator.resources import (billing_portal_configurations as configurations, billing_portal_sessions as sessions,
                                common, customers, invoices, payment_methods, setup_intents, subscriptions, tax_ids)
from emulator.resources.portal_updates import PortalError, product_name

# Subscriptions that have not ended still charge a payment method.
LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")
OVERDUE_STATUSES = ("past_due", "unpaid")
BRAND_NAMES = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover",
               "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay", "cartes_bancaires": "Cartes Bancaires"}
ADDRESS_KEYS = ("line1", "line2", "city", "state", "postal_code", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ADOPTED_MARK = "portal_card_adopted"


def _configuration(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any]:
    return configurations.require(ctx, session["configuration"])


def require_feature(ctx: Ctx, session: dict[str, Any], feature: str) -> dict[str, Any]:
    """The session's configuration, or the portal's refusal when `feature` is not enabled in it."""
    configuration = _configuration(ctx, session)
    if not configuration["features"][feature]["enabled"]:
        raise PortalError({"payment_method_update": "refusal.no_payment_methods",
                           "customer_update": "refusal.no_billing_information"}[feature], http_status=403)
    return configuration


def _customer(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any]:
    return common.require(ctx, "customer", session["customer"])


def _live_subscriptions(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    return [s for s in ctx.store.select(ctx.account_id, subscriptions.OBJECT, where="customer = ?",
                                        args=(customer_id,)) if s["status"] in LIVE_STATUSES]


def _cards(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    return [pm for pm in ctx.store.select(ctx.account_id, payment_methods.OBJECT, where="customer = ?",
                                          args=(customer_id,)) if pm["type"] == "card"]


def card_label(pm: dict[str, Any]) -> str:
    """"Visa •••• 4242" (the brand, or the preferred co-badged network, and the last four digits)."""
    card = pm.get("card") or {}
    brand = card.get("display_brand") or card.get("brand") or "card"
    name = BRAND_NAMES.get(brand.replace("american_express", "amex").replace("diners_club", "diners")
                           .replace("union_pay", "unionpay"), brand.replace("_", " ").title())
    return f"{name} •••• {card.get('last4', '')}"


def payment_methods_view(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any] | None:
    """The home page's payment-method section (None when the configuration hides it): the customer's cards,
    the default first (then newest first), each with its label, expiry, whether it is the customer's
    default and which subscriptions pay with it through their own `default_payment_method`; and the
    subscription-level overrides."""
    if not _configuration(ctx, session)["features"]["payment_method_update"]["enabled"]:
        return None
    customer = _customer(ctx, session)
    default = customer["invoice_settings"].get("default_payment_method")
    live = _live_subscriptions(ctx, customer["id"])
    overrides = [{"subscription": s, "product_name": product_name(ctx, s),
                  "payment_method": s["default_payment_method"]} for s in live if s.get("default_payment_method")]
    cards = []
    saved = _cards(ctx, customer["id"])
    for pm in saved:
        # remove_card's rules: with a live subscription, neither the last card nor the default one goes.
        removable = not live or (len(saved) > 1 and pm["id"] != default)
        cards.append({"payment_method": pm, "label": card_label(pm), "is_default": pm["id"] == default,
                      "removable": removable,
                      "expiry": f"{pm['card']['exp_month']:02d}/{pm['card']['exp_year'] % 100:02d}",
                      "subscriptions": [o["product_name"] for o in overrides if o["payment_method"] == pm["id"]]})
    cards.sort(key=lambda entry: not entry["is_default"])
    labels = {entry["payment_method"]["id"]: entry["label"] for entry in cards}
    for override in overrides:
        override["label"] = labels.get(override["payment_method"], override["payment_method"])
    return {"cards": cards, "overrides": overrides, "default": default,
            "needs_one": bool(live)}


def add_card(ctx: Ctx, session: dict[str, Any], card: dict[str, Any], billing_details: dict[str, Any],
             return_url: str) -> dict[str, Any]:
    """The portal's "Add payment method": a card PaymentMethod confirmed through a SetupIntent for the
    customer (off-session usage). Returns `{"outcome": "added", ...}` once the card is saved and made the
    default, or `{"outcome": "requires_action", "redirect": url}` for a card that authenticates on setup
    (the 3-D Secure page returns to `return_url`). Card errors (invalid number, a declined card) raise
    `CardError`; a decline leaves the failed SetupIntent behind, as in Stripe."""
    require_feature(ctx, session, "payment_method_update")
    customer = _customer(ctx, session)
    ctx = ctx.on_clock(customer.get("test_clock"))
    pm = payment_methods.create(ctx, {"type": "card", "card": card, "billing_details": billing_details})
    intent = setup_intents.create(ctx, {"customer": customer["id"], "payment_method": pm["id"], "confirm": True,
                                        "usage": "off_session", "payment_method_types": ["card"],
                                        "return_url": return_url})
    if intent["status"] == "requires_action":
        return {"outcome": "requires_action", "setup_intent": intent,
                "redirect": intent["next_action"]["redirect_to_url"]["url"]}
    return _adopt(ctx, customer["id"], intent)


def finish_setup(ctx: Ctx, session: dict[str, Any], setup_intent_id: str) -> dict[str, Any]:
    """Back from the 3-D Secure page: a succeeded SetupIntent's card becomes the default (once, however often
    the page is reloaded); a failed or abandoned authentication raises the card error to show on the form."""
    require_feature(ctx, session, "payment_method_update")
    intent = ctx.store.get(ctx.account_id, setup_intent_id, setup_intents.OBJECT)
    if intent is None or intent["customer"] != session["customer"]:
        raise PortalError("refusal.setup_not_found", http_status=404)
    if intent["status"] == "succeeded":
        return _adopt(ctx, intent["customer"], intent)
    error = intent.get("last_setup_error")
    if error:
        raise CardError(error["message"], code=error.get("code"), decline_code=error.get("decline_code"))
    abandoned = CardError("The authentication of your card was not completed. Try again or use another card.",
                          code="setup_intent_authentication_failure")
    abandoned.message_key = "decline.authentication_incomplete"
    raise abandoned


def _marked(ctx: Ctx, object_id: str) -> bool:
    row = ctx.store.execute("SELECT 1 FROM internal_marks WHERE account = ? AND object_id = ? AND name = ?",
                            (ctx.account_id, object_id, _ADOPTED_MARK)).fetchone()
    return row is not None


def _mark(ctx: Ctx, object_id: str) -> None:
    ctx.store.execute("INSERT OR REPLACE INTO internal_marks (account, object_id, name, value) VALUES (?, ?, ?, ?)",
                      (ctx.account_id, object_id, _ADOPTED_MARK, "1"))


def _adopt(ctx: Ctx, customer_id: str, intent: dict[str, Any]) -> dict[str, Any]:
    pm = payment_methods.require(ctx, intent["payment_method"])
    paid: list[dict[str, Any]] = []
    if not _marked(ctx, intent["id"]):
        _mark(ctx, intent["id"])
        paid = _make_default(ctx, customer_id, pm["id"])
    return {"outcome": "added", "payment_method": pm, "label": card_label(pm), "paid_invoices": paid}


def _make_default(ctx: Ctx, customer_id: str, pm_id: str) -> list[dict[str, Any]]:
    customers.update(ctx, customer_id, {"invoice_settings": {"default_payment_method": pm_id}})
    return collect_overdue(ctx, customer_id)


def collect_overdue(ctx: Ctx, customer_id: str) -> list[dict[str, Any]]:
    """Pay the open, automatically charged invoices of the customer's `past_due` / `unpaid` subscriptions
    with the payment method Stripe would now pick (oldest first), as an off-session collection attempt.
    Returns the invoices after the attempt (paid or still open)."""
    results = []
    for subscription in _live_subscriptions(ctx, customer_id):
        if subscription["status"] not in OVERDUE_STATUSES or \
                subscription["collection_method"] != "charge_automatically":
            continue
        sub_ctx = ctx.on_clock(subscription.get("test_clock"))
        for invoice in ctx.store.select(ctx.account_id, invoices.OBJECT, where="customer = ?", args=(customer_id,),
                                        oldest_first=True):
            if invoice["status"] != "open" or invoice["collection_method"] != "charge_automatically" or \
                    invoices.subscription_of(invoice) != subscription["id"]:
                continue
            try:
                invoices.pay(sub_ctx, invoice["id"], {"off_session": True})
            except CardError:
                pass  # the failed attempt is recorded on the invoice (and planned for retry) like any other
            results.append(invoices.require(sub_ctx, invoice["id"]))
    return results


def make_default(ctx: Ctx, session: dict[str, Any], pm_id: str) -> dict[str, Any]:
    """"Make default": `invoice_settings.default_payment_method` (customer.updated), then what is overdue is
    collected with it. Returns `{"payment_method", "label", "paid_invoices"}`."""
    require_feature(ctx, session, "payment_method_update")
    pm = _own_card(ctx, session, pm_id)
    return {"payment_method": pm, "label": card_label(pm),
            "paid_invoices": _make_default(ctx, session["customer"], pm["id"])}


def _own_card(ctx: Ctx, session: dict[str, Any], pm_id: str) -> dict[str, Any]:
    pm = ctx.store.get(ctx.account_id, pm_id, payment_methods.OBJECT)
    if pm is None or pm.get("customer") != session["customer"]:
        raise PortalError("refusal.payment_method_not_found", http_status=404)
    return pm


def remove(ctx: Ctx, session: dict[str, Any], pm_id: str) -> dict[str, Any]:
    """"Remove": detach the card (payment_method.detached; a customer default pointing at it is cleared,
    customer.updated). A subscription that paid with it through its own `default_payment_method` falls
    back to the customer's default first. While a subscription that has not ended needs a payment method,
    the last card cannot be removed (Stripe's documented rule), nor the default one (as observed: the
    customer makes another card the default first)."""
    require_feature(ctx, session, "payment_method_update")
    pm = _own_card(ctx, session, pm_id)
    live = _live_subscriptions(ctx, session["customer"])
    if live and len(_cards(ctx, session["customer"])) <= 1:
        raise PortalError("refusal.last_payment_method", http_status=409)
    if live and _customer(ctx, session)["invoice_settings"].get("default_payment_method") == pm_id:
        raise PortalError("refusal.default_payment_method", http_status=409)
    for subscription in live:
        if subscription.get("default_payment_method") == pm_id:
            subscriptions.update(ctx.on_clock(subscription.get("test_clock")), subscription["id"],
                                 {"default_payment_method": ""})
    detached = payment_methods.detach(ctx, pm_id)
    return {"payment_method": detached, "label": card_label(pm)}


def clear_override(ctx: Ctx, session: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    """Remove a subscription's own `default_payment_method` so it pays with the customer's default
    (customer.subscription.updated), as Stripe's portal lets customers do."""
    require_feature(ctx, session, "payment_method_update")
    subscription = ctx.store.get(ctx.account_id, subscription_id, subscriptions.OBJECT)
    if subscription is None or subscription["customer"] != session["customer"]:
        raise PortalError("refusal.subscription_not_found", http_status=404)
    if not subscription.get("default_payment_method"):
        raise PortalError("refusal.already_default", http_status=409)
    updated = subscriptions.update(ctx.on_clock(subscription.get("test_clock")), subscription_id,
                                   {"default_payment_method": ""})
    return {"subscription": updated, "product_name": product_name(ctx, updated)}


# -- billing details --------------------------------------------------------------------------------------
def billing_view(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any] | None:
    """The billing-information section and form (None when the configuration hides it): the customer, the
    fields `allowed_updates` lets the customer change, the customer's tax IDs (when `tax_id` is allowed)
    and the tax ID types offered."""
    configuration = _configuration(ctx, session)
    feature = configuration["features"]["customer_update"]
    if not feature["enabled"]:
        return None
    customer = _customer(ctx, session)
    allowed = _allowed_updates(ctx, session, feature)
    tax_list = ctx.store.select(ctx.account_id, tax_ids.OBJECT, where="customer = ?", args=(customer["id"],),
                                oldest_first=True) if "tax_id" in allowed else []
    return {"customer": customer, "allowed": allowed, "tax_ids": tax_list, "tax_id_types": sorted(tax_ids.FORMATS)}


def _allowed_updates(ctx: Ctx, session: dict[str, Any], feature: dict[str, Any]) -> set[str]:
    # Stripe disables email editing in sessions opened by verifying the email (the login page, a recovery).
    allowed = set(feature["allowed_updates"])
    if sessions.is_login_session(ctx, session):
        allowed.discard("email")
    return allowed


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _address_param(value: dict[str, Any] | None, country_field: str) -> Any:
    value = value or {}
    if all(_blank(value.get(key)) for key in ADDRESS_KEYS):
        return ""
    address = {key: (value.get(key) or "").strip() for key in ADDRESS_KEYS if not _blank(value.get(key))}
    if "country" in address:
        address["country"] = address["country"].upper()
        if address["country"] not in _countries():
            raise PortalError("refusal.invalid_country", param=country_field, country=address["country"])
    return address


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (CLDR's territories that are countries)."""
    from babel import Locale

    groupings = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}  # the EU, the eurozone, pseudo and unknown regions
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in groupings)


def update_details(ctx: Ctx, session: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The billing-information form: only the fields `allowed_updates` allows are sent to `customers.update`
    (an emptied field is unset); customer.updated when anything changed. The form checks what Stripe's
    form checks: an email address, a country among ISO 3166 codes, a name for a shipping address."""
    feature = require_feature(ctx, session, "customer_update")["features"]["customer_update"]
    allowed = _allowed_updates(ctx, session, feature)
    params: dict[str, Any] = {}
    for key in ("name", "email", "phone"):
        if key in allowed and key in form:
            params[key] = (form[key] or "").strip()
    if "email" in params and not _EMAIL.match(params["email"]):
        raise PortalError("login.invalid_email", param="email")  # required too: the login page signs in by it
    if "address" in allowed and "address" in form:
        params["address"] = _address_param(form["address"], "address_country")
    if "shipping" in allowed and "shipping" in form:
        shipping = form["shipping"] or {}
        address = _address_param(shipping.get("address"), "shipping_country")
        if _blank(shipping.get("name")) and address == "":
            params["shipping"] = ""
        elif _blank(shipping.get("name")):
            raise PortalError("refusal.shipping_name_required", param="shipping_name")
        else:
            params["shipping"] = {"name": (shipping.get("name") or "").strip(),
                                  "address": address if address != "" else {}}
    return customers.update(ctx, session["customer"], params)


def add_tax_id(ctx: Ctx, session: dict[str, Any], kind: str, value: str) -> dict[str, Any]:
    """Add a tax ID (customer.tax_id.created, then .updated when verification completes); an empty or
    malformed value is refused in the page's language."""
    _require_tax_ids(ctx, session)
    if kind not in tax_ids.FORMATS:
        raise PortalError("refusal.tax_id_type", param="type")
    if not value.strip():
        raise PortalError("refusal.tax_id_value_required", param="value")
    try:
        return tax_ids.create(ctx, session["customer"], {"type": kind, "value": value})
    except InvalidRequestError as refused:
        if refused.code != "tax_id_invalid":
            raise
        raise PortalError("refusal.tax_id_invalid", param="value", value=value.strip()) from None


def delete_tax_id(ctx: Ctx, session: dict[str, Any], tax_id: str) -> dict[str, Any]:
    """Remove one of the customer's tax IDs (customer.tax_id.deleted)."""
    _require_tax_ids(ctx, session)
    obj = ctx.store.get(ctx.account_id, tax_id, tax_ids.OBJECT)
    if obj is None or obj.get("customer") != session["customer"]:
        raise PortalError("refusal.tax_id_not_found", http_status=404)
    tax_ids.delete(ctx, tax_id, session["customer"])
    return obj


def _require_tax_ids(ctx: Ctx, session: dict[str, Any]) -> None:
    feature = require_feature(ctx, session, "customer_update")["features"]["customer_update"]
    if "tax_id" not in feature["allowed_updates"]:
        raise PortalError("refusal.no_tax_ids", http_status=403)
