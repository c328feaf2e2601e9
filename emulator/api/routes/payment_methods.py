"""PaymentMethods, customer payment methods and sources, tax IDs."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, payment_methods, tax_ids


@operation("POST", "/v1/payment_methods", supports=payment_methods.CREATE_PARAMS, publishable=True)
def create_payment_method(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return payment_methods.create(ctx, params)


@operation("GET", "/v1/payment_methods", supports=(*common.LIST_PARAMS[:3], "customer", "type"))
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
        from emulator.errors import missing_param

        raise missing_param("customer")
    return payment_methods.attach(ctx, payment_method, params["customer"], param="payment_method")


@operation("POST", "/v1/payment_methods/<payment_method>/detach")
def detach_payment_method(ctx: Ctx, params: dict[str, Any], payment_method: str) -> dict[str, Any]:
    return payment_methods.detach(ctx, payment_method)


@operation("GET", "/v1/customers/<customer>/payment_methods", supports=(*common.LIST_PARAMS[:3], "type"))
def list_customer_payment_methods(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return payment_methods.list_(ctx, params, customer)


@operation("GET", "/v1/customers/<customer>/payment_methods/<payment_method>")
def retrieve_customer_payment_method(ctx: Ctx, params: dict[str, Any], customer: str,
                                     payment_method: str) -> dict[str, Any]:
    return payment_methods.retrieve_for_customer(ctx, customer, payment_method)


@operation("POST", "/v1/customers/<customer>/tax_ids", supports=("type", "value"))
def create_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return tax_ids.create(ctx, customer, params)


@operation("GET", "/v1/customers/<customer>/tax_ids", supports=common.LIST_PARAMS[:3])
def list_customer_tax_ids(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return tax_ids.list_(ctx, params, customer)


@operation("GET", "/v1/customers/<customer>/tax_ids/<id>")
def retrieve_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    return tax_ids.require(ctx, id, customer)


@operation("DELETE", "/v1/customers/<customer>/tax_ids/<id>")
def delete_customer_tax_id(ctx: Ctx, params: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    return tax_ids.delete(ctx, id, customer)


@operation("POST", "/v1/tax_ids", supports=("owner", "type", "value"))
def create_tax_id(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_ids.create_top_level(ctx, params)


@operation("GET", "/v1/tax_ids", supports=(*common.LIST_PARAMS[:3], "owner"))
def list_tax_ids(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return tax_ids.list_(ctx, params)


@operation("GET", "/v1/tax_ids/<id>")
def retrieve_tax_id(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return tax_ids.require(ctx, id)


@operation("DELETE", "/v1/tax_ids/<id>")
def delete_tax_id(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return tax_ids.delete(ctx, id)
