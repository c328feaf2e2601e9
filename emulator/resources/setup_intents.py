"""SetupIntents (`/v1/setup_intents`): save a card for later (off-session) payments. Confirming attaches the
PaymentMethod to the customer; cards that authenticate on setup go through requires_action and the
emulator's authentication page; cards that cannot be attached fail with setup_intent.setup_failed."""

from __future__ import annotations

from typing import Any

from emulator import events, ids
from emulator.context import Ctx
from emulator.errors import CardError, InvalidRequestError
from emulator.resources import common

OBJECT = "setup_intent"
CREATE_PARAMS = ("allowed_payment_method_types", "automatic_payment_methods", "confirm", "customer", "description",
                 "excluded_payment_method_types", "metadata", "payment_method", "return_url", "usage",
                 "use_stripe_sdk", "single_use")
UPDATE_PARAMS = ("allowed_payment_method_types", "customer", "description", "excluded_payment_method_types",
                 "metadata", "payment_method")
CONFIRM_PARAMS = ("payment_method", "return_url", "use_stripe_sdk")


class SetupFailed(CardError):
    """The setup attempt failed; the intent keeps `last_setup_error` (saved before the 402 answer)."""

    persist = True


def require(ctx: Ctx, intent_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, intent_id, kind="setup_intent")


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/setup_intents` (optionally `confirm=true`)."""
    from emulator.resources import payment_methods

    customer = params.get("customer")
    if customer:
        ctx = ctx.on_clock(common.require(ctx, "customer", customer, param="customer").get("test_clock"))
    pm = payment_methods.resolve_for_payment(ctx, params["payment_method"], customer, param="payment_method") \
        if params.get("payment_method") else None
    intent_id = ids.new_id("seti")
    intent = {
        "id": intent_id,
        "object": OBJECT,
        "application": None,
        "automatic_payment_methods": common.automatic_payment_methods(params),
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{ids.new_secret('', 18)}",
        "created": ctx.now(),
        "customer": customer,
        "description": params.get("description"),
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": pm["id"] if pm else None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        **common.allowed_payment_method_types(params),
        "single_use_mandate": None,
        "status": "requires_confirmation" if pm else "requires_payment_method",
        "usage": params.get("usage", "off_session"),
    }
    common.create(ctx, intent, customer=customer)
    if params.get("confirm"):
        return confirm(ctx, intent_id, {k: params[k] for k in CONFIRM_PARAMS if k in params})
    return intent


def update(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    from emulator.resources import payment_methods

    before = require(ctx, intent_id)
    if before["status"] in ("succeeded", "canceled"):
        raise InvalidRequestError(f"This SetupIntent is {before['status']} and can no longer be updated.",
                                  code="setup_intent_unexpected_state")
    intent = dict(before)
    if "description" in params:
        intent["description"] = common.or_none(params["description"])
    if "metadata" in params:
        intent["metadata"] = common.apply_metadata(intent["metadata"], params["metadata"])
    if "customer" in params:
        intent["customer"] = common.require(ctx, "customer", params["customer"], param="customer")["id"]
    if {"allowed_payment_method_types", "excluded_payment_method_types"} & params.keys():
        intent.update(common.allowed_payment_method_types({**intent, **params}))
    if params.get("payment_method"):
        intent["payment_method"] = payment_methods.resolve_for_payment(
            ctx, params["payment_method"], intent["customer"], param="payment_method")["id"]
        intent["status"] = "requires_confirmation"
    return common.save(ctx, before, intent, customer=intent["customer"])


def confirm(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST .../confirm`: authenticate if the card asks for it on setup, then attach the PaymentMethod."""
    from emulator.resources import payment_methods, test_cards

    before = require(ctx, intent_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise InvalidRequestError(
            f"You cannot confirm this SetupIntent because it has a status of {before['status']}.",
            code="setup_intent_unexpected_state")
    intent = dict(before)
    if params.get("payment_method"):
        intent["payment_method"] = payment_methods.resolve_for_payment(
            ctx, params["payment_method"], intent["customer"], param="payment_method")["id"]
    if not intent["payment_method"]:
        raise InvalidRequestError("You cannot confirm this SetupIntent because it's missing a payment method.",
                                  param="payment_method", code="setup_intent_unexpected_state")
    common.require_return_url(intent, params, "SetupIntent")
    pm = common.require(ctx, "payment_method", intent["payment_method"], param="payment_method")
    behaviour = test_cards.behaviour_of(pm)
    decline = behaviour.attach_decline()
    if decline is not None:
        return _fail(ctx, before, intent, pm, decline)
    if behaviour.needs_authentication(off_session=False, setup=True,
                                      already_authenticated=before["status"] == "requires_action"):
        return_url = params.get("return_url")
        from urllib.parse import quote

        intent.update({"status": "requires_action", "next_action": {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url,
                                "url": f"{ctx.base_url}/authenticate/{intent_id}?client_secret="
                                       f"{intent['client_secret']}"
                                       + (f"&return_url={quote(return_url, safe='')}" if return_url else "")}}})
        common.save(ctx, before, intent, event="")
        events.emit(ctx, "setup_intent.requires_action", intent)
        return intent
    return _succeed(ctx, before, intent, pm)


def _succeed(ctx: Ctx, before: dict[str, Any], intent: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
    from emulator.resources import payment_methods

    if intent["customer"] and pm.get("customer") != intent["customer"]:
        payment_methods.attach(ctx, pm["id"], intent["customer"], param="payment_method")
    intent.update({"status": "succeeded", "next_action": None, "last_setup_error": None,
                   "latest_attempt": ids.new_id("setatt")})
    common.save(ctx, before, intent, event="")
    events.emit(ctx, "setup_intent.succeeded", intent)
    return intent


def _fail(ctx: Ctx, before: dict[str, Any], intent: dict[str, Any], pm: dict[str, Any], decline: Any
          ) -> dict[str, Any]:
    error = decline.error_body(charge_id=None, payment_method=pm)
    intent.update({"status": "requires_payment_method", "last_setup_error": error, "next_action": None})
    common.save(ctx, before, intent, event="")
    events.emit(ctx, "setup_intent.setup_failed", intent)
    from emulator.render import Renderer

    raise SetupFailed(error["message"], code=error.get("code"), decline_code=error.get("decline_code"),
                      setup_intent=Renderer(ctx).render(intent), payment_method=pm, doc_url=error.get("doc_url"))


def complete_authentication(ctx: Ctx, intent_id: str, *, succeed: bool) -> dict[str, Any]:
    """The authentication page's buttons for a SetupIntent."""
    from emulator.resources import test_cards

    before = require(ctx, intent_id)
    if before["status"] != "requires_action":
        raise InvalidRequestError(f"This SetupIntent is {before['status']}; there is nothing to authenticate.",
                                  code="setup_intent_unexpected_state")
    pm = common.require(ctx, "payment_method", before["payment_method"])
    if not succeed:
        try:
            _fail(ctx, before, dict(before), pm, test_cards.SETUP_AUTHENTICATION_FAILED)
        except SetupFailed:
            pass
        return require(ctx, intent_id)
    return _succeed(ctx, before, dict(before), pm)


def cancel(ctx: Ctx, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    before = require(ctx, intent_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["status"] in ("succeeded", "canceled", "processing"):
        raise InvalidRequestError(
            f"You cannot cancel this SetupIntent because it has a status of {before['status']}.",
            code="setup_intent_unexpected_state")
    intent = {**before, "status": "canceled", "next_action": None,
              "cancellation_reason": params.get("cancellation_reason")}
    common.save(ctx, before, intent, event="")
    events.emit(ctx, "setup_intent.canceled", intent)
    return intent


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return common.list_objects(ctx, OBJECT, params, "/v1/setup_intents", columns={"customer": "customer"})
