"""Invoice items (`/v1/invoiceitems`): one-off charges and credits that wait (pending, `invoice: null`) for
the customer's next invoice, or go on a given draft invoice. Subscription prorations are invoice items too
(`proration: true`, never discountable)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulator import ids
from emulator.billing import pricing
from emulator.billing.proration import round_amount
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "invoiceitem"
CREATE_PARAMS = ("amount", "currency", "customer", "description", "discountable", "invoice", "metadata", "period",
                 "price_data", "pricing", "quantity", "subscription", "tax_rates", "unit_amount_decimal")
UPDATE_PARAMS = ("amount", "description", "discountable", "metadata", "period", "pricing", "quantity",
                 "tax_rates", "unit_amount_decimal")


def build(ctx: Ctx, *, customer: dict[str, Any], amount: int, currency: str, description: str,
          period: tuple[int, int], quantity: int = 1, price: dict[str, Any] | None = None,
          subscription: str | None = None, subscription_item: str | None = None, proration: bool = False,
          discountable: bool = True, credited: dict[str, Any] | None = None, metadata: dict[str, str] | None = None,
          invoice: str | None = None, unit_amount_decimal: str | None = None,
          tax_rates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An invoice item in Stripe's endive shape (not stored)."""
    return {
        "id": ids.new_id("ii"),
        "object": OBJECT,
        "amount": amount,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "date": ctx.now(),
        "description": description,
        "discountable": discountable and not proration,
        "discounts": [],
        "invoice": invoice,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "net_amount": amount,
        # Stripe leaves `subscription_item` out (it is not nullable) for one-off items of a subscription.
        "parent": {"subscription_details": {"subscription": subscription,
                                            **({"subscription_item": subscription_item} if subscription_item else {})},
                   "type": "subscription_details"} if subscription else None,
        "period": {"end": period[1], "start": period[0]},
        "pricing": {"price_details": {"price": price["id"], "product": price["product"]}, "type": "price_details",
                    "unit_amount_decimal": unit_amount_decimal or price["unit_amount_decimal"]} if price else None,
        "proration": proration,
        "proration_details": {"credited_items": credited, "discount_amounts": []},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": list(tax_rates or []),
        "test_clock": customer.get("test_clock"),
    }


def store(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    """Save an invoice item and emit invoiceitem.created."""
    owner = ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return common.create(ctx, item, customer=item["customer"], owner=owner)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoiceitems`: amount (+currency), or `pricing[price]` / `price_data` with quantity."""
    if not params.get("customer"):
        raise InvalidRequestError("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = common.require(ctx, "customer", params["customer"], param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    quantity = params.get("quantity", 1)
    price = None
    unit_decimal = None
    if (params.get("pricing") or {}).get("price"):
        from emulator.resources import prices

        price = prices.require(ctx, params["pricing"]["price"], param="pricing[price]")
        amount = pricing.amount(price, quantity)
        currency = price["currency"]
    elif params.get("price_data"):
        from emulator.resources import prices

        data = params["price_data"]
        price = prices.create(ctx, {"product": data["product"], "currency": data["currency"],
                                    "unit_amount": data.get("unit_amount"),
                                    "unit_amount_decimal": data.get("unit_amount_decimal"), "active": False},
                              param_prefix="price_data") if data.get("unit_amount") is not None else \
            prices.create(ctx, {"product": data["product"], "currency": data["currency"],
                                "unit_amount_decimal": data.get("unit_amount_decimal"), "active": False},
                          param_prefix="price_data")
        amount = pricing.amount(price, quantity)
        currency = price["currency"]
    elif params.get("unit_amount_decimal") is not None:
        unit_decimal = str(params["unit_amount_decimal"])
        amount = round_amount(Decimal(unit_decimal) * quantity)
        currency = common.currency(params["currency"]) if params.get("currency") else \
            customer.get("currency") or "usd"
    elif params.get("amount") is not None:
        amount = params["amount"]
        currency = common.currency(params["currency"]) if params.get("currency") else customer.get("currency")
        if not currency:
            raise InvalidRequestError("Missing required param: currency.", param="currency", code="parameter_missing")
        unit_decimal = str(Decimal(amount) / quantity) if quantity else str(amount)
    else:
        raise InvalidRequestError("You must specify either `amount`, `pricing[price]` or `price_data`.",
                                  param="amount", code="parameter_missing")
    subscription = params.get("subscription")
    if subscription:
        common.require(ctx, "subscription", subscription, param="subscription")
    invoice_id = params.get("invoice")
    if invoice_id:
        from emulator.resources import invoices

        invoice = invoices.require(ctx, invoice_id, param="invoice")
        if invoice["status"] != "draft":
            raise InvalidRequestError("You can only add invoice items to draft invoices.", param="invoice",
                                      code="invoice_not_editable")
        if invoice["customer"] != customer["id"]:
            raise InvalidRequestError(f"The invoice {invoice_id} belongs to another customer.", param="invoice")
        if invoice["currency"] != currency.lower():
            raise InvalidRequestError(f"The invoice item's currency ({currency.lower()}) must match the invoice's "
                                      f"({invoice['currency']}).", param="currency")
    now = ctx.now()
    period = params.get("period") or {"start": now, "end": now}
    if price is not None:
        product_name = common.require(ctx, "product", price["product"], allow_deleted=True).get("name", "")
        description = params.get("description") or product_name
    else:
        description = params.get("description") or "Invoice item"
    item = build(ctx, customer=customer, amount=amount, currency=currency.lower(), description=description,
                 period=(period["start"], period["end"]), quantity=quantity, price=price, subscription=subscription,
                 # Stripe: negative items are not discountable unless asked.
                 discountable=params.get("discountable", amount >= 0), metadata=common.metadata_for_create(
                     params.get("metadata")), invoice=invoice_id, unit_amount_decimal=unit_decimal,
                 tax_rates=_rates(ctx, params.get("tax_rates")))
    store(ctx, item)
    if invoice_id:
        _add_to_draft(ctx, invoice_id, item)
    return item


def _rates(ctx: Ctx, value: Any) -> list[dict[str, Any]]:
    from emulator.resources import tax_rates

    return tax_rates.resolve(ctx, value, "tax_rates")


def _add_to_draft(ctx: Ctx, invoice_id: str, item: dict[str, Any]) -> None:
    from emulator.resources import invoices

    before = invoices.require(ctx, invoice_id)
    invoice = {**before, "lines": {**before["lines"], "data": [*before["lines"]["data"],
                                                               invoices.invoice_item_line(invoice_id, item)]}}
    invoices.compute_totals(ctx, invoice)
    common.save(ctx, before, invoice)


def _sync_draft(ctx: Ctx, item: dict[str, Any], *, removed: bool = False) -> None:
    """An item edited or deleted on a draft invoice changes the invoice's line and totals with it."""
    from emulator.resources import invoices

    before = invoices.require(ctx, item["invoice"])
    lines = []
    for line in before["lines"]["data"]:
        parent = line.get("parent") or {}
        details = parent.get("invoice_item_details") or parent.get("subscription_item_details") or {}
        if details.get("invoice_item") != item["id"]:
            lines.append(line)
        elif not removed:
            lines.append({**invoices.invoice_item_line(item["invoice"], item), "id": line["id"]})
    invoice = {**before, "lines": {**before["lines"], "data": lines}}
    invoices.compute_totals(ctx, invoice)
    common.save(ctx, before, invoice)


def require(ctx: Ctx, item_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, item_id, kind="invoiceitem")


def update(ctx: Ctx, item_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoiceitems/{id}`: only while pending or on a draft."""
    before = require(ctx, item_id)
    ctx = ctx.on_customer_clock(before.get("customer"))
    if before["invoice"]:
        invoice = common.require(ctx, "invoice", before["invoice"])
        if invoice["status"] != "draft":
            raise InvalidRequestError("The invoice item is on a finalized invoice and can no longer be edited.",
                                      code="invoice_not_editable")
    item = dict(before)
    for key in ("description", "discountable"):
        if key in params:
            item[key] = params[key]
    if "quantity" in params:
        item["quantity"] = params["quantity"]
        item["quantity_decimal"] = str(params["quantity"])
        unit = Decimal((item["pricing"] or {}).get("unit_amount_decimal") or item["amount"])
        item["amount"] = round_amount(unit * params["quantity"])
    if "amount" in params:
        item["amount"] = params["amount"]
    if "period" in params:
        item["period"] = {"end": params["period"]["end"], "start": params["period"]["start"]}
    if "metadata" in params:
        item["metadata"] = common.apply_metadata(item["metadata"], params["metadata"])
    if "tax_rates" in params:
        item["tax_rates"] = _rates(ctx, params["tax_rates"] or None)
    item["net_amount"] = item["amount"]
    common.save(ctx, before, item)
    if item["invoice"]:
        _sync_draft(ctx, item)
    return item


def delete(ctx: Ctx, item_id: str) -> dict[str, Any]:
    """`DELETE /v1/invoiceitems/{id}`: pending items (or items on a draft)."""
    item = require(ctx, item_id)
    ctx = ctx.on_customer_clock(item.get("customer"))
    if item["invoice"]:
        invoice = common.require(ctx, "invoice", item["invoice"])
        if invoice["status"] != "draft":
            raise InvalidRequestError("The invoice item is on a finalized invoice and cannot be deleted.",
                                      code="invoice_not_editable")
        _sync_draft(ctx, item, removed=True)
    return common.delete(ctx, item, keep=False)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoiceitems` with customer, invoice and pending filters."""
    def keep(item: dict[str, Any]) -> bool:
        if "invoice" in params and item["invoice"] != params["invoice"]:
            return False
        if "pending" in params and (item["invoice"] is None) != params["pending"]:
            return False
        return True

    filtered = "invoice" in params or "pending" in params
    return common.list_objects(ctx, OBJECT, params, "/v1/invoiceitems", columns={"customer": "customer"},
                               post_filter=keep if filtered else None)
