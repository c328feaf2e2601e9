"""PaymentMethods (`/v1/payment_methods`) with Stripe's test tokens and card numbers, and legacy card
sources (`tok_visa` as a customer's `source`).

A test token such as `pm_card_visa` names a card, not an object: wherever a PaymentMethod id is accepted,
the token creates a new PaymentMethod for that test card (as Stripe does). Within one request the same
token resolves to the same PaymentMethod, so `customers.create(payment_method="pm_card_visa",
invoice_settings={"default_payment_method": "pm_card_visa"})` works like Stripe's test-clock guides show.
A token used in a later request is a new, unattached PaymentMethod again: Stripe's billing testing guide
says to attach `pm_card_visa` first and use the resulting id as a default payment method.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from emulator import events, ids
from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError, missing_param
from emulator.resources import common, customers, test_cards

OBJECT = "payment_method"
CREATE_PARAMS = ("allow_redisplay", "billing_details", "card", "customer", "metadata", "payment_method", "type")
UPDATE_PARAMS = ("allow_redisplay", "billing_details", "card.exp_month", "card.exp_year", "card.networks",
                 "metadata")
LIST_PARAMS = ("allow_redisplay", "type")
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
# Legacy card sources spell the brand out.
SOURCE_BRANDS = {"amex": "American Express", "mastercard": "MasterCard", "diners": "Diners Club", "jcb": "JCB",
                 "unionpay": "UnionPay", "visa": "Visa", "discover": "Discover"}


class AttachDeclined(CardError):
    """A decline-family test card cannot be attached to a customer (Stripe verifies the card first)."""


def _billing_details(value: Any) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {"address": {k: address.get(k) or None for k in ADDRESS_KEYS},
            "email": value.get("email") or None, "name": value.get("name") or None,
            "phone": value.get("phone") or None, "tax_id": value.get("tax_id") or None}


def _year(ctx: Ctx) -> int:
    return datetime.fromtimestamp(ctx.now(), timezone.utc).year


def _checks(card: test_cards.TestCard, billing_details: dict[str, Any], cvc_check: str | None) -> dict[str, Any]:
    """Stripe checks the address lines it was given (null when not provided) and the CVC."""
    address = billing_details.get("address") or {}
    return {"address_line1_check": card.address_line1_check if address.get("line1") else None,
            "address_postal_code_check": card.address_postal_code_check if address.get("postal_code") else None,
            "cvc_check": cvc_check}


def _preferred_network(card: test_cards.TestCard, networks: Any, param: str) -> str | None:
    preferred = common.or_none((networks or {}).get("preferred"))
    if preferred is not None and preferred not in card.available_networks:
        raise InvalidRequestError(
            f"The preferred network '{preferred}' is not available for this card. Available networks: "
            f"{', '.join(card.available_networks)}.", param=param)
    return preferred


def _card(ctx: Ctx, card: test_cards.TestCard, billing_details: dict[str, Any], *, exp_month: int | None = None,
          exp_year: int | None = None, cvc_provided: bool = True, preferred: str | None = None) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "checks": _checks(card, billing_details, card.cvc_check if cvc_provided else None),
        "country": card.country,
        "display_brand": preferred or card.display_brand,
        "exp_month": exp_month or 12,
        # Test tokens carry an expiry a few years ahead of the (emulated) current year.
        "exp_year": exp_year or _year(ctx) + 4,
        "fingerprint": test_cards.fingerprint(card.number),
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": card.available_networks, "preferred": preferred},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": card.three_d_secure_supported},
        "wallet": None,
    }


def _new(ctx: Ctx, card: test_cards.TestCard, *, billing_details: Any = None, metadata: Any = None,
         allow_redisplay: str | None = None, exp_month: int | None = None, exp_year: int | None = None,
         cvc_provided: bool = True, networks: Any = None) -> dict[str, Any]:
    details = _billing_details(billing_details)
    pm = {
        "id": ids.new_id("pm"),
        "object": OBJECT,
        "allow_redisplay": allow_redisplay or "unspecified",
        "billing_details": details,
        "card": _card(ctx, card, details, exp_month=exp_month, exp_year=exp_year, cvc_provided=cvc_provided,
                      preferred=_preferred_network(card, networks, "card[networks][preferred]")),
        "created": ctx.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": common.metadata_for_create(metadata),
        "type": "card",
    }
    # Stripe has no payment_method.created event; attaching emits payment_method.attached.
    return common.create(ctx, pm, event="")


def _from_token(ctx: Ctx, token: str) -> dict[str, Any]:
    """The PaymentMethod a test token becomes in this request (one per token per request)."""
    card = test_cards.BY_TOKEN[token]
    memo = ctx.memo.setdefault("pm_tokens", {})
    if token in memo:
        existing = ctx.store.get(ctx.account_id, memo[token], OBJECT)
        if existing is not None:
            return existing
    pm = _new(ctx, card)
    memo[token] = pm["id"]
    return pm


def is_token(value: str) -> bool:
    """Whether `value` is one of Stripe's test tokens (`pm_card_visa`, `tok_visa`...)."""
    return value in test_cards.BY_TOKEN


def require(ctx: Ctx, pm_id: str, param: str | None = None) -> dict[str, Any]:
    """A PaymentMethod by id, or a new one for a test token; Stripe's `No such PaymentMethod` otherwise
    (404 for the path's id, 400 naming the parameter)."""
    if is_token(pm_id):
        return _from_token(ctx, pm_id)
    pm = ctx.store.get(ctx.account_id, pm_id, OBJECT)
    if pm is None:
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_id}'", code="resource_missing", param=param,
                                  http_status=404 if param is None else 400)
    return pm


def _validate_expiry(ctx: Ctx, month: Any, year: Any, prefix: str = "card") -> tuple[int | None, int | None]:
    """Stripe's card errors for an impossible or past expiry; two-digit years mean 20xx."""
    if month is not None and not 1 <= int(month) <= 12:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month",
                        param=f"{prefix}[exp_month]")
    if year is None:
        return (int(month) if month is not None else None), None
    year = int(year) + 2000 if 0 <= int(year) < 100 else int(year)
    now = datetime.fromtimestamp(ctx.now(), timezone.utc)
    if year < now.year or year > now.year + 50:
        raise CardError("Your card's expiration year is invalid.", code="invalid_expiry_year",
                        param=f"{prefix}[exp_year]")
    if month is not None and year == now.year and int(month) < now.month:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month",
                        param=f"{prefix}[exp_month]")
    return (int(month) if month is not None else None), year


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_methods` with `type=card`: `card[number]` (+exp_month/exp_year/cvc) or
    `card[token]=tok_visa`; card errors as Stripe reports them (incorrect_number, invalid_cvc,
    invalid_expiry_month/year). Cloning (`payment_method` + `customer`) is Connect-only and refused."""
    if params.get("payment_method"):
        raise InvalidRequestError("Cloning PaymentMethods is only for Connect platforms, which the emulator does "
                                  "not emulate.", param="payment_method")
    if not params.get("type"):
        raise missing_param("type")
    if params["type"] != "card":
        raise InvalidRequestError("stripe-portal-emulator supports PaymentMethods of type card only.", param="type")
    card_params = params.get("card") or {}
    common_args = {"billing_details": params.get("billing_details"), "metadata": params.get("metadata"),
                   "allow_redisplay": params.get("allow_redisplay"), "networks": card_params.get("networks")}
    if card_params.get("token"):
        token = card_params["token"]
        card = test_cards.BY_TOKEN.get(token)
        if card is None or not token.startswith("tok_"):
            raise InvalidRequestError(f"No such token: '{token}'", code="resource_missing", param="card[token]")
        pm = _new(ctx, card, **common_args)
    else:
        number = "".join(str(card_params.get("number", "")).split())
        if not number:
            raise missing_param("card[number]")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise CardError("Your card number is invalid.", code="invalid_number", param="card[number]")
        if not test_cards.luhn_valid(number):
            raise CardError("Your card number is incorrect.", code="incorrect_number", param="card[number]")
        for name in ("exp_month", "exp_year"):
            if card_params.get(name) is None:
                raise missing_param(f"card[{name}]")
        month, year = _validate_expiry(ctx, card_params["exp_month"], card_params["exp_year"])
        cvc = card_params.get("cvc")
        if cvc and not (str(cvc).isdigit() and len(str(cvc)) in (3, 4)):
            raise CardError("Your card's security code is invalid.", code="invalid_cvc", param="card[cvc]")
        pm = _new(ctx, test_cards.card_for_number(number), exp_month=month, exp_year=year,
                  cvc_provided=bool(cvc), **common_args)
    if params.get("customer"):
        return attach(ctx, pm["id"], params["customer"], param="customer")
    return pm


def retrieve(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    """`GET /v1/payment_methods/{id}`; a test token (`pm_card_visa`) retrieves as a new PaymentMethod."""
    return require(ctx, pm_id)


def update(ctx: Ctx, pm_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_methods/{id}`: billing details, card expiry and preferred network, metadata,
    allow_redisplay; payment_method.updated. Stripe only updates PaymentMethods saved to a customer."""
    before = require(ctx, pm_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if not before.get("customer"):
        raise InvalidRequestError("You must save this PaymentMethod to a customer before you can update it.")
    pm = dict(before)
    card = test_cards.behaviour_of(before).card
    if "billing_details" in params:
        given = params["billing_details"] or {}
        merged = {**before["billing_details"], **{k: v for k, v in given.items() if k != "address"}}
        if "address" in given:
            merged["address"] = {} if given["address"] == "" else {
                **(before["billing_details"]["address"] or {}), **given["address"]}
        pm["billing_details"] = _billing_details(merged)
        pm["card"] = {**before["card"], "checks": _checks(card, pm["billing_details"],
                                                          (before["card"]["checks"] or {}).get("cvc_check"))}
    card_params = params.get("card") or {}
    if "exp_month" in card_params or "exp_year" in card_params:
        month, year = _validate_expiry(ctx, card_params.get("exp_month", before["card"]["exp_month"]),
                                       card_params.get("exp_year", before["card"]["exp_year"]))
        pm["card"] = {**pm["card"], "exp_month": month, "exp_year": year}
    if "networks" in card_params:
        preferred = _preferred_network(card, card_params["networks"], "card[networks][preferred]")
        pm["card"] = {**pm["card"], "networks": {**pm["card"]["networks"], "preferred": preferred},
                      "display_brand": preferred or card.display_brand}
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


def detach(ctx: Ctx, pm_id: str, *, clear_default: bool = True) -> dict[str, Any]:
    """`POST .../detach`: payment_method.detached; a customer default pointing at it is cleared
    (customer.updated)."""
    before = require(ctx, pm_id)
    if not before.get("customer"):
        raise InvalidRequestError("The payment method you provided is not attached to a customer so detachment "
                                  "is impossible.", param="payment_method")
    customer = ctx.store.get(ctx.account_id, before["customer"], "customer")
    ctx = ctx.on_clock((customer or {}).get("test_clock"))
    pm = {**before, "customer": None}
    ctx.store.execute("UPDATE objects SET customer = NULL WHERE account = ? AND id = ?", (ctx.account_id, pm_id))
    ctx.store.update(ctx.account_id, pm)
    events.emit(ctx, "payment_method.detached", pm, previous_attributes={"customer": before["customer"]})
    if clear_default and customer and not customer.get("deleted") and \
            customer["invoice_settings"].get("default_payment_method") == pm_id:
        common.save(ctx, customer, {**customer, "invoice_settings": {**customer["invoice_settings"],
                                                                     "default_payment_method": None}})
    return pm


def resolve_attached(ctx: Ctx, pm_or_token: str, customer_id: str, *, param: str) -> dict[str, Any]:
    """A PaymentMethod that must already be attached to the customer (invoice_settings.default_payment_method,
    subscription default_payment_method). A test token used earlier in the same request means the
    PaymentMethod it became; any other token would be a new, unattached PaymentMethod, which Stripe refuses."""
    pm_id = ctx.memo.get("pm_tokens", {}).get(pm_or_token, pm_or_token)
    pm = None if is_token(pm_id) else ctx.store.get(ctx.account_id, pm_id, OBJECT)
    if pm is None and not is_token(pm_id):
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_or_token}'", code="resource_missing", param=param)
    if pm is None or pm.get("customer") != customer_id:
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
    """`GET /v1/payment_methods?customer=` and `GET /v1/customers/{id}/payment_methods`, newest first,
    filtered by `type` and `allow_redisplay`."""
    url = f"/v1/customers/{customer_id}/payment_methods" if customer_id else "/v1/payment_methods"
    customer_id = customer_id or params.get("customer")
    if not customer_id:
        raise InvalidRequestError("Listing PaymentMethods requires a customer: pass `customer` (the emulator does "
                                  "not emulate Treasury).", param="customer", code="parameter_missing")
    common.require(ctx, "customer", customer_id, param="customer")
    wanted = {key: params[key] for key in ("type", "allow_redisplay") if params.get(key)}
    return common.list_objects(ctx, OBJECT, params, url, where="customer = ?", args=(customer_id,),
                               post_filter=(lambda pm: all(pm[k] == v for k, v in wanted.items()))
                               if wanted else None)


def retrieve_for_customer(ctx: Ctx, customer_id: str, pm_id: str) -> dict[str, Any]:
    """`GET /v1/customers/{customer}/payment_methods/{id}`: only a PaymentMethod attached to that customer."""
    common.require(ctx, "customer", customer_id)
    pm = ctx.store.get(ctx.account_id, pm_id, OBJECT)
    if pm is None or pm.get("customer") != customer_id:
        raise InvalidRequestError(f"No such PaymentMethod: '{pm_id}'", code="resource_missing", http_status=404)
    return pm


# -- legacy sources ---------------------------------------------------------------------------------------
def create_source(ctx: Ctx, customer_id: str, token: str, *, param: str) -> dict[str, Any]:
    """A legacy `tok_visa`-style token saved as a customer's card source (`card_...`, object "card"):
    customer.source.created. Decline-family tokens fail like attaching their PaymentMethod."""
    card = test_cards.BY_TOKEN.get(token)
    if card is None or not token.startswith("tok_"):
        raise InvalidRequestError(f"No such token: '{token}'", code="resource_missing", param=param)
    if card.attach_decline is not None:
        decline = card.attach_decline
        raise AttachDeclined(decline.message, code=decline.code, param=param, decline_code=decline.decline_code)
    customer = common.require(ctx, "customer", customer_id, param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    details = _card(ctx, card, _billing_details(None))
    source = {
        "id": ids.new_id("card"),
        "object": "card",
        "address_city": None, "address_country": None, "address_line1": None, "address_line1_check": None,
        "address_line2": None, "address_state": None, "address_zip": None, "address_zip_check": None,
        "brand": SOURCE_BRANDS.get(card.brand, card.brand.capitalize()),
        "country": card.country, "customer": customer_id, "cvc_check": card.cvc_check, "dynamic_last4": None,
        "exp_month": details["exp_month"], "exp_year": details["exp_year"], "fingerprint": details["fingerprint"],
        "funding": card.funding, "last4": card.last4, "metadata": {}, "name": None,
        "regulated_status": "unregulated", "tokenization_method": None,
    }
    ctx.store.insert(ctx.account_id, source, customer=customer_id)
    events.emit(ctx, "customer.source.created", source)
    return source


def require_source(ctx: Ctx, customer_id: str, source_id: str) -> dict[str, Any]:
    """A card source of the customer (for `default_source`)."""
    source = ctx.store.get(ctx.account_id, source_id)
    if source is None or source.get("customer") != customer_id:
        raise InvalidRequestError(f"No such source: '{source_id}'", code="resource_missing", param="default_source")
    return source


def _detach_all(ctx: Ctx, customer: dict[str, Any]) -> None:
    """Deleting a customer detaches its PaymentMethods (payment_method.detached each; the customer itself
    is deleted, not updated)."""
    for pm in ctx.store.select(ctx.account_id, OBJECT, where="customer = ?", args=(customer["id"],)):
        detach(ctx, pm["id"], clear_default=False)


customers.DELETE_HOOKS.append(_detach_all)
