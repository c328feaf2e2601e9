"""PaymentMethods (`/v1/payment_methods`) with Stripe's test tokens and card numbers, and legacy card
sources (`tok_visa` as a customer's `source`).

A test token such as `pm_card_visa` names a card, not an object: wherever a PaymentMethod id is accepted,
the token creates a new PaymentMethod for that test card (as Stripe does). Within one request the same
token resolves to the same PaymentMethod, so `customers.create(payment_method="pm_card_visa",
invoice_settings={"default_payment_method": "pm_card_visa"})` works like Stripe's test-clock guides show.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from emulator import events, ids
from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError
from emulator.resources import common, customers, test_cards

OBJECT = "payment_method"
CREATE_PARAMS = ("allow_redisplay", "billing_details", "card", "customer", "metadata", "payment_method", "type")
UPDATE_PARAMS = ("allow_redisplay", "billing_details", "card.exp_month", "card.exp_year", "metadata")
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


class AttachDeclined(CardError):
    """A decline-family test card cannot be attached to a customer (Stripe verifies the card first)."""


def _billing_details(value: Any) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {"address": {k: address.get(k) or None for k in ADDRESS_KEYS},
            "email": value.get("email") or None, "name": value.get("name") or None,
            "phone": value.get("phone") or None, "tax_id": value.get("tax_id") or None}


def _card(ctx: Ctx, card: test_cards.TestCard, exp_month: int | None = None, exp_year: int | None = None,
          cvc_provided: bool = True) -> dict[str, Any]:
    year_now = datetime.fromtimestamp(ctx.now(), timezone.utc).year
    return {
        "brand": card.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": card.cvc_check if cvc_provided else None},
        "country": card.country,
        "display_brand": card.brand.replace("amex", "american_express"),
        "exp_month": exp_month or 12,
        "exp_year": exp_year or year_now + 4,
        "fingerprint": test_cards.fingerprint(card.number),
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def _new(ctx: Ctx, card: test_cards.TestCard, *, billing_details: Any = None, metadata: Any = None,
         allow_redisplay: str | None = None, exp_month: int | None = None, exp_year: int | None = None,
         cvc_provided: bool = True) -> dict[str, Any]:
    pm = {
        "id": ids.new_id("pm"),
        "object": OBJECT,
        "allow_redisplay": allow_redisplay or "unspecified",
        "billing_details": _billing_details(billing_details),
        "card": _card(ctx, card, exp_month, exp_year, cvc_provided),
        "created": ctx.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": common.metadata_for_create(metadata),
        "type": "card",
    }
    # Stripe has no payment_method.created event; attaching emits payment_method.attached.
    return common.create(ctx, pm, event="")


def _from_token(ctx: Ctx, token: str, param: str) -> dict[str, Any]:
    card = test_cards.BY_TOKEN.get(token)
    if card is None:
        raise InvalidRequestError(f"No such PaymentMethod: '{token}'", code="resource_missing", param=param,
                                  http_status=404 if param == "id" else 400)
    memo = ctx.memo.setdefault("pm_tokens", {})
    if token in memo:
        existing = ctx.store.get(ctx.account_id, memo[token], OBJECT)
        if existing is not None:
            return existing
    pm = _new(ctx, card)
    memo[token] = pm["id"]
    return pm


def is_token(value: str) -> bool:
    return value in test_cards.BY_TOKEN


def require(ctx: Ctx, pm_id: str, param: str | None = None) -> dict[str, Any]:
    """A PaymentMethod by id, or a new one for a test token."""
    if is_token(pm_id):
        return _from_token(ctx, pm_id, param or "payment_method")
    pm = ctx.store.get(ctx.account_id, pm_id, OBJECT)
    if pm is None:
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param,
                                  http_status=404 if param is None else 400)
    return pm


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_methods` with `type=card`: `card[number]` (+exp_month/exp_year/cvc) or
    `card[token]=tok_visa`; or `payment_method` + `customer` to clone (refused clearly: Connect only)."""
    if params.get("payment_method"):
        raise InvalidRequestError("Cloning PaymentMethods is only for Connect platforms, which the emulator does "
                                  "not emulate.", param="payment_method")
    if params.get("type") != "card":
        raise InvalidRequestError(
            "stripe-portal-emulator supports PaymentMethods of type card only." if params.get("type")
            else "Missing required param: type.", param="type",
            code=None if params.get("type") else "parameter_missing")
    card_params = params.get("card") or {}
    if card_params.get("token"):
        token = card_params["token"]
        card = test_cards.BY_TOKEN.get(token)
        if card is None:
            raise InvalidRequestError(f"No such token: '{token}'", code="resource_missing", param="card[token]")
        pm = _new(ctx, card, billing_details=params.get("billing_details"), metadata=params.get("metadata"),
                  allow_redisplay=params.get("allow_redisplay"))
    else:
        number = "".join(str(card_params.get("number", "")).split())
        if not number:
            raise InvalidRequestError("Missing required param: card[number].", param="card[number]",
                                      code="parameter_missing")
        if not test_cards.luhn_valid(number):
            raise CardError("Your card number is incorrect.", code="incorrect_number", param="card[number]")
        month, year = card_params.get("exp_month"), card_params.get("exp_year")
        if month is None or year is None:
            missing = "card[exp_month]" if month is None else "card[exp_year]"
            raise InvalidRequestError(f"Missing required param: {missing}.", param=missing, code="parameter_missing")
        if not 1 <= int(month) <= 12:
            raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month",
                            param="card[exp_month]")
        year = int(year) + 2000 if int(year) < 100 else int(year)
        current_year = datetime.fromtimestamp(ctx.now(), timezone.utc).year
        if year < current_year:
            raise CardError("Your card's expiration year is invalid.", code="invalid_expiry_year",
                            param="card[exp_year]")
        pm = _new(ctx, test_cards.card_for_number(number), billing_details=params.get("billing_details"),
                  metadata=params.get("metadata"), allow_redisplay=params.get("allow_redisplay"),
                  exp_month=int(month), exp_year=year, cvc_provided=bool(card_params.get("cvc")))
    if params.get("customer"):
        return attach(ctx, pm["id"], params["customer"], param="customer")
    return pm


def retrieve(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    return require(ctx, pm_id)


def update(ctx: Ctx, pm_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_methods/{id}`: billing details, card expiry, metadata; payment_method.updated."""
    before = require(ctx, pm_id)
    pm = dict(before)
    if "billing_details" in params:
        merged = {**before["billing_details"], **{k: v for k, v in (params["billing_details"] or {}).items()
                                                  if k != "address"}}
        if "address" in (params["billing_details"] or {}):
            merged["address"] = {**(before["billing_details"]["address"] or {}),
                                 **(params["billing_details"]["address"] or {})}
        pm["billing_details"] = _billing_details(merged)
    if params.get("card"):
        pm["card"] = {**before["card"], **{k: params["card"][k] for k in ("exp_month", "exp_year")
                                           if k in params["card"]}}
    if "metadata" in params:
        pm["metadata"] = common.apply_metadata(before["metadata"], params["metadata"])
    if "allow_redisplay" in params:
        pm["allow_redisplay"] = params["allow_redisplay"]
    return common.save(ctx, before, pm, event="payment_method.updated")


def attach(ctx: Ctx, pm_or_token: str, customer_id: str, *, param: str) -> dict[str, Any]:
    """Attach a PaymentMethod (or a new one from a test token) to a customer: payment_method.attached.
    Decline-family cards fail with 402 as Stripe verifies cards on attach."""
    customer = common.require(ctx, "customer", customer_id, param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    before = require(ctx, pm_or_token, param)
    if before.get("customer") == customer["id"]:
        return before
    if before.get("customer"):
        raise InvalidRequestError(
            "The payment method you provided has already been attached to a customer.", param=param)
    decline = test_cards.behaviour_of(before).attach_decline()
    if decline is not None:
        raise AttachDeclined(decline.message, code=decline.code, param=param, decline_code=decline.decline_code)
    pm = {**before, "customer": customer["id"]}
    ctx.store.update(ctx.account_id, pm, customer=customer["id"])
    events.emit(ctx, "payment_method.attached", pm)
    return pm


def detach(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    """`POST .../detach`: payment_method.detached; a customer default pointing at it is cleared."""
    before = require(ctx, pm_id)
    if not before.get("customer"):
        raise InvalidRequestError("The payment method you provided is not attached to a customer so detachment "
                                  "is impossible.", param="payment_method")
    customer = ctx.store.get(ctx.account_id, before["customer"], "customer")
    pm = {**before, "customer": None}
    ctx.store.execute("UPDATE objects SET customer = NULL WHERE account = ? AND id = ?", (ctx.account_id, pm_id))
    ctx.store.update(ctx.account_id, pm)
    events.emit(ctx, "payment_method.detached", pm, previous_attributes={"customer": before["customer"]})
    if customer and not customer.get("deleted") and \
            customer["invoice_settings"].get("default_payment_method") == pm_id:
        common.save(ctx, customer, {**customer, "invoice_settings": {**customer["invoice_settings"],
                                                                     "default_payment_method": None}})
    return pm


def resolve_attached(ctx: Ctx, pm_or_token: str, customer_id: str, *, param: str) -> dict[str, Any]:
    """A PaymentMethod that must already be attached to the customer (invoice_settings.default_payment_method,
    subscription default_payment_method). A test token used earlier in the request means that PaymentMethod."""
    memo = ctx.memo.get("pm_tokens", {})
    pm_id = memo.get(pm_or_token, pm_or_token)
    pm = ctx.store.get(ctx.account_id, pm_id, OBJECT) if not is_token(pm_id) else None
    if pm is None and is_token(pm_or_token):
        pm = attach(ctx, pm_or_token, customer_id, param=param)
    if pm is None:
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_or_token}'", code="resource_missing", param=param)
    if pm.get("customer") != customer_id:
        raise InvalidRequestError(
            f"The customer does not have a payment method with the ID {pm_or_token}. The payment method must be "
            "attached to the customer.", param=param, code="resource_missing")
    return pm


def resolve_for_payment(ctx: Ctx, value: str, customer: str | None, *, param: str) -> dict[str, Any]:
    """The PaymentMethod a PaymentIntent/SetupIntent will use: an id (attached to that customer, if any) or a
    test token (a new PaymentMethod)."""
    pm = require(ctx, ctx.memo.get("pm_tokens", {}).get(value, value), param)
    if pm.get("customer") and customer and pm["customer"] != customer:
        raise InvalidRequestError(
            f"The provided PaymentMethod belongs to another customer ({pm['customer']}).", param=param)
    return pm


def list_(ctx: Ctx, params: dict[str, Any], customer_id: str | None = None) -> dict[str, Any]:
    """`GET /v1/payment_methods?customer=` and `GET /v1/customers/{id}/payment_methods`."""
    customer_id = customer_id or params.get("customer")
    url = f"/v1/customers/{customer_id}/payment_methods" if customer_id and not params.get("customer") \
        else "/v1/payment_methods"
    if not customer_id:
        raise InvalidRequestError("Listing PaymentMethods requires a customer.", param="customer",
                                  code="parameter_missing")
    common.require(ctx, "customer", customer_id, param="customer")
    kind = params.get("type")
    return common.list_objects(ctx, OBJECT, params, url, where="customer = ?", args=(customer_id,),
                               post_filter=(lambda pm: pm["type"] == kind) if kind else None)


def retrieve_for_customer(ctx: Ctx, customer_id: str, pm_id: str) -> dict[str, Any]:
    pm = require(ctx, pm_id)
    if pm.get("customer") != customer_id:
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_id}'", code="resource_missing", http_status=404)
    return pm


# -- legacy sources ---------------------------------------------------------------------------------------
def create_source(ctx: Ctx, customer_id: str, token: str, *, param: str) -> dict[str, Any]:
    """A legacy `tok_visa`-style token saved as a customer's card source (`card_...`, object "card")."""
    card = test_cards.BY_TOKEN.get(token)
    if card is None or not token.startswith("tok_"):
        raise InvalidRequestError(f"No such token: '{token}'", code="resource_missing", param=param)
    if card.attach_decline is not None:
        decline = card.attach_decline
        raise AttachDeclined(decline.message, code=decline.code, param=param, decline_code=decline.decline_code)
    details = _card(ctx, card)
    source = {
        "id": ids.new_id("card"),
        "object": "card",
        "address_city": None, "address_country": None, "address_line1": None, "address_line1_check": None,
        "address_line2": None, "address_state": None, "address_zip": None, "address_zip_check": None,
        "brand": {"amex": "American Express", "mastercard": "MasterCard", "diners": "Diners Club",
                  "jcb": "JCB", "unionpay": "UnionPay"}.get(card.brand, card.brand.capitalize()),
        "country": card.country, "customer": customer_id, "cvc_check": "pass", "dynamic_last4": None,
        "exp_month": details["exp_month"], "exp_year": details["exp_year"], "fingerprint": details["fingerprint"],
        "funding": card.funding, "last4": card.last4, "metadata": {}, "name": None, "tokenization_method": None,
        "wallet": None,
    }
    ctx.store.insert(ctx.account_id, source, customer=customer_id)
    return source


def require_source(ctx: Ctx, customer_id: str, source_id: str) -> dict[str, Any]:
    """A card source of the customer (for `default_source`)."""
    source = ctx.store.get(ctx.account_id, source_id)
    if source is None or source.get("customer") != customer_id:
        raise InvalidRequestError(f"No such source: '{source_id}'", code="resource_missing", param="default_source")
    return source


def _detach_all(ctx: Ctx, customer: dict[str, Any]) -> None:
    """Deleting a customer detaches its PaymentMethods."""
    for pm in ctx.store.select(ctx.account_id, OBJECT, where="customer = ?", args=(customer["id"],)):
        detach(ctx, pm["id"])


customers.DELETE_HOOKS.append(_detach_all)
