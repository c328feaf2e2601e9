"""PaymentMethods and a customer's payment methods."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.errors import missing_param
from emulator.resources import common, payment_methods

LIST = (*common.LIST_PARAMS[:3], *payment_methods.LIST_PARAMS)


@operation("POST", "/v1/payment_methods", supports=payment_methods.CREATE_PARAMS, publishable=True)
def create_payment_method(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return payment_methods.create(ctx, params)


@operation("GET", "/v1/payment_methods", supports=(*LIST, "customer"))
def list_payment_methods(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return payment_methods.list_(ctx, params)


@operation("GET", "/v1/payment_methods/<payment_method>")
def retrieve_payment_method(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return payment_methods.retrieve(ctx, payment_method)


@operation("POST", "/v1/payment_methods/<payment_method>", supports=payment_methods.UPDATE_PARAMS)
def update_payment_method(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return payment_methods.update(ctx, payment_method, params)


@operation("POST", "/v1/payment_methods/<payment_method>/attach", supports=("customer",))
def attach_payment_method(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    if not params.get("customer"):
        raise missing_param("customer")
    return payment_methods.attach(ctx, payment_method, params["customer"], param="payment_method")


@operation("POST", "/v1/payment_methods/<payment_method>/detach")
def detach_payment_method(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return payment_methods.detach(ctx, payment_method)


@operation("GET", "/v1/customers/<customer>/payment_methods", supports=LIST)
def list_customer_payment_methods(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return payment_methods.list_(ctx, params, customer)


@operation("GET", "/v1/customers/<customer>/payment_methods/<payment_method>")
def retrieve_customer_payment_method(ctx: Ctx, params: dict[str, Any], customer: str,
                                     payment_method: str) -> dict[str, Any]:
    return payment_methods.retrieve_for_customer(ctx, customer, payment_method)
