"""Subscriptions, subscription items, invoices, invoice items, customer balance transactions."""

from __future__ import annotations

from typing import Any

from emulator import search
from emulator.api import operation
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import (common, customer_balance, invoice_items, invoices, previews, subscription_items,
                                subscriptions)

SUB = "/v1/subscriptions/<subscription_exposed_id>"


@operation("POST", "/v1/subscriptions", supports=subscriptions.CREATE_PARAMS)
def create_subscription(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return subscriptions.create(ctx, params)


@operation("GET", "/v1/subscriptions", supports=subscriptions.LIST_PARAMS)
def list_subscriptions(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return subscriptions.list_(ctx, params)


@operation("GET", "/v1/subscriptions/search", supports=search.PARAMS)
def search_subscriptions(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "subscription", params, "/v1/subscriptions/search", subscriptions.SEARCH_FIELDS)


@operation("GET", SUB)
def retrieve_subscription(ctx: Ctx, params: dict[str, Any], subscription_exposed_id: str) -> dict[str, Any]:
    return subscriptions.require(ctx, subscription_exposed_id)


@operation("POST", SUB, supports=subscriptions.UPDATE_PARAMS)
def update_subscription(ctx: Ctx, params: dict[str, Any], subscription_exposed_id: str) -> dict[str, Any]:
    return subscriptions.update(ctx, subscription_exposed_id, params)


@operation("DELETE", SUB, supports=subscriptions.CANCEL_PARAMS)
def cancel_subscription(ctx: Ctx, params: dict[str, Any], subscription_exposed_id: str) -> dict[str, Any]:
    return subscriptions.cancel(ctx, subscription_exposed_id, params)


@operation("POST", "/v1/subscriptions/<subscription>/resume", supports=("payment_behavior", "billing_cycle_anchor",
                                                                         "proration_behavior", "proration_date"))
def resume_subscription(ctx: Ctx, params: dict[str, Any], subscription: str) -> dict[str, Any]:
    return subscriptions.resume(ctx, subscription, params)


@operation("POST", "/v1/subscriptions/<subscription>/pause", supports=("bill_for", "invoicing_behavior", "type"))
def pause_subscription(ctx: Ctx, params: dict[str, Any], subscription: str) -> dict[str, Any]:
    return subscriptions.pause(ctx, subscription, params)


@operation("DELETE", SUB + "/discount")
def delete_subscription_discount(ctx: Ctx, params: dict[str, Any], subscription_exposed_id: str) -> dict[str, Any]:
    return subscriptions.delete_discount(ctx, subscription_exposed_id)


@operation("GET", "/v1/subscription_items", supports=(*common.LIST_PARAMS[:3], "subscription"))
def list_subscription_items(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return subscription_items.list_(ctx, params)


@operation("POST", "/v1/subscription_items", supports=subscription_items.CREATE_PARAMS)
def create_subscription_item(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return subscription_items.create(ctx, params)


@operation("GET", "/v1/subscription_items/<item>")
def retrieve_subscription_item(ctx: Ctx, params: dict[str, Any], item: str) -> dict[str, Any]:
    return subscription_items.require(ctx, item)


@operation("POST", "/v1/subscription_items/<item>", supports=subscription_items.UPDATE_PARAMS)
def update_subscription_item(ctx: Ctx, params: dict[str, Any], item: str) -> dict[str, Any]:
    return subscription_items.update(ctx, item, params)


@operation("DELETE", "/v1/subscription_items/<item>", supports=subscription_items.DELETE_PARAMS)
def delete_subscription_item(ctx: Ctx, params: dict[str, Any], item: str) -> dict[str, Any]:
    return subscription_items.delete(ctx, item, params)


@operation("GET", "/v1/invoices", supports=invoices.LIST_PARAMS)
def list_invoices(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return invoices.list_(ctx, params)


@operation("GET", "/v1/invoices/search", supports=search.PARAMS)
def search_invoices(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return search.run(ctx, "invoice", params, "/v1/invoices/search", invoices.SEARCH_FIELDS)


@operation("POST", "/v1/invoices", supports=("auto_advance", "collection_method", "customer", "days_until_due",
                                              "default_payment_method", "description", "discounts", "footer",
                                              "metadata", "pending_invoice_items_behavior", "subscription",
                                              "currency"))
def create_invoice(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return previews.create_manual_invoice(ctx, params)


@operation("POST", "/v1/invoices/create_preview", supports=previews.PREVIEW_PARAMS)
def create_preview(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return previews.create_preview(ctx, params)


@operation("GET", "/v1/invoices/upcoming", supports=previews.UPCOMING_PARAMS)
def upcoming_invoice(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return previews.upcoming(ctx, params)


@operation("GET", "/v1/invoices/<invoice>")
def retrieve_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.require(ctx, invoice)


@operation("POST", "/v1/invoices/<invoice>", supports=invoices.UPDATE_PARAMS)
def update_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.update(ctx, invoice, params)


@operation("DELETE", "/v1/invoices/<invoice>")
def delete_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.delete_draft(ctx, invoice)


@operation("GET", "/v1/invoices/<invoice>/lines", supports=common.LIST_PARAMS[:3])
def list_invoice_lines(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.lines(ctx, invoice, params)


@operation("POST", "/v1/invoices/<invoice>/finalize", supports=("auto_advance",))
def finalize_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.finalize_now(ctx, invoice, auto_advance=params.get("auto_advance"))


@operation("POST", "/v1/invoices/<invoice>/pay", supports=("off_session", "paid_out_of_band", "payment_method"))
def pay_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.pay(ctx, invoice, params)


@operation("POST", "/v1/invoices/<invoice>/void")
def void_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.void(ctx, invoice)


@operation("POST", "/v1/invoices/<invoice>/mark_uncollectible")
def mark_invoice_uncollectible(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    return invoices.mark_uncollectible(ctx, invoice)


@operation("POST", "/v1/invoices/<invoice>/send")
def send_invoice(ctx: Ctx, params: dict[str, Any], invoice: str) -> dict[str, Any]:
    current = invoices.require(ctx, invoice)
    if current["status"] not in ("open", "paid"):
        raise InvalidRequestError("You can only send an open or paid invoice.")
    from emulator import events

    events.emit(ctx, "invoice.sent", current)
    return current


@operation("POST", "/v1/invoiceitems", supports=invoice_items.CREATE_PARAMS)
def create_invoice_item(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return invoice_items.create(ctx, params)


@operation("GET", "/v1/invoiceitems", supports=(*common.LIST_PARAMS, "customer", "invoice", "pending"))
def list_invoice_items(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return invoice_items.list_(ctx, params)


@operation("GET", "/v1/invoiceitems/<invoiceitem>")
def retrieve_invoice_item(ctx: Ctx, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    return invoice_items.require(ctx, invoiceitem)


@operation("POST", "/v1/invoiceitems/<invoiceitem>", supports=invoice_items.UPDATE_PARAMS)
def update_invoice_item(ctx: Ctx, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    return invoice_items.update(ctx, invoiceitem, params)


@operation("DELETE", "/v1/invoiceitems/<invoiceitem>")
def delete_invoice_item(ctx: Ctx, params: dict[str, Any], invoiceitem: str) -> dict[str, Any]:
    return invoice_items.delete(ctx, invoiceitem)


@operation("GET", "/v1/customers/<customer>/balance_transactions", supports=common.LIST_PARAMS)
def list_balance_transactions(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customer_balance.list_(ctx, customer, params)


@operation("POST", "/v1/customers/<customer>/balance_transactions",
           supports=("amount", "currency", "description", "metadata"))
def create_balance_transaction(ctx: Ctx, params: dict[str, Any], customer: str) -> dict[str, Any]:
    return customer_balance.create(ctx, customer, params)


@operation("GET", "/v1/customers/<customer>/balance_transactions/<transaction>")
def retrieve_balance_transaction(ctx: Ctx, params: dict[str, Any], customer: str, transaction: str) -> dict[str, Any]:
    return customer_balance.require(ctx, customer, transaction)


@operation("POST", "/v1/customers/<customer>/balance_transactions/<transaction>",
           supports=("description", "metadata"))
def update_balance_transaction(ctx: Ctx, params: dict[str, Any], customer: str, transaction: str
                               ) -> dict[str, Any]:
    return customer_balance.update(ctx, customer, transaction, params)


@operation("GET", "/v1/invoice_payments", supports=invoices.INVOICE_PAYMENT_LIST_PARAMS)
def list_invoice_payments(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return invoices.list_payments(ctx, params)


@operation("GET", "/v1/invoice_payments/<invoice_payment>")
def retrieve_invoice_payment(ctx: Ctx, params: dict[str, Any], invoice_payment: str) -> dict[str, Any]:
    return invoices.retrieve_payment(ctx, invoice_payment)
