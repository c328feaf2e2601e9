"""Invoices (`/v1/invoices`): drafts built from subscription lines and pending invoice items, totals with
discounts and the customer's balance, finalization, payment through PaymentIntents, void and
uncollectible.

Status lifecycle: draft -> open -> paid | void | uncollectible. A subscription's first invoice is finalized
and charged at once; renewal drafts wait about an hour (`automatically_finalizes_at`) and are finalized by
the lifecycle engine. Below the currency's minimum charge nothing is charged: the invoice is marked paid and
the amount is carried to the customer's balance, as Stripe does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator import events, ids, timers
from emulator.billing import discounts as discount_math
from emulator.billing.money import minimum_charge
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, coupons, public_details

OBJECT = "invoice"
FINALIZE_DELAY = 3600
UPDATE_PARAMS = ("auto_advance", "collection_method", "days_until_due", "default_payment_method", "description",
                 "discounts", "due_date", "footer", "metadata")
LIST_PARAMS = (*common.LIST_PARAMS, "collection_method", "customer", "status", "subscription")
SEARCH_FIELDS = {
    "created": lambda i: i["created"],
    "currency": lambda i: i["currency"],
    "customer": lambda i: i["customer"],
    "metadata": lambda i: i.get("metadata", {}),
    "number": lambda i: i.get("number"),
    "status": lambda i: i.get("status"),
    "subscription": lambda i: ((i.get("parent") or {}).get("subscription_details") or {}).get("subscription"),
    "total": lambda i: i["total"],
}


def require(ctx: Ctx, invoice_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, invoice_id, kind="invoice", param=param)


def subscription_of(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    return (parent.get("subscription_details") or {}).get("subscription")


# -- lines ------------------------------------------------------------------------------------------------
def subscription_line(*, invoice_id: str | None, subscription: str, item: str, price: dict[str, Any],
                      quantity: int, amount: int, period: tuple[int, int], description: str,
                      proration: bool = False, invoice_item: str | None = None, discountable: bool = True,
                      credited: dict[str, Any] | None = None, preview: bool = False,
                      tax_rates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A line billed by a subscription item (`parent.subscription_item_details`)."""
    from emulator.resources.tax_rates import line_taxes

    return {
        "id": ids.new_id("il_tmp" if preview else "il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": discountable and not proration,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": invoice_item,
                "proration": proration,
                "proration_details": {"credited_items": credited},
                "subscription": subscription,
                "subscription_item": item,
            },
            "type": "subscription_item_details",
        },
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": {"price_details": {"price": price["id"], "product": price["product"]}, "type": "price_details",
                    "unit_amount_decimal": price["unit_amount_decimal"]},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription,
        "subtotal": amount,
        "taxes": line_taxes(tax_rates or []),
    }


def invoice_item_line(invoice_id: str | None, item: dict[str, Any], *, preview: bool = False) -> dict[str, Any]:
    """A line for a pending invoice item (prorations ride on the next invoice this way)."""
    from emulator.resources.tax_rates import line_taxes

    parent = (item.get("parent") or {}).get("subscription_details") or {}
    proration_details = item.get("proration_details") or {"credited_items": None}
    credited = proration_details.get("credited_items")
    line_credit = None
    if credited and credited.get("invoice_line_item_details"):
        details = credited["invoice_line_item_details"]
        line_credit = {"invoice": details["invoice"], "invoice_line_items": details["invoice_line_items"]}
    if parent.get("subscription_item"):
        parent_block: dict[str, Any] = {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": item["id"], "proration": item["proration"],
                "proration_details": {"credited_items": line_credit},
                "subscription": parent.get("subscription"), "subscription_item": parent["subscription_item"]},
            "type": "subscription_item_details"}
    else:
        parent_block = {
            "invoice_item_details": {"invoice_item": item["id"], "proration": item["proration"],
                                     "proration_details": {"credited_items": line_credit},
                                     "subscription": parent.get("subscription")},
            "subscription_item_details": None, "type": "invoice_item_details"}
    # Itemized proration discounts (flexible billing mode) arrive with the proration item.
    itemized = [dict(d) for d in proration_details.get("discount_amounts") or []] if item["proration"] else []
    return {
        "id": ids.new_id("il_tmp" if preview else "il"),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": itemized,
        "discountable": item["discountable"],
        "discounts": [d["discount"] for d in itemized],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(item.get("metadata") or {}),
        "parent": parent_block,
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": item.get("pricing"),
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": parent.get("subscription"),
        "subtotal": item["amount"],
        "taxes": line_taxes(item.get("tax_rates") or []),
    }


def pending_items(ctx: Ctx, customer: str, subscription: str | None) -> list[dict[str, Any]]:
    """Pending invoice items for the next invoice: the subscription's own, or (for a subscription invoice)
    also the customer's items not tied to another subscription. Newest first, as Stripe orders them."""
    rows = ctx.store.select(ctx.account_id, "invoiceitem", where="customer = ? AND json_extract(data, '$.invoice') "
                            "IS NULL", args=(customer,))
    selected = []
    for item in rows:
        item_sub = ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        if item_sub is None or item_sub == subscription:
            selected.append(item)
    return selected


# -- totals -----------------------------------------------------------------------------------------------
def _coupons(ctx: Ctx, discount_ids: Iterable[str], currency: str) -> list[discount_math.Coupon]:
    """The invoice's coupons in its currency (an amount-off coupon without an amount there is left out)."""
    found = []
    for discount_id in discount_ids:
        discount = ctx.store.get(ctx.account_id, discount_id, "discount")
        if discount is None:
            continue
        coupon = ctx.store.get(ctx.account_id, discount["source"]["coupon"], "coupon")
        if coupon is None:
            continue
        amount_off = coupons.amount_off_in(coupon, currency)
        if coupon.get("percent_off") is None and amount_off is None:
            continue
        products = (coupon.get("applies_to") or {}).get("products")
        found.append(discount_math.Coupon(discount_id, coupon.get("percent_off"), amount_off,
                                          frozenset(products) if products else None))
    return found


def compute_totals(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    """Recompute line discounts and invoice totals (subtotal, total_discount_amounts, total, amount_due...)."""
    lines = invoice["lines"]["data"]
    allocations = discount_math.allocate(
        [discount_math.Line(line["amount"], line["discountable"],
                            ((line.get("pricing") or {}).get("price_details") or {}).get("product")) for line in lines],
        _coupons(ctx, invoice["discounts"], invoice["currency"]))
    totals: dict[str, int] = {}
    for line, taken in zip(lines, allocations):
        if not line["discountable"] and line["discount_amounts"]:
            # A proration line's itemized discounts are fixed when the proration is created.
            taken = [(d["discount"], d["amount"]) for d in line["discount_amounts"]]
        line["discount_amounts"] = [{"amount": amount, "discount": discount_id} for discount_id, amount in taken]
        line["discounts"] = [discount_id for discount_id, _ in taken]
        for discount_id, amount in taken:
            totals[discount_id] = totals.get(discount_id, 0) + amount
    subtotal = sum(line["amount"] for line in lines)
    discount_total = sum(totals.values())
    exclusive, inclusive, total_taxes = _taxes(ctx, lines)
    total = subtotal - discount_total + exclusive
    invoice.update({
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total_discount_amounts": [{"amount": amount, "discount": discount_id}
                                   for discount_id, amount in totals.items()],
        "total": total,
        "total_excluding_tax": total - exclusive - inclusive,
        "total_taxes": total_taxes,
    })
    if invoice["status"] == "draft":
        customer = ctx.store.get(ctx.account_id, invoice["customer"], "customer") or {}
        invoice["starting_balance"] = usable_balance(customer, invoice["currency"])
    _amounts(invoice)
    return invoice


def _taxes(ctx: Ctx, lines: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
    """Manual tax rates per line, on the amount after the line's discounts, each rounded per line:
    exclusive taxes add to the total, inclusive ones are carved out of it."""
    from decimal import Decimal

    from emulator.billing.proration import round_amount

    exclusive = inclusive = 0
    summary: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        taxable = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
        taxes = line.get("taxes") or []
        rates = []
        for tax in taxes:
            rate = ctx.store.get(ctx.account_id, tax["tax_rate_details"]["tax_rate"], "tax_rate")
            rates.append(Decimal(str(rate["percentage"])) if rate else Decimal(0))
        # Inclusive rates share one base, the line's amount without all of them (10% and 5% of 1000 in 1150);
        # each is rounded on its own and the base is what remains.
        inclusive_rates = [(tax, pct) for tax, pct in zip(taxes, rates) if tax["tax_behavior"] == "inclusive"]
        base = Decimal(taxable) / (1 + sum((pct for _, pct in inclusive_rates), Decimal(0)) / 100)
        carved = {id(tax): round_amount(base * pct / 100) for tax, pct in inclusive_rates}
        for tax, percentage in zip(taxes, rates):
            if tax["tax_behavior"] == "inclusive":
                amount = carved[id(tax)]
                tax.update(amount=amount, taxable_amount=taxable - sum(carved.values()))
                inclusive += amount
            else:
                amount = round_amount(Decimal(taxable) * percentage / 100)
                tax.update(amount=amount, taxable_amount=taxable)
                exclusive += amount
            key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
            entry = summary.setdefault(key, {**tax, "amount": 0, "taxable_amount": 0})
            entry["amount"] += tax["amount"]
            entry["taxable_amount"] += tax["taxable_amount"]
    return exclusive, inclusive, list(summary.values())


def tax_rows(ctx: Ctx, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """The taxes an invoice adds to its subtotal, as its pages list them between discounts and total: one row
    per exclusive tax rate (`display_name`, `percentage`, `amount`). Inclusive taxes are already inside the
    line amounts."""
    rows = []
    for tax in invoice.get("total_taxes") or []:
        if tax["tax_behavior"] == "inclusive":
            continue
        rate = ctx.store.get(ctx.account_id, tax["tax_rate_details"]["tax_rate"], "tax_rate") or {}
        rows.append({"display_name": rate.get("display_name") or "Tax", "percentage": rate.get("percentage"),
                     "amount": tax["amount"]})
    return rows


def usable_balance(customer: dict[str, Any], currency: str) -> int:
    """The customer's balance an invoice in `currency` uses: only a balance in the invoice's currency (a deleted
    customer's none)."""
    if customer.get("deleted") or customer.get("currency") not in (None, currency):
        return 0
    return customer.get("balance", 0)


def _amounts(invoice: dict[str, Any]) -> None:
    """amount_due after the customer's balance (negative balance = credit): a draft's `starting_balance` is the
    customer's current balance, a finalized invoice's the balance at finalization (`ending_balance` is null
    until then)."""
    if invoice["status"] == "draft":
        invoice["amount_due"] = max(invoice["total"] + invoice["starting_balance"], 0)
        invoice["amount_remaining"] = invoice["amount_due"]
        return
    applied = invoice["starting_balance"]
    due = max(invoice["total"] + applied, 0)
    invoice["amount_due"] = due
    invoice["ending_balance"] = min(invoice["total"] + applied, 0) if applied or invoice["total"] < 0 else 0
    invoice["amount_remaining"] = max(due - invoice["amount_paid"], 0)


# -- creation ---------------------------------------------------------------------------------------------
def create_draft(ctx: Ctx, *, customer: dict[str, Any], currency: str, billing_reason: str,
                 subscription: dict[str, Any] | None = None, lines: list[dict[str, Any]] | None = None,
                 include_pending: bool = True, period: tuple[int, int] | None = None,
                 discounts: list[str] | None = None, collection_method: str = "charge_automatically",
                 days_until_due: int | None = None, default_payment_method: str | None = None,
                 description: str | None = None, metadata: dict[str, str] | None = None,
                 auto_advance: bool = True, emit: bool = True, persist: bool = True,
                 auto_finalize: bool = False, invoice_id: str | None = None) -> dict[str, Any]:
    """A draft invoice for the customer (and subscription): its lines, then pending invoice items, which
    are claimed by this invoice (`invoiceitem.invoice` set). With persist=False nothing is written: the
    invoice is only built (previews such as invoice.upcoming). With auto_finalize it is created with its
    `automatically_finalizes_at` (an hour later; schedule_auto_finalize plans it), as invoice.created shows.
    `invoice_id`: an id given out beforehand (a subscription names its new `latest_invoice` in the event of the
    change that bills it)."""
    invoice_id = invoice_id or ids.new_id("in")
    now = ctx.now()
    subscription_id = subscription["id"] if subscription else None
    claimed = pending_items(ctx, customer["id"], subscription_id) if include_pending else []
    all_lines = [invoice_item_line(invoice_id, item) for item in claimed]
    for line in lines or []:
        line["invoice"] = invoice_id
        all_lines.append(line)
    invoice: dict[str, Any] = {
        "id": invoice_id,
        "object": OBJECT,
        "account_country": "US",
        "account_name": public_details.business_name(ctx),
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                          "status": None},
        "automatically_finalizes_at": now + FINALIZE_DELAY if auto_finalize else None,
        "billing_reason": billing_reason,
        "collection_method": collection_method,
        "created": now,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer.get("address"),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": customer.get("shipping"),
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
        "customer_tax_ids": [],
        "default_payment_method": default_payment_method,
        "default_source": None,
        # A subscription's invoices carry its default tax rates (Stripe copies them).
        "default_tax_rates": list((subscription or {}).get("default_tax_rates") or []),
        "description": description,
        "discounts": list(discounts or []),
        "due_date": now + days_until_due * 86400 if collection_method == "send_invoice" and days_until_due else None,
        "effective_at": None,
        "ending_balance": None,
        "footer": (customer.get("invoice_settings") or {}).get("footer"),
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {"object": "list", "data": all_lines, "has_more": False,
                  "url": f"/v1/invoices/{invoice_id}/lines"},
        "livemode": False,
        "metadata": dict(metadata or {}),
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {"quote_details": None, "subscription_details": {
            "metadata": dict(subscription.get("metadata") or {}), "subscription": subscription_id},
            "type": "subscription_details"} if subscription else None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "period_end": period[1] if period else now,
        "period_start": period[0] if period else now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": {"amount_tax_display": None, "pdf": {"page_size": "auto"}, "template": None,
                      "template_version": None},
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": customer.get("test_clock"),
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }
    compute_totals(ctx, invoice)
    if not persist:
        return invoice
    common.create(ctx, invoice, customer=customer["id"], owner=subscription_id, event="" if not emit else None,
                  created=now)
    for item in claimed:
        ctx.store.update(ctx.account_id, {**item, "invoice": invoice_id})
    return invoice


def schedule_auto_finalize(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    """Renewal drafts are finalized about an hour after creation (`automatically_finalizes_at`, set here
    unless the draft was created with it)."""
    at = invoice["automatically_finalizes_at"]
    if at is None:
        at = invoice["created"] + FINALIZE_DELAY
        invoice = {**invoice, "automatically_finalizes_at": at}
        ctx.store.update(ctx.account_id, invoice)
    timers.schedule(ctx, "invoice.finalize", invoice["id"], at, test_clock=invoice.get("test_clock"))
    return invoice


# -- transitions ------------------------------------------------------------------------------------------
def finalize(ctx: Ctx, invoice_id: str, *, auto_advance: bool | None = None) -> dict[str, Any]:
    """draft -> open: number assigned, customer balance applied, invoice.finalized, and the PaymentIntent that
    collects it created (its client secret is the invoice's `confirmation_secret`). A zero (or below the
    currency minimum) amount due is paid at once."""
    ctx = ctx.on_clock(require(ctx, invoice_id).get("test_clock"))
    before = require(ctx, invoice_id)
    if before["status"] != "draft":
        raise InvalidRequestError("This invoice is already finalized, you can't re-finalize a non-draft invoice.", code="invoice_not_editable")
    timers.cancel(ctx, "invoice.finalize", invoice_id)
    customer = common.require(ctx, "customer", before["customer"], allow_deleted=True)
    invoice = dict(before)
    now = ctx.now()
    sequence = customer.get("next_invoice_sequence", 1)
    invoice["number"] = f"{customer.get('invoice_prefix') or 'INV'}-{sequence:04d}"
    invoice["starting_balance"] = usable_balance(customer, invoice["currency"])
    if not customer.get("deleted"):
        # The first finalized invoice sets the currency of a customer that had none.
        ctx.store.update(ctx.account_id, {**customer, "next_invoice_sequence": sequence + 1,
                                          "currency": customer.get("currency") or invoice["currency"]})
    invoice["status"] = "open"
    invoice["status_transitions"] = {**invoice["status_transitions"], "finalized_at": now}
    invoice["effective_at"] = now
    invoice["automatically_finalizes_at"] = None
    invoice["hosted_invoice_url"] = f"{ctx.base_url}/invoice/{invoice_id}"
    invoice["invoice_pdf"] = f"{ctx.base_url}/invoice/{invoice_id}/pdf"
    if auto_advance is not None:
        invoice["auto_advance"] = auto_advance
    _amounts(invoice)
    _apply_balance(ctx, customer, invoice)
    common.save(ctx, before, invoice, event="")
    events.emit(ctx, "invoice.finalized", invoice)
    if invoice["collection_method"] == "send_invoice" and invoice["due_date"] and invoice["amount_due"] > 0:
        timers.schedule(ctx, "invoice.overdue", invoice_id, max(invoice["due_date"], now),
                        test_clock=invoice.get("test_clock"))
    if invoice["amount_due"] == 0:
        return _mark_paid(ctx, invoice, None)
    if invoice["collection_method"] == "charge_automatically" and invoice["amount_due"] < minimum_charge(
            invoice["currency"]):
        # Below the minimum charge: nothing is charged; the amount is carried to the customer's balance.
        _adjust_balance(ctx, invoice["customer"], invoice["amount_due"], invoice, "invoice_too_small")
        invoice["ending_balance"] = (invoice["ending_balance"] or 0) + invoice["amount_due"]
        return _mark_paid(ctx, invoice, None, paid_amount=0)
    _open_payment(ctx, invoice)
    return invoice


def _open_payment(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    """The PaymentIntent Stripe creates when it finalizes an invoice (requires_payment_method), with the
    invoice's default invoice payment (`open`); payment attempts confirm it."""
    from emulator.resources import payment_intents

    intent = payment_intents.create(ctx, {"amount": invoice["amount_due"], "currency": invoice["currency"],
                                          "customer": invoice["customer"],
                                          "description": _payment_description(invoice)}, invoice=invoice["id"])
    _record_payment(ctx, invoice, intent, "open")
    return intent


def finalize_now(ctx: Ctx, invoice_id: str, *, auto_advance: bool | None = None) -> dict[str, Any]:
    """`POST /v1/invoices/{id}/finalize`. An automatically collected invoice that keeps `auto_advance` is then
    charged about an hour later (the emulator's choice of delay; `next_payment_attempt` shows it)."""
    invoice = finalize(ctx, invoice_id, auto_advance=auto_advance)
    if invoice["status"] == "open" and invoice["auto_advance"] and \
            invoice["collection_method"] == "charge_automatically":
        at = ctx.on_clock(invoice.get("test_clock")).now() + FINALIZE_DELAY
        invoice = {**invoice, "next_payment_attempt": at}
        ctx.store.update(ctx.account_id, invoice)
        timers.schedule(ctx, "invoice.retry", invoice_id, at, test_clock=invoice.get("test_clock"))
    return invoice


def _apply_balance(ctx: Ctx, customer: dict[str, Any], invoice: dict[str, Any]) -> None:
    """The balance consumed by (or created by) this invoice moves to/from the customer."""
    if customer.get("deleted"):
        return
    new_balance = invoice["ending_balance"] if invoice["ending_balance"] is not None else 0
    change = new_balance - invoice["starting_balance"]
    if change:
        _adjust_balance(ctx, customer["id"], change, invoice, "applied_to_invoice")


def _adjust_balance(ctx: Ctx, customer_id: str, change: int, invoice: dict[str, Any], kind: str) -> None:
    """Move `change` to/from the customer's balance, which is kept in one currency: an invoice in another
    currency neither uses nor adds to it (the emulator keeps no balance per currency)."""
    from emulator.resources import customer_balance

    customer = ctx.store.get(ctx.account_id, customer_id, "customer") or {}
    if customer.get("currency") not in (None, invoice["currency"]):
        return
    customer_balance.record(ctx, customer_id, change, invoice=invoice["id"], kind=kind, currency=invoice["currency"])


def _mark_paid(ctx: Ctx, invoice: dict[str, Any], payment_intent: dict[str, Any] | None,
               paid_amount: int | None = None) -> dict[str, Any]:
    before = require(ctx, invoice["id"])
    now = ctx.now()
    amount = invoice["amount_due"] if paid_amount is None else paid_amount
    invoice = {**invoice, "status": "paid", "amount_paid": amount, "amount_remaining": 0,
               "attempted": invoice["attempted"] or payment_intent is not None, "next_payment_attempt": None,
               "auto_advance": False,
               "status_transitions": {**invoice["status_transitions"], "paid_at": now}}
    invoice.pop("status_details", None)  # only uncollectible invoices carry it
    common.save(ctx, before, invoice, event="")
    timers.cancel(ctx, "invoice.retry", invoice["id"])
    if payment_intent is not None:
        _record_payment(ctx, invoice, payment_intent, "paid")
    events.emit(ctx, "invoice.paid", invoice)
    events.emit(ctx, "invoice.payment_succeeded", invoice)
    for hook in PAID_HOOKS:
        hook(ctx, invoice)
    return invoice


def _record_payment(ctx: Ctx, invoice: dict[str, Any], intent: dict[str, Any], status: str) -> dict[str, Any]:
    existing = ctx.store.select_owned(ctx.account_id, "invoice_payment", invoice["id"])
    for payment in existing:
        if payment["payment"]["payment_intent"] == intent["id"]:
            if payment["status"] != status:
                transitions = {**payment["status_transitions"], "paid_at": ctx.now() if status == "paid" else None}
                if status == "canceled":
                    transitions["canceled_at"] = ctx.now()
                updated = {**payment, "status": status, "amount_paid": intent["amount_received"] or None,
                           "status_transitions": transitions}
                ctx.store.update(ctx.account_id, updated)
                if status == "paid":
                    events.emit(ctx, "invoice_payment.paid", updated)
                return updated
            return payment
    payment = {
        "id": ids.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": intent["amount_received"] if status == "paid" else None,
        "amount_requested": intent["amount"],
        "created": ctx.now(),
        "currency": intent["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": status,
        "status_transitions": {"canceled_at": None, "paid_at": ctx.now() if status == "paid" else None},
    }
    for other in existing:
        if other["is_default"]:
            ctx.store.update(ctx.account_id, {**other, "is_default": False})
    common.create(ctx, payment, customer=invoice["customer"], owner=invoice["id"], event="")
    if status == "paid":
        events.emit(ctx, "invoice_payment.paid", payment)
    return payment


def overdue(ctx: Ctx, invoice_id: str) -> None:
    """A send_invoice invoice still open at its due date: invoice.overdue (its subscription becomes past_due
    through the failed-payment hooks)."""
    invoice = ctx.store.get(ctx.account_id, invoice_id, OBJECT)
    if invoice is None or invoice["status"] != "open":
        return
    events.emit(ctx, "invoice.overdue", invoice)
    for hook in OVERDUE_HOOKS:
        hook(ctx, invoice)


# Subscriptions react to invoice outcomes (active / past_due / incomplete); they register here.
PAID_HOOKS: list[Any] = []
OVERDUE_HOOKS: list[Any] = []
FAILED_HOOKS: list[Any] = []
# (ctx, failed invoice) -> when the next automatic attempt will be, or None; set before invoice.payment_failed
# is recorded so the event shows it.
RETRY_PLANNERS: list[Any] = []
ACTION_REQUIRED_HOOKS: list[Any] = []
VOIDED_HOOKS: list[Any] = []
# Statuses in which an invoice can still be paid.
PAYABLE_STATUSES = ("open", "uncollectible")


def payment_method_for(ctx: Ctx, invoice: dict[str, Any]) -> str | None:
    """Stripe's order: the invoice's default, the subscription's default, the customer's default
    PaymentMethod, then the customer's default source."""
    if invoice.get("default_payment_method"):
        return invoice["default_payment_method"]
    subscription_id = subscription_of(invoice)
    if subscription_id:
        subscription = ctx.store.get(ctx.account_id, subscription_id, "subscription")
        if subscription and subscription.get("default_payment_method"):
            return subscription["default_payment_method"]
        if subscription and subscription.get("default_source"):
            return subscription["default_source"]
    customer = ctx.store.get(ctx.account_id, invoice["customer"], "customer")
    if customer and not customer.get("deleted"):
        if customer["invoice_settings"].get("default_payment_method"):
            return customer["invoice_settings"]["default_payment_method"]
        if customer.get("default_source"):
            return customer["default_source"]
    return None


def _next_attempt(ctx: Ctx, invoice: dict[str, Any]) -> int | None:
    for planner in RETRY_PLANNERS:
        moment = planner(ctx, invoice)
        if moment is not None:
            return moment
    return None


def _payment_failed(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    """invoice.payment_failed (showing `next_payment_attempt`), then the subscription's reaction."""
    events.emit(ctx, "invoice.payment_failed", invoice)
    for hook in FAILED_HOOKS:
        hook(ctx, invoice)
    return require(ctx, invoice["id"])


def attempt_payment(ctx: Ctx, invoice_id: str, *, payment_method: str | None = None, off_session: bool = True
                    ) -> dict[str, Any]:
    """Charge an open invoice: a PaymentIntent confirmed with the payment method Stripe would pick.
    Success -> paid; a decline -> stays open, invoice.payment_failed (and a retry is planned by the caller's
    hook); authentication needed -> invoice.payment_action_required."""
    from emulator.resources import payment_intents

    invoice = require(ctx, invoice_id)
    if invoice["status"] not in PAYABLE_STATUSES:
        raise InvalidRequestError(f"Invoice is already {invoice['status']}.", code="invoice_not_editable")
    pm_id = payment_method or payment_method_for(ctx, invoice)
    before = invoice
    invoice = {**invoice, "attempt_count": invoice["attempt_count"] + 1, "attempted": True}
    if pm_id is None:
        invoice["next_payment_attempt"] = _next_attempt(ctx, invoice)
        common.save(ctx, before, invoice, event="")
        return _payment_failed(ctx, invoice)
    if pm_id.startswith("card_"):
        pm_id = _payment_method_for_source(ctx, pm_id)
    ctx.memo["paying_invoice"] = invoice_id
    # An invoice has one PaymentIntent: a retry confirms it again (with the payment method picked now), so an
    # abandoned attempt can never be confirmed later as a second payment.
    existing = latest_intent_id(ctx, invoice_id)
    reusable = ctx.store.get(ctx.account_id, existing, "payment_intent") if existing else None
    try:
        if reusable is not None and reusable["status"] in ("requires_payment_method", "requires_confirmation"):
            intent = payment_intents.confirm(ctx, reusable["id"], {"payment_method": pm_id,
                                                                   "off_session": off_session})
        else:
            intent = payment_intents.create(ctx, {
                "amount": invoice["amount_due"] - invoice["amount_paid"], "currency": invoice["currency"],
                "customer": invoice["customer"], "payment_method": pm_id, "confirm": True,
                "off_session": off_session, "description": _payment_description(invoice)}, invoice=invoice_id)
    except payment_intents.PaymentFailed as failure:
        intent = payment_intents.require(ctx, failure.extra["payment_intent"]["id"])
        invoice["next_payment_attempt"] = _next_attempt(ctx, invoice)
        common.save(ctx, before, invoice, event="")
        _record_payment(ctx, invoice, intent, "open")
        return _payment_failed(ctx, require(ctx, invoice_id))
    finally:
        ctx.memo.pop("paying_invoice", None)
    common.save(ctx, before, invoice, event="")
    if intent["status"] == "succeeded":
        return _mark_paid(ctx, invoice, intent)
    _record_payment(ctx, invoice, intent, "open")
    events.emit(ctx, "invoice.payment_action_required", invoice)
    for hook in ACTION_REQUIRED_HOOKS:
        hook(ctx, invoice)
    return require(ctx, invoice_id)


def _payment_method_for_source(ctx: Ctx, source_id: str) -> str:
    # Legacy card sources charge like the PaymentMethod of the same test card.
    from emulator.resources import payment_methods, test_cards

    source = ctx.store.get(ctx.account_id, source_id)
    card = test_cards.BY_FINGERPRINT.get((source or {}).get("fingerprint", ""))
    token = card.tokens[0] if card else "pm_card_visa"
    return payment_methods.require(ctx, token if token.startswith("pm_") else "pm_card_visa")["id"]


def _payment_description(invoice: dict[str, Any]) -> str:
    return {"subscription_create": "Subscription creation", "subscription_cycle": "Subscription update",
            "subscription_update": "Subscription update"}.get(invoice["billing_reason"] or "", "Payment for Invoice")


def intent_settled(ctx: Ctx, intent: dict[str, Any]) -> None:
    """A PaymentIntent of an invoice succeeded later (after 3-D Secure): the invoice is paid."""
    if ctx.memo.get("paying_invoice"):
        return  # the payment attempt in progress handles its own outcome
    invoice_id = ctx.store.execute("SELECT owner FROM objects WHERE account = ? AND id = ?",
                                   (ctx.account_id, intent["id"])).fetchone()
    if not invoice_id or not invoice_id[0] or ctx.memo.get("paying_invoice") == invoice_id[0]:
        return
    invoice = ctx.store.get(ctx.account_id, invoice_id[0], OBJECT)
    if invoice and invoice["status"] in PAYABLE_STATUSES and intent["status"] == "succeeded":
        _mark_paid(ctx, invoice, intent)


def pay(ctx: Ctx, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoices/{id}/pay`: finalize a draft, then charge (or `paid_out_of_band`). An uncollectible
    invoice can still be paid, as in Stripe."""
    ctx = ctx.on_clock(require(ctx, invoice_id).get("test_clock"))
    invoice = require(ctx, invoice_id)
    if invoice["status"] == "draft":
        invoice = finalize(ctx, invoice_id)
    if invoice["status"] == "paid":
        raise InvalidRequestError("Invoice is already paid", code=None)
    if invoice["status"] not in PAYABLE_STATUSES:
        raise InvalidRequestError(f"You can only pay an open or uncollectible invoice. This invoice is "
                                  f"{invoice['status']}.")
    if params.get("paid_out_of_band"):
        _cancel_open_intent(ctx, invoice_id, "automatic")
        return _mark_paid(ctx, invoice, None, paid_amount=0)
    pm = params.get("payment_method")
    if pm:
        from emulator.resources import payment_methods

        pm = payment_methods.resolve_for_payment(ctx, pm, invoice["customer"], param="payment_method")["id"]
    if pm is None and payment_method_for(ctx, invoice) is None:
        raise InvalidRequestError("This customer has no attached payment source or default payment method. Please "
                                  "consider adding a default payment method.")
    # Off-session unless told otherwise (Stripe's default for this endpoint).
    result = attempt_payment(ctx, invoice_id, payment_method=pm, off_session=params.get("off_session", True))
    if result["status"] != "paid":
        from emulator.errors import CardError

        intent_id = latest_intent_id(ctx, invoice_id)
        intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
        if (intent or {}).get("status") == "requires_action":
            failure = CardError("This payment requires additional user action before it can be completed "
                                "successfully. Payment can be completed using the PaymentIntent associated with the "
                                "invoice.", code="invoice_payment_intent_requires_action", payment_intent=intent)
            failure.persist = True
            raise failure
        error = (intent or {}).get("last_payment_error") or {}
        failure = CardError(error.get("message", "Your card was declined."), code=error.get("code", "card_declined"),
                            decline_code=error.get("decline_code"), payment_intent=intent)
        failure.persist = True
        raise failure
    return result


INVOICE_PAYMENT_LIST_PARAMS = (*common.LIST_PARAMS, "invoice", "payment.payment_intent", "payment.type", "status")


def list_payments(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoice_payments`: the payments of invoices (one per PaymentIntent), filtered by `invoice`,
    `payment[payment_intent]` and `status`."""
    where, args = "", ()
    if params.get("invoice"):
        where, args = "owner = ?", (params["invoice"],)
    payment = params.get("payment") or {}
    if payment.get("type") not in (None, "payment_intent"):
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/invoice_payments"}
    intent, status = payment.get("payment_intent"), params.get("status")
    keep = (lambda row: (not intent or row["payment"].get("payment_intent") == intent)
            and (not status or row["status"] == status)) if intent or status else None
    return common.list_objects(ctx, "invoice_payment", params, "/v1/invoice_payments", where=where, args=args,
                               post_filter=keep)


def retrieve_payment(ctx: Ctx, payment_id: str) -> dict[str, Any]:
    """`GET /v1/invoice_payments/{id}`."""
    return common.require(ctx, "invoice_payment", payment_id, kind="invoice payment")


def latest_intent_id(ctx: Ctx, invoice_id: str) -> str | None:
    """The PaymentIntent of the invoice's latest payment attempt."""
    rows = ctx.store.select_owned(ctx.account_id, "invoice_payment", invoice_id, limit=1)
    return rows[0]["payment"]["payment_intent"] if rows else None


def void(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    """`POST .../void`: open or uncollectible invoices (drafts are deleted instead)."""
    ctx = ctx.on_clock(require(ctx, invoice_id).get("test_clock"))
    before = require(ctx, invoice_id)
    if before["status"] not in PAYABLE_STATUSES:
        raise InvalidRequestError(f"You can only void an open or uncollectible invoice. This invoice is "
                                  f"{before['status']}.")
    invoice = {**before, "status": "void", "amount_remaining": 0, "next_payment_attempt": None,
               "auto_advance": False, "status_transitions": {**before["status_transitions"], "voided_at": ctx.now()}}
    invoice.pop("status_details", None)
    timers.cancel(ctx, None, invoice_id)
    common.save(ctx, before, invoice, event="")
    events.emit(ctx, "invoice.voided", invoice)
    _cancel_open_intent(ctx, invoice_id, "void_invoice")
    for hook in VOIDED_HOOKS:
        hook(ctx, invoice)
    return invoice


def _cancel_open_intent(ctx: Ctx, invoice_id: str, reason: str) -> None:
    """An invoice that will not be paid through its PaymentIntent (voided, paid out of band) cancels it, so a
    client secret handed out earlier can no longer charge the customer."""
    from emulator.resources import payment_intents

    intent_id = latest_intent_id(ctx, invoice_id)
    intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
    if intent is not None and intent["status"] in ("requires_payment_method", "requires_confirmation",
                                                   "requires_action"):
        canceled = payment_intents.cancel(ctx, intent["id"], {"cancellation_reason": reason})
        _record_payment(ctx, require(ctx, invoice_id), canceled, "canceled")


def mark_uncollectible(ctx: Ctx, invoice_id: str, reason: str = "user_forgiven") -> dict[str, Any]:
    """`POST .../mark_uncollectible`: open -> uncollectible (it can still be paid later), with endive's
    `status_details.uncollectible.reason` (`user_forgiven` when asked through the API)."""
    ctx = ctx.on_clock(require(ctx, invoice_id).get("test_clock"))
    before = require(ctx, invoice_id)
    if before["status"] != "open":
        raise InvalidRequestError(f"You can only mark an open invoice as uncollectible. This invoice is "
                                  f"{before['status']}.")
    invoice = {**before, "status": "uncollectible", "next_payment_attempt": None, "auto_advance": False,
               "status_details": {"uncollectible": {"reason": reason}},
               "status_transitions": {**before["status_transitions"], "marked_uncollectible_at": ctx.now()}}
    timers.cancel(ctx, None, invoice_id)
    common.save(ctx, before, invoice, event="")
    events.emit(ctx, "invoice.marked_uncollectible", invoice)
    for hook in PAID_HOOKS:
        hook(ctx, invoice)
    return invoice


def update(ctx: Ctx, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoices/{id}`: drafts accept most fields; finalized invoices only metadata-like ones."""
    before = require(ctx, invoice_id)
    ctx = ctx.on_clock(before.get("test_clock"))
    invoice = dict(before)
    if before["status"] != "draft" and set(params) - {"metadata", "description", "footer", "auto_advance"}:
        raise InvalidRequestError("Finalized invoices can't be updated in this way", code="invoice_not_editable")
    for key in ("description", "footer"):
        if key in params:
            invoice[key] = common.or_none(params[key])
    if "auto_advance" in params:
        invoice["auto_advance"] = params["auto_advance"]
    if "collection_method" in params:
        invoice["collection_method"] = params["collection_method"]
    if "days_until_due" in params:
        invoice["due_date"] = invoice["created"] + params["days_until_due"] * 86400
    if "due_date" in params:
        invoice["due_date"] = params["due_date"]
    if "default_payment_method" in params:
        invoice["default_payment_method"] = common.or_none(params["default_payment_method"])
    if "metadata" in params:
        invoice["metadata"] = common.apply_metadata(invoice["metadata"], params["metadata"])
    if "discounts" in params:
        # A draft's discounts are replaced (an empty string removes them): new coupons and codes apply to this
        # invoice alone; the subscription's discounts may be reused by id.
        from emulator.resources import discounts

        invoice["discounts"] = discounts.resolve_list(
            ctx, params["discounts"] or None, customer=invoice["customer"], subscription=None,
            amount=invoice["subtotal"], currency=invoice["currency"], reusable_from=subscription_of(invoice))
        discounts.attach_to_invoice(ctx, invoice["discounts"], invoice_id)
        invoice["lines"] = {**invoice["lines"], "data": [dict(line) for line in invoice["lines"]["data"]]}
        compute_totals(ctx, invoice)
    return common.save(ctx, before, invoice)


def delete_draft(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    """`DELETE /v1/invoices/{id}`: drafts only; their invoice items become pending again."""
    invoice = require(ctx, invoice_id)
    ctx = ctx.on_clock(invoice.get("test_clock"))
    if invoice["status"] != "draft":
        raise InvalidRequestError("You can only delete draft invoices.")
    for item in ctx.store.select(ctx.account_id, "invoiceitem", where="json_extract(data, '$.invoice') = ?",
                                 args=(invoice_id,)):
        ctx.store.update(ctx.account_id, {**item, "invoice": None})
    timers.cancel(ctx, None, invoice_id)
    return common.delete(ctx, invoice, keep=False)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoices` with customer, status, subscription and collection_method filters."""
    return common.list_objects(ctx, OBJECT, params, "/v1/invoices",
                               columns={"customer": "customer", "subscription": "owner"},
                               post_filter=common.fields_equal(params, ("status", "collection_method")))


def lines(ctx: Ctx, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoices/{id}/lines` paginated over the invoice's lines."""
    invoice = require(ctx, invoice_id)
    data = invoice["lines"]["data"]
    limit = params.get("limit", 10)
    line_ids = [line["id"] for line in data]
    for cursor in ("starting_after", "ending_before"):
        if params.get(cursor) and params[cursor] not in line_ids:
            raise InvalidRequestError(f"No such line item: '{params[cursor]}'", param=cursor,
                                      code="resource_missing", http_status=404)
    if params.get("ending_before"):
        end = line_ids.index(params["ending_before"])
        start = max(end - limit, 0)
        return {"object": "list", "data": data[start:end], "has_more": start > 0,
                "url": f"/v1/invoices/{invoice_id}/lines"}
    start = line_ids.index(params["starting_after"]) + 1 if params.get("starting_after") else 0
    page = data[start:start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(data),
            "url": f"/v1/invoices/{invoice_id}/lines"}
