"""PaymentIntents, charges, refunds and SetupIntents."""

from __future__ import annotations

from typing import Any

from emulator import search
from emulator.api import operation
from emulator.errors import ResourceMissingError
from emulator.context import Ctx
from emulator.resources import charges, common, payment_intents, refunds, setup_intents
from emulator.versions import is_before


def _dynamic_payment_methods(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """Since 2023-08-16 an intent created without `automatic_payment_methods` takes dynamic payment methods
    (enabled, redirects allowed: confirming it on-session then needs a `return_url`)."""
    if "automatic_payment_methods" in params or is_before(ctx.api_version, "2023-08-16"):
        return params
    return {**params, "automatic_payment_methods": {"enabled": True}}


@operation("POST", "/v1/payment_intents", supports=payment_intents.CREATE_PARAMS)
def create_payment_intent(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return payment_intents.create(ctx, _dynamic_payment_methods(ctx, params))


@operation("GET", "/v1/payment_intents", supports=(*common.LIST_PARAMS, "customer"))
def list_payment_intents(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return payment_intents.list_(ctx, params)


@operation("GET", "/v1/payment_intents/search", supports=search.PARAMS)
def search_payment_intents(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "payment_intent", params, "/v1/payment_intents/search", payment_intents.SEARCH_FIELDS)


@operation("GET", "/v1/payment_intents/<intent>", supports=("client_secret",), publishable=True)
def retrieve_payment_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return _with_client_secret(ctx, payment_intents.retrieve(ctx, intent), params, "payment_intent")


def _with_client_secret(ctx: Ctx, obj: dict[str, Any], params: dict[str, Any], kind: str) -> dict[str, Any]:
    """A publishable key may read an intent only with its client_secret, as Stripe.js does."""
    if ctx.key_kind == "pk" and params.get("client_secret") != obj["client_secret"]:
        raise ResourceMissingError(kind, obj["id"])
    return obj


@operation("POST", "/v1/payment_intents/<intent>", supports=payment_intents.UPDATE_PARAMS)
def update_payment_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return payment_intents.update(ctx, intent, params)


@operation("POST", "/v1/payment_intents/<intent>/confirm", supports=payment_intents.CONFIRM_PARAMS)
def confirm_payment_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return payment_intents.confirm(ctx, intent, params)


@operation("POST", "/v1/payment_intents/<intent>/capture", supports=("amount_to_capture", "metadata"))
def capture_payment_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return payment_intents.capture(ctx, intent, params)


@operation("POST", "/v1/payment_intents/<intent>/cancel", supports=("cancellation_reason",))
def cancel_payment_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return payment_intents.cancel(ctx, intent, params)


@operation("GET", "/v1/charges", supports=(*common.LIST_PARAMS, "customer", "payment_intent"))
def list_charges(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return charges.list_(ctx, params)


@operation("GET", "/v1/charges/search", supports=search.PARAMS)
def search_charges(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "charge", params, "/v1/charges/search", charges.SEARCH_FIELDS)


@operation("GET", "/v1/charges/<charge>")
def retrieve_charge(ctx: Ctx, params: dict[str, Any], charge: str) -> dict[str, Any]:
    return charges.require(ctx, charge)


@operation("POST", "/v1/refunds", supports=refunds.CREATE_PARAMS)
def create_refund(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return refunds.create(ctx, params)


@operation("GET", "/v1/refunds", supports=(*common.LIST_PARAMS, "charge", "payment_intent"))
def list_refunds(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return refunds.list_(ctx, params)


@operation("GET", "/v1/refunds/<refund>")
def retrieve_refund(ctx: Ctx, params: dict[str, Any], refund: str) -> dict[str, Any]:
    return refunds.require(ctx, refund)


@operation("POST", "/v1/refunds/<refund>", supports=("metadata",))
def update_refund(ctx: Ctx, params: dict[str, Any], refund: str) -> dict[str, Any]:
    return refunds.update(ctx, refund, params)


@operation("POST", "/v1/setup_intents", supports=setup_intents.CREATE_PARAMS)
def create_setup_intent(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return setup_intents.create(ctx, _dynamic_payment_methods(ctx, params))


@operation("GET", "/v1/setup_intents", supports=(*common.LIST_PARAMS, "customer"))
def list_setup_intents(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return setup_intents.list_(ctx, params)


@operation("GET", "/v1/setup_intents/<intent>", supports=("client_secret",), publishable=True)
def retrieve_setup_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return _with_client_secret(ctx, setup_intents.require(ctx, intent), params, "setup_intent")


@operation("POST", "/v1/setup_intents/<intent>", supports=setup_intents.UPDATE_PARAMS)
def update_setup_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return setup_intents.update(ctx, intent, params)


@operation("POST", "/v1/setup_intents/<intent>/confirm", supports=setup_intents.CONFIRM_PARAMS)
def confirm_setup_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return setup_intents.confirm(ctx, intent, params)


@operation("POST", "/v1/setup_intents/<intent>/cancel", supports=("cancellation_reason",))
def cancel_setup_intent(ctx: Ctx, params: dict[str, Any], intent: str) -> dict[str, Any]:
    return setup_intents.cancel(ctx, intent, params)
