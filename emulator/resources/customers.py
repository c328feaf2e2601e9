"""Customers (`/v1/customers`): create, retrieve, update, delete, list, search; balance, addresses,
invoice settings, default payment method and source, test clocks."""

from __future__ import annotations

from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, test_clocks

CREATE_PARAMS = (
    "address", "balance", "business_name", "description", "email", "individual_name", "invoice_prefix",
    "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
    "preferred_locales", "shipping", "source", "tax_exempt", "tax_id_data", "test_clock",
)
UPDATE_PARAMS = (
    "address", "balance", "business_name", "default_source", "description", "email", "individual_name",
    "invoice_prefix", "invoice_settings", "metadata", "name", "next_invoice_sequence", "phone",
    "preferred_locales", "shipping", "source", "tax_exempt",
)
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
SEARCH_FIELDS = {
    "created": lambda c: c["created"],
    "email": lambda c: c.get("email"),
    "name": lambda c: c.get("name"),
    "phone": lambda c: c.get("phone"),
    "metadata": lambda c: c.get("metadata", {}),
}


def _address(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    return {key: value.get(key) or None for key in ADDRESS_KEYS}


def _shipping(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    return {"address": _address(value.get("address") or {}), "name": value.get("name"),
            "phone": value.get("phone") or None}


def _invoice_prefix(ctx: Ctx, value: str | None) -> str:
    if value is not None:
        if not (1 <= len(value) <= 12 and value.isalnum() and value.upper() == value):
            raise InvalidRequestError("Invoice prefix must be 1-12 uppercase letters or numbers.",
                                      param="invoice_prefix")
        return value
    from emulator import ids

    return ids.random_chars(8).upper()


def _invoice_settings(ctx: Ctx, customer_id: str, current: dict[str, Any], value: Any) -> dict[str, Any]:
    settings = dict(current)
    if not value:
        return settings
    if "custom_fields" in value:
        fields = value["custom_fields"]
        settings["custom_fields"] = None if fields == "" else [
            {"name": f["name"], "value": f["value"]} for f in fields]
    if "footer" in value:
        settings["footer"] = common.or_none(value["footer"])
    if "rendering_options" in value:
        options = value["rendering_options"]
        settings["rendering_options"] = None if options == "" else {
            "amount_tax_display": common.or_none(options.get("amount_tax_display")),
            "template": common.or_none(options.get("template")),
        }
    if "default_payment_method" in value:
        from emulator.resources import payment_methods

        pm = value["default_payment_method"]
        settings["default_payment_method"] = None if pm == "" else payment_methods.resolve_attached(
            ctx, pm, customer_id, param="invoice_settings[default_payment_method]")["id"]
    return settings


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/customers`. `payment_method` attaches it; `invoice_settings[default_payment_method]`
    may name that same test token (as Stripe's test-clock guides do); `source` sets default_source."""
    from emulator import ids

    customer_id = ids.new_id("cus")
    clock_id = params.get("test_clock")
    created = ctx.now()
    if clock_id:
        clock = test_clocks.require_usable(ctx, clock_id)
        created = clock["frozen_time"]
        ctx = ctx.on_clock(clock_id)
        if ctx.settings.get("STRIPE_LIMITS") and ctx.store.count(
                ctx.account_id, "customer", where="json_extract(data, '$.test_clock') = ?", args=(clock_id,)) >= 3:
            raise InvalidRequestError("A test clock can have at most 3 customers (Stripe's limit, applied because "
                                      "the emulator runs with --stripe-limits).", param="test_clock")
    customer: dict[str, Any] = {
        "id": customer_id,
        "object": "customer",
        "address": _address(params.get("address")),
        "balance": params.get("balance", 0),
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": _invoice_prefix(ctx, params.get("invoice_prefix")),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "name": params.get("name"),
        "next_invoice_sequence": params.get("next_invoice_sequence", 1),
        "phone": params.get("phone"),
        "preferred_locales": params.get("preferred_locales") or [],
        "shipping": _shipping(params.get("shipping")),
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": clock_id,
    }
    for name in ("business_name", "individual_name"):
        if common.or_none(params.get(name)):
            customer[name] = params[name]
    common.create(ctx, customer, customer=customer_id, created=created)
    before = dict(customer)
    if params.get("payment_method"):
        from emulator.resources import payment_methods

        payment_methods.attach(ctx, params["payment_method"], customer_id, param="payment_method")
    if params.get("source"):
        from emulator.resources import payment_methods

        card = payment_methods.create_source(ctx, customer_id, params["source"], param="source")
        customer["default_source"] = card["id"]
    customer["invoice_settings"] = _invoice_settings(ctx, customer_id, customer["invoice_settings"],
                                                     params.get("invoice_settings"))
    if params.get("tax_id_data"):
        from emulator.resources import tax_ids
    for index, tax_id in enumerate(params.get("tax_id_data") or []):
        tax_ids.create(ctx, customer_id, tax_id, param_prefix=f"tax_id_data[{index}]")
    if customer != before:
        ctx.store.update(ctx.account_id, customer)
    return customer


def retrieve(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """`GET /v1/customers/{id}`; a deleted customer comes back as {id, object, deleted: true}."""
    customer = common.require(ctx, "customer", customer_id, allow_deleted=True)
    if customer.get("deleted"):
        return {"id": customer["id"], "object": "customer", "deleted": True}
    return customer


def update(ctx: Ctx, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/customers/{id}`: only the given fields change; "" unsets emptyable ones."""
    before = common.require(ctx, "customer", customer_id)
    ctx = ctx.on_clock(before.get("test_clock"))
    customer = dict(before)
    for key in ("description", "email", "name", "phone", "business_name", "individual_name"):
        if key in params:
            customer[key] = common.or_none(params[key])
    for key in ("business_name", "individual_name"):
        if key in customer and customer[key] is None:
            del customer[key]
    if "address" in params:
        customer["address"] = _address(params["address"]) if params["address"] != "" else None
    if "shipping" in params:
        customer["shipping"] = _shipping(params["shipping"])
    if "balance" in params:
        customer["balance"] = params["balance"]
    if "invoice_prefix" in params:
        customer["invoice_prefix"] = _invoice_prefix(ctx, params["invoice_prefix"])
    if "next_invoice_sequence" in params:
        customer["next_invoice_sequence"] = params["next_invoice_sequence"]
    if "preferred_locales" in params:
        customer["preferred_locales"] = params["preferred_locales"] or []
    if "tax_exempt" in params:
        customer["tax_exempt"] = params["tax_exempt"] or "none"
    if "metadata" in params:
        customer["metadata"] = common.apply_metadata(customer["metadata"], params["metadata"])
    if params.get("source") or params.get("default_source"):
        from emulator.resources import payment_methods
    if params.get("source"):
        card = payment_methods.create_source(ctx, customer_id, params["source"], param="source")
        customer["default_source"] = card["id"]
    if "default_source" in params:
        source = params["default_source"]
        if source == "":
            customer["default_source"] = None
        else:
            customer["default_source"] = payment_methods.require_source(ctx, customer_id, source)["id"]
    customer["invoice_settings"] = _invoice_settings(ctx, customer_id, customer["invoice_settings"],
                                                     params.get("invoice_settings"))
    return common.save(ctx, before, customer)


def delete(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """`DELETE /v1/customers/{id}`: Stripe keeps it retrievable as deleted and emits customer.deleted."""
    customer = common.require(ctx, "customer", customer_id)
    ctx = ctx.on_clock(customer.get("test_clock"))
    for hook in DELETE_HOOKS:
        hook(ctx, customer)
    return common.delete(ctx, customer)


def delete_discount(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """`DELETE /v1/customers/{id}/discount`. Customer-level discounts cannot be created with this API version
    (endive has no customer `coupon` or `promotion_code`), so there is never one to remove: Stripe's 404."""
    customer = common.require(ctx, "customer", customer_id)
    if customer.get("discount") is None:
        raise InvalidRequestError(f"No active discount for customer: {customer_id}", code="resource_missing",
                                  http_status=404)
    return {**customer["discount"], "deleted": True}


# Other resources (subscriptions cancel, payment methods detach) register what a deletion does to them.
DELETE_HOOKS: list[Any] = []


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/customers` with `email` and `test_clock` filters."""
    where, args = [], []
    if params.get("email") is not None:
        where.append("json_extract(data, '$.email') = ?")
        args.append(params["email"])
    if params.get("test_clock") is not None:
        where.append("json_extract(data, '$.test_clock') = ?")
        args.append(params["test_clock"])
    return common.list_objects(ctx, "customer", params, "/v1/customers", where=" AND ".join(where),
                               args=tuple(args))


def _delete_customers_on_clock(ctx: Ctx, clock: dict[str, Any]) -> None:
    """Deleting a test clock deletes the customers attached to it (and, through their hooks, their
    subscriptions)."""
    for customer in ctx.store.select(ctx.account_id, "customer", where="json_extract(data, '$.test_clock') = ?",
                                     args=(clock["id"],)):
        delete(ctx, customer["id"])


test_clocks.DELETE_HOOKS.append(_delete_customers_on_clock)
