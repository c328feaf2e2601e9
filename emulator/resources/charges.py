"""Charges (`/v1/charges`): the record of each payment attempt a PaymentIntent makes, with the card
details, Stripe's `outcome`, failure codes and refunds."""

from __future__ import annotations

from typing import Any

from emulator import events, ids
from emulator.context import Ctx
from emulator.resources import common, test_cards

OBJECT = "charge"


def _card_details(pm: dict[str, Any]) -> dict[str, Any]:
    card = pm.get("card") or {}
    return {
        "amount_authorized": None,
        "authorization_code": None,
        "brand": card.get("brand"),
        "checks": card.get("checks") or {"address_line1_check": None, "address_postal_code_check": None,
                                          "cvc_check": None},
        "country": card.get("country"),
        "electronic_commerce_indicator": None,
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card.get("fingerprint"),
        "funding": card.get("funding"),
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card.get("last4"),
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": (card.get("networks") or {}).get("preferred") or card.get("brand"),
        "network_token": {"used": False},
        "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": 0, "status": "unavailable"},
        "regulated_status": card.get("regulated_status"),
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }


def create(ctx: Ctx, intent: dict[str, Any], pm: dict[str, Any], *, captured: bool,
           decline: Any = None) -> dict[str, Any]:
    """The charge of one confirmation: succeeded (captured or only authorized) or failed with the decline."""
    failed = decline is not None
    charge_id = ids.new_id("ch")
    charge: dict[str, Any] = {
        "id": charge_id,
        "object": OBJECT,
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured and not failed else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": pm.get("billing_details") or {
            "address": {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")},
            "email": None, "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "STRIPE EMULATOR",
        "captured": captured and not failed,
        "created": ctx.now(),
        "currency": intent["currency"],
        "customer": intent.get("customer"),
        "description": intent.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if failed else None,
        "failure_message": decline.message if failed else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent.get("metadata") or {}),
        "on_behalf_of": None,
        "outcome": decline.outcome() if failed else test_cards.behaviour_of(pm).success_outcome(),
        "paid": not failed,
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        "payment_method_details": {"card": _card_details(pm), "type": "card"},
        "receipt_email": intent.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"{ctx.base_url}/receipts/{charge_id}",
        "refunded": False,
        "review": None,
        "shipping": intent.get("shipping"),
        "source": None,
        "source_transfer": None,
        "statement_descriptor": intent.get("statement_descriptor"),
        "statement_descriptor_suffix": intent.get("statement_descriptor_suffix"),
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    common.create(ctx, charge, customer=intent.get("customer"), owner=intent["id"], event="")
    if failed:
        events.emit(ctx, "charge.failed", charge)
    else:
        events.emit(ctx, "charge.succeeded", charge)
    return charge


def require(ctx: Ctx, charge_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, charge_id, kind="charge", param=param)


def capture(ctx: Ctx, charge_id: str, amount: int) -> dict[str, Any]:
    """Capture an authorized charge (through its PaymentIntent); the uncaptured rest is refunded."""
    before = require(ctx, charge_id)
    charge = {**before, "captured": True, "amount_captured": amount,
              "amount_refunded": before["amount"] - amount}
    common.save(ctx, before, charge, event="")
    events.emit(ctx, "charge.captured", charge)
    return charge


def release_authorization(ctx: Ctx, charge_id: str) -> dict[str, Any]:
    """Canceling an uncaptured intent refunds its authorization in full."""
    before = require(ctx, charge_id)
    charge = {**before, "amount_refunded": before["amount"], "refunded": True}
    common.save(ctx, before, charge, event="")
    events.emit(ctx, "charge.refunded", charge)
    return charge


def record_refund(ctx: Ctx, charge_id: str, refund: dict[str, Any]) -> dict[str, Any]:
    """Add a refund to the charge: amount_refunded, refunded (when full), and charge.refunded."""
    before = require(ctx, charge_id)
    refunded = before["amount_refunded"] + refund["amount"]
    charge = {**before, "amount_refunded": refunded, "refunded": refunded >= before["amount"]}
    common.save(ctx, before, charge, event="")
    events.emit(ctx, "charge.refunded", charge)
    return charge


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/charges` with customer and payment_intent filters."""
    return common.list_objects(ctx, OBJECT, params, "/v1/charges",
                               columns={"payment_intent": "owner", "customer": "customer"})


SEARCH_FIELDS = {
    "amount": lambda c: c["amount"],
    "created": lambda c: c["created"],
    "currency": lambda c: c["currency"],
    "customer": lambda c: c["customer"],
    "metadata": lambda c: c["metadata"],
    "payment_method_details.card.last4": lambda c: ((c.get("payment_method_details") or {}).get("card") or {}).get("last4"),
    "status": lambda c: c["status"],
}
