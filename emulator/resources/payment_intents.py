"""PaymentIntents (`/v1/payment_intents`) and the card charges they make.

Statuses follow Stripe: requires_payment_method -> requires_confirmation -> (confirm) -> succeeded |
requires_capture (manual capture) | requires_action (3-D Secure) | requires_payment_method again after a
decline (with `last_payment_error`), and canceled. The outcome of a confirmation comes from the test card
behind the PaymentMethod (emulator.resources.test_cards): declines answer 402 card_error with Stripe's
codes, but the intent, its failed charge and their events are kept (the error is raised after commit).
Cards that need authentication get `next_action.redirect_to_url` pointing at the emulator's own page.
"""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.versions import request_change
from emulator.billing import money
from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError
from emulator.resources import charges, common

OBJECT = "payment_intent"


@request_change("2026-09-30.endive", "POST /v1/payment_intents", "POST /v1/payment_intents/{}",
                "POST /v1/payment_intents/{}/confirm", "POST /v1/setup_intents", "POST /v1/setup_intents/{}")
def payment_method_types_to_allowed(params: dict[str, Any]) -> dict[str, Any]:
    """Before endive, intents listed their methods in `payment_method_types` (which also meant no dynamic
    payment methods); today that list is `allowed_payment_method_types`."""
    if "payment_method_types" not in params:
        return params
    rest = {key: value for key, value in params.items() if key != "payment_method_types"}
    rest["allowed_payment_method_types"] = params["payment_method_types"]
    rest.setdefault("automatic_payment_methods", {"enabled": "false"})
    return rest
CREATE_PARAMS = ("allowed_payment_method_types", "amount", "automatic_payment_methods", "capture_method", "confirm",
                 "currency", "customer", "description", "error_on_requires_action", "excluded_payment_method_types",
                 "metadata", "off_session", "payment_method", "receipt_email", "return_url", "setup_future_usage",
                 "shipping", "statement_descriptor", "statement_descriptor_suffix", "use_stripe_sdk")
UPDATE_PARAMS = ("allowed_payment_method_types", "amount", "currency", "customer", "description",
                 "excluded_payment_method_types", "metadata", "payment_method", "receipt_email", "setup_future_usage",
                 "shipping", "statement_descriptor", "statement_descriptor_suffix", "capture_method")
CONFIRM_PARAMS = ("capture_method", "error_on_requires_action", "off_session", "payment_method", "receipt_email",
                  "return_url", "setup_future_usage", "shipping", "use_stripe_sdk")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
AUTHENTICATION_FAILED = "payment_intent_authentication_failure"


class PaymentFailed(CardError):
    """A decline raised after the intent and its failed charge were saved (the API commits, then answers
    402 with the intent in the error body)."""

    persist = True


def require(ctx: Ctx, intent_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, intent_id, kind="payment_intent", param=param)


def _shipping(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    address = value.get("address") or {}
    return {"address": {k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
            "carrier": value.get("carrier"), "name": value.get("name"), "phone": value.get("phone"),
            "tracking_number": value.get("tracking_number")}


def _resolve_payment_method(ctx: Ctx, value: str, customer: str | None, param: str) -> dict[str, Any]:
    from emulator.resources import payment_methods

    return payment_methods.resolve_for_payment(ctx, value, customer, param=param)


def create(ctx: Ctx, params: dict[str, Any], *, invoice: str | None = None) -> dict[str, Any]:
    """`POST /v1/payment_intents` (and the intents invoices create to collect payment)."""
    amount = params["amount"]
    if amount < 1:
        raise InvalidRequestError("This value must be greater than or equal to 1.", param="amount")
    minimum = money.minimum_charge(params["currency"])
    if invoice is None and amount < minimum:
        raise InvalidRequestError(f"Amount must be at least {money.format_amount(minimum, params['currency'])} "
                                  f"{params['currency'].lower()}", param="amount", code="amount_too_small")
    customer = params.get("customer")
    if customer:
        ctx = ctx.on_clock(common.require(ctx, "customer", customer, param="customer").get("test_clock"))
    intent_id = ids.new_id("pi")
    pm = _resolve_payment_method(ctx, params["payment_method"], customer, "payment_method") \
        if params.get("payment_method") else None
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": OBJECT,
        **common.allowed_payment_method_types(params),
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": common.automatic_payment_methods(params),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method", "automatic"),
        "client_secret": f"{intent_id}_secret_{ids.new_secret('', 18)}",
        "confirmation_method": "automatic",
        "created": ctx.now(),
        "currency": common.currency(params["currency"]),
        "customer": customer,
        "customer_account": None,
        "description": params.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": pm["id"] if pm else None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_record": None,
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": _shipping(params.get("shipping")),
        "source": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_confirmation" if pm else "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    common.create(ctx, intent, customer=customer, owner=invoice)
    if params.get("confirm"):
        return confirm(ctx, intent_id, {k: params[k] for k in CONFIRM_PARAMS if k in params})
    return intent


def retrieve(ctx: Ctx, intent_id: str) -> dict[str, Any]:
    return require(ctx, intent_id)


def update(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_intents/{id}`: editable until it succeeds or is canceled; a new payment method
    brings it back to requires_confirmation."""
    before = require(ctx, intent_id)
    if before["status"] in ("succeeded", "canceled", "processing"):
        raise InvalidRequestError(
            f"This PaymentIntent's status is {before['status']}, so it can no longer be updated.",
            code="payment_intent_unexpected_state")
    intent = dict(before)
    for key in ("amount", "description", "receipt_email", "setup_future_usage", "statement_descriptor",
                "statement_descriptor_suffix", "capture_method"):
        if key in params:
            intent[key] = common.or_none(params[key])
    if "currency" in params:
        intent["currency"] = common.currency(params["currency"])
    if "customer" in params:
        intent["customer"] = common.require(ctx, "customer", params["customer"], param="customer")["id"]
    if "shipping" in params:
        intent["shipping"] = _shipping(params["shipping"])
    if "metadata" in params:
        intent["metadata"] = common.apply_metadata(intent["metadata"], params["metadata"])
    if {"allowed_payment_method_types", "excluded_payment_method_types"} & params.keys():
        intent.update(common.allowed_payment_method_types({**intent, **params}))
    if params.get("payment_method"):
        pm = _resolve_payment_method(ctx, params["payment_method"], intent["customer"], "payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
        intent["last_payment_error"] = None
    return common.save(ctx, before, intent, customer=intent["customer"])


def confirm(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/payment_intents/{id}/confirm`: attempt the payment with the intent's payment method.

    A decline keeps the intent (requires_payment_method, last_payment_error) and its failed charge, then
    answers 402; a card needing authentication goes to requires_action (or, off_session, declines with
    authentication_required as Stripe does)."""
    from emulator.resources import test_cards

    before = require(ctx, intent_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise InvalidRequestError(
            f"You cannot confirm this PaymentIntent because it has a status of {before['status']}.",
            code="payment_intent_unexpected_state")
    intent = dict(before)
    if params.get("payment_method"):
        intent["payment_method"] = _resolve_payment_method(ctx, params["payment_method"], intent["customer"],
                                                           "payment_method")["id"]
    if "capture_method" in params:
        intent["capture_method"] = params["capture_method"]
    if "setup_future_usage" in params:
        intent["setup_future_usage"] = common.or_none(params["setup_future_usage"])
    if not intent["payment_method"]:
        raise InvalidRequestError(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent with cus, specify a payment method attached to this customer along with the "
            "customer ID.", param="payment_method", code="payment_intent_unexpected_state")
    common.require_return_url(intent, params, "PaymentIntent")
    pm = common.require(ctx, "payment_method", intent["payment_method"], param="payment_method")
    behaviour = test_cards.behaviour_of(pm)
    off_session = bool(params.get("off_session"))
    needs_auth = behaviour.needs_authentication(off_session=off_session, setup=False,
                                                already_authenticated=before["status"] == "requires_action")
    if needs_auth and off_session:
        return _decline(ctx, before, intent, pm, test_cards.AUTHENTICATION_REQUIRED)
    if needs_auth:
        if params.get("error_on_requires_action"):
            return _decline(ctx, before, intent, pm, test_cards.AUTHENTICATION_REQUIRED)
        return_url = params.get("return_url")
        intent.update({
            "status": "requires_action",
            "last_payment_error": None,
            "next_action": {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": return_url,
                    "url": f"{ctx.base_url}/authenticate/{intent_id}?client_secret={intent['client_secret']}"
                           + (f"&return_url={_quote(return_url)}" if return_url else ""),
                },
            },
        })
        common.save(ctx, before, intent, event="")
        from emulator import events

        events.emit(ctx, "payment_intent.requires_action", intent)
        return intent
    decline = behaviour.charge_decline()
    if decline is not None:
        return _decline(ctx, before, intent, pm, decline)
    result = _succeed(ctx, before, intent, pm)
    from emulator.resources import invoices

    invoices.intent_settled(ctx, result)
    return result


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _succeed(ctx: Ctx, before: dict[str, Any], intent: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
    manual = intent["capture_method"] == "manual"
    charge = charges.create(ctx, intent, pm, captured=not manual)
    intent.update({
        "latest_charge": charge["id"],
        "last_payment_error": None,
        "next_action": None,
        "status": "requires_capture" if manual else "succeeded",
        "amount_capturable": intent["amount"] if manual else 0,
        "amount_received": 0 if manual else intent["amount"],
    })
    if intent.get("setup_future_usage") and intent.get("customer") and not pm.get("customer"):
        from emulator.resources import payment_methods

        payment_methods.attach(ctx, pm["id"], intent["customer"], param="payment_method")
    common.save(ctx, before, intent, event="")
    from emulator import events

    events.emit(ctx, "payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", intent)
    return intent


def _decline(ctx: Ctx, before: dict[str, Any], intent: dict[str, Any], pm: dict[str, Any], decline: Any
             ) -> dict[str, Any]:
    charge = charges.create(ctx, intent, pm, captured=False, decline=decline)
    error = decline.error_body(charge_id=charge["id"], payment_method=pm)
    intent.update({
        "latest_charge": charge["id"],
        "last_payment_error": error,
        "next_action": None,
        "status": "requires_payment_method",
    })
    common.save(ctx, before, intent, event="")
    from emulator import events

    events.emit(ctx, "payment_intent.payment_failed", intent)
    raise PaymentFailed(error["message"], code=error.get("code"), param=error.get("param"),
                        decline_code=error.get("decline_code"), charge=charge["id"],
                        payment_intent=_error_intent(ctx, intent), payment_method=pm, doc_url=error.get("doc_url"))


def _error_intent(ctx: Ctx, intent: dict[str, Any]) -> dict[str, Any]:
    # Stripe embeds the PaymentIntent in card errors; render it like any answer.
    from emulator.render import Renderer

    return Renderer(ctx).render(intent)


def complete_authentication(ctx: Ctx, intent_id: str, *, succeed: bool) -> dict[str, Any]:
    """The emulator's 3-D Secure page (or its control endpoint): "Complete authentication" charges the card
    as authenticated; "Fail authentication" returns the intent to requires_payment_method with
    payment_intent_authentication_failure, as Stripe's test page does."""
    from emulator.resources import test_cards

    before = require(ctx, intent_id)
    if before["status"] != "requires_action":
        raise InvalidRequestError(f"This PaymentIntent is {before['status']}; there is nothing to authenticate.",
                                  code="payment_intent_unexpected_state")
    pm = common.require(ctx, "payment_method", before["payment_method"])
    intent = dict(before)
    if not succeed:
        try:
            _decline(ctx, before, intent, pm, test_cards.AUTHENTICATION_FAILED)
        except PaymentFailed:
            pass
        return require(ctx, intent_id)
    decline = test_cards.behaviour_of(pm).charge_decline()
    if decline is not None:
        try:
            _decline(ctx, before, intent, pm, decline)
        except PaymentFailed:
            pass
        return require(ctx, intent_id)
    result = _succeed(ctx, before, intent, pm)
    from emulator.resources import invoices

    invoices.intent_settled(ctx, result)
    return result


def capture(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../capture` for manual-capture intents; a partial capture releases the rest."""
    before = require(ctx, intent_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["status"] != "requires_capture":
        raise InvalidRequestError(
            f"This PaymentIntent could not be captured because it has a status of {before['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            code="payment_intent_unexpected_state")
    amount = params.get("amount_to_capture", before["amount_capturable"])
    if amount > before["amount_capturable"] or amount < 1:
        raise InvalidRequestError(
            f"The amount to capture ({amount}) must be between 1 and the amount capturable "
            f"({before['amount_capturable']}).", param="amount_to_capture")
    charges.capture(ctx, before["latest_charge"], amount)
    intent = {**before, "status": "succeeded", "amount_capturable": 0, "amount_received": amount}
    if "metadata" in params:
        intent["metadata"] = common.apply_metadata(intent["metadata"], params["metadata"])
    common.save(ctx, before, intent, event="")
    from emulator import events

    events.emit(ctx, "payment_intent.succeeded", intent)
    return intent


def cancel(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../cancel`: allowed until the intent succeeds."""
    before = require(ctx, intent_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["status"] in ("succeeded", "canceled", "processing"):
        raise InvalidRequestError(
            f"You cannot cancel this PaymentIntent because it has a status of {before['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
            "requires_capture, requires_confirmation, requires_action, processing.",
            code="payment_intent_unexpected_state")
    if before["status"] == "requires_capture" and before["latest_charge"]:
        charges.release_authorization(ctx, before["latest_charge"])
    intent = {**before, "status": "canceled", "canceled_at": ctx.now(), "next_action": None,
              "amount_capturable": 0, "cancellation_reason": params.get("cancellation_reason")}
    common.save(ctx, before, intent, event="")
    from emulator import events

    events.emit(ctx, "payment_intent.canceled", intent)
    return intent


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/payment_intents` (customer filter)."""
    return common.list_objects(ctx, OBJECT, params, "/v1/payment_intents", columns={"customer": "customer"})


SEARCH_FIELDS = {
    "amount": lambda pi: pi["amount"],
    "created": lambda pi: pi["created"],
    "currency": lambda pi: pi["currency"],
    "customer": lambda pi: pi["customer"],
    "metadata": lambda pi: pi["metadata"],
    "status": lambda pi: pi["status"],
}
