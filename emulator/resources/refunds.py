"""Refunds (`/v1/refunds`) of a charge or PaymentIntent, full or partial. Refunding a paid invoice's charge
leaves the invoice paid, as Stripe does (credit notes are how Stripe adjusts invoices)."""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import charges, common

OBJECT = "refund"
CREATE_PARAMS = ("amount", "charge", "metadata", "payment_intent", "reason")


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/refunds`: `charge` or `payment_intent` (its latest charge); amount defaults to what is left."""
    if bool(params.get("charge")) == bool(params.get("payment_intent")):
        raise InvalidRequestError("You must pass exactly one of charge or payment_intent.", param="charge")
    if params.get("payment_intent"):
        intent = common.require(ctx, "payment_intent", params["payment_intent"], param="payment_intent")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise InvalidRequestError(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent", code="charge_not_refundable")
        charge = charges.require(ctx, intent["latest_charge"])
    else:
        charge = charges.require(ctx, params["charge"], param="charge")
    ctx = ctx.on_customer_clock(charge.get("customer"))
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise InvalidRequestError(f"Charge {charge['id']} has not been captured, so it cannot be refunded.",
                                  param="charge", code="charge_not_refundable")
    # After a partial capture the released rest already counts in amount_refunded.
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise InvalidRequestError(f"Charge {charge['id']} has already been refunded.",
                                  code="charge_already_refunded")
    amount = params.get("amount", remaining)
    if amount < 1 or amount > remaining:
        raise InvalidRequestError(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
            if amount > remaining else "Refund amount must be at least 1.", param="amount")
    refund = {
        "id": ids.new_id("re"),
        "object": OBJECT,
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number",
                                         "type": "refund"}, "type": "card"},
        "metadata": common.metadata_for_create(params.get("metadata")),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    common.create(ctx, refund, customer=charge["customer"], owner=charge["id"])
    charges.record_refund(ctx, charge["id"], refund)
    return refund


def require(ctx: Ctx, refund_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, refund_id, kind="refund")


def update(ctx: Ctx, refund_id: str, params: dict[str, Any]) -> dict[str, Any]:
    before = require(ctx, refund_id)
    refund = {**before, "metadata": common.apply_metadata(before["metadata"], params.get("metadata"))}
    return common.save(ctx, before, refund)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/refunds` with charge / payment_intent filters."""
    intent = params.get("payment_intent")
    return common.list_objects(ctx, OBJECT, params, "/v1/refunds", columns={"charge": "owner"},
                               post_filter=(lambda r: r["payment_intent"] == intent) if intent else None)


