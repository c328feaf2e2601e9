"""Customer balance transactions (`/v1/customers/{id}/balance_transactions`): every change of
`customer.balance` (negative = credit the customer has; positive = amount owed on the next invoice) is
recorded, whether made through the API or by invoices consuming or creating credit."""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "customer_balance_transaction"


def record(ctx: Ctx, customer_id: str, amount: int, *, invoice: str | None = None, kind: str = "adjustment",
           description: str | None = None, metadata: dict[str, str] | None = None,
           currency: str = "usd") -> dict[str, Any]:
    """Apply `amount` to the customer's balance and keep the transaction (customer.updated follows). The first
    transaction sets the currency of a customer that had none; the balance stays in that currency."""
    customer = common.require(ctx, "customer", customer_id, param="customer")
    if customer.get("currency") not in (None, currency):
        raise InvalidRequestError(f"The customer's balance is in {customer['currency']}; stripe-portal-emulator "
                                  "keeps one balance currency per customer.", param="currency")
    ending = customer["balance"] + amount
    transaction = {
        "id": ids.new_id("cbtxn"),
        "object": OBJECT,
        "amount": amount,
        "checkout_session": None,
        "created": ctx.now(),
        "credit_note": None,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "description": description,
        "ending_balance": ending,
        "invoice": invoice,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "type": kind,
    }
    ctx.store.insert(ctx.account_id, transaction, customer=customer_id)
    common.save(ctx, customer, {**customer, "balance": ending, "currency": currency})
    return transaction


def create(ctx: Ctx, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/customers/{id}/balance_transactions`: a manual adjustment (amount, currency), dated on the
    customer's test clock when it has one."""
    ctx = ctx.on_clock(common.require(ctx, "customer", customer_id).get("test_clock"))
    return record(ctx, customer_id, params["amount"], description=params.get("description"),
                  metadata=common.metadata_for_create(params.get("metadata")),
                  currency=common.currency(params["currency"]))


def require(ctx: Ctx, customer_id: str, transaction_id: str) -> dict[str, Any]:
    transaction = common.require(ctx, OBJECT, transaction_id, kind="customer balance transaction")
    if transaction["customer"] != customer_id:
        return common.require(ctx, OBJECT, "", kind="customer balance transaction")
    return transaction


def update(ctx: Ctx, customer_id: str, transaction_id: str, params: dict[str, Any]) -> dict[str, Any]:
    before = require(ctx, customer_id, transaction_id)
    after = dict(before)
    if "description" in params:
        after["description"] = common.or_none(params["description"])
    if "metadata" in params:
        after["metadata"] = common.apply_metadata(after["metadata"], params["metadata"])
    ctx.store.update(ctx.account_id, after)
    return after


def list_(ctx: Ctx, customer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    common.require(ctx, "customer", customer_id, param="customer")
    return common.list_objects(ctx, OBJECT, params, f"/v1/customers/{customer_id}/balance_transactions",
                               where="customer = ?", args=(customer_id,))
