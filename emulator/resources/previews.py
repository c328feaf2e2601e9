"""Invoice previews (`/v1/invoices/create_preview`) and manual invoices (`POST /v1/invoices`).

A preview runs the real code inside a savepoint and rolls it back: the subscription update it describes is
applied (so prorations come from the same functions as a real update), the next invoice is built (the
immediate one when the change invoices at once, else the upcoming renewal with the pending prorations), and
nothing is kept. Preview lines carry `il_tmp_` ids and the invoice `billing_reason: upcoming`.
"""

from __future__ import annotations

from typing import Any

import orjson

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, invoices, subscriptions
from emulator.versions import request_change

PREVIEW_PARAMS = ("customer", "subscription", "subscription_details.items", "subscription_details.proration_date",
                  "subscription_details.proration_behavior", "subscription_details.cancel_at_period_end",
                  "subscription_details.cancel_at", "subscription_details.billing_cycle_anchor",
                  "subscription_details.trial_end", "subscription_details.cancel_now", "discounts")


@request_change("2026-09-30.endive", "POST /v1/invoices/create_preview")
def preview_anchor_to_object(params: dict[str, Any]) -> dict[str, Any]:
    """Before endive, `subscription_details[billing_cycle_anchor]` was `now`, `unchanged` or a timestamp."""
    details = params.get("subscription_details")
    anchor = details.get("billing_cycle_anchor") if isinstance(details, dict) else None
    if anchor is None or isinstance(anchor, dict):
        return params
    value = {"type": anchor} if anchor in ("now", "unchanged") else {"type": "timestamp", "timestamp": anchor}
    return {**params, "subscription_details": {**details, "billing_cycle_anchor": value}}


def create_preview(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """The invoice a subscription (change) would produce next, computed by the real update and renewal."""
    details = params.get("subscription_details") or {}
    subscription_id = params.get("subscription")
    if not subscription_id and not params.get("customer"):
        raise InvalidRequestError("Missing required param: customer or subscription.", param="customer",
                                  code="parameter_missing")
    if not subscription_id and not details.get("items"):
        subscription_id = _next_renewing_subscription(ctx, params["customer"])
    with ctx.store.discarded():
        if subscription_id:
            invoice = _preview_subscription(ctx, subscription_id, details, params.get("discounts"))
        else:
            invoice = _preview_new(ctx, params, details)
        preview = orjson.loads(orjson.dumps(invoice))  # outlives the rolled-back savepoint
    return _as_preview(preview, details.get("proration_date"))


def _next_renewing_subscription(ctx: Ctx, customer_id: str) -> str | None:
    """With only `customer`, Stripe previews the next upcoming invoice among the customer's subscriptions: the
    one renewing first (None when none will)."""
    common.require(ctx, "customer", customer_id, param="customer")
    renewing = [subscription for subscription in ctx.store.select(ctx.account_id, subscriptions.OBJECT,
                                                                 where="customer = ?", args=(customer_id,))
                if subscription["status"] in ("active", "trialing", "past_due", "unpaid")
                and subscription.get("cancel_at") is None]
    if not renewing:
        return None
    return min(renewing, key=lambda subscription: subscriptions.current_period(subscription)[1])["id"]


def _preview_subscription(ctx: Ctx, subscription_id: str, details: dict[str, Any],
                          discounts: Any = None) -> dict[str, Any]:
    subscription = subscriptions.require(ctx, subscription_id, param="subscription")
    update = {key: details[key] for key in ("items", "proration_date", "proration_behavior", "cancel_at_period_end",
                                            "cancel_at", "billing_cycle_anchor", "trial_end") if key in details}
    if discounts is not None:
        update["discounts"] = discounts  # the preview's discounts replace the subscription's
    latest_before = subscription["latest_invoice"]
    if details.get("cancel_now"):
        subscriptions.cancel(ctx, subscription_id, {"prorate": True, "invoice_now": True})
    elif update:
        subscriptions.update(ctx, subscription_id, update)
    current = subscriptions.require(ctx, subscription_id)
    if current["latest_invoice"] != latest_before and current["latest_invoice"]:
        return invoices.require(ctx, current["latest_invoice"])
    if current["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequestError("No upcoming invoices for canceled subscriptions.", code="invoice_upcoming_none")
    _, period_end = subscriptions.current_period(current)
    if current.get("cancel_at") is not None and current["cancel_at"] <= period_end:
        # The next invoice, if any, is the final one at cancel_at (pending prorations, metered usage).
        subscriptions.cancel_at_due(ctx.at(current["cancel_at"]), subscription_id)
        final = subscriptions.require(ctx, subscription_id)["latest_invoice"]
        if final and final != current["latest_invoice"]:
            return invoices.require(ctx, final)
        raise InvalidRequestError("No upcoming invoices: the subscription ends at the end of its period.",
                                  code="invoice_upcoming_none")
    renewed = subscriptions.renew(ctx.at(period_end), subscription_id)
    if renewed is None:
        # A schedule phase starting at the period end may itself invoice (a new interval restarts the
        # period), which leaves nothing for the renewal: that invoice is the next one.
        after = subscriptions.require(ctx, subscription_id)
        if after["latest_invoice"] and after["latest_invoice"] != current["latest_invoice"]:
            return invoices.require(ctx, after["latest_invoice"])
        raise InvalidRequestError("No upcoming invoices for this subscription.", code="invoice_upcoming_none")
    return invoices.require(ctx, renewed["latest_invoice"])


def _preview_new(ctx: Ctx, params: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    if not details.get("items"):
        customer = common.require(ctx, "customer", params["customer"], param="customer")
        pending = invoices.pending_items(ctx, customer["id"], None)
        if not pending:
            raise InvalidRequestError("No upcoming invoices for customer: " + customer["id"],
                                      code="invoice_upcoming_none")
        return invoices.create_draft(ctx, customer=customer, currency=pending[0]["currency"],
                                     billing_reason="upcoming")
    created = subscriptions.create(ctx, {
        "customer": params["customer"], "items": details["items"], "payment_behavior": "default_incomplete",
        **{key: details[key] for key in ("trial_end", "cancel_at", "proration_behavior") if key in details},
        **_new_anchor(details.get("billing_cycle_anchor")),
        **({"discounts": params["discounts"]} if params.get("discounts") else {})})
    return invoices.require(ctx, created["latest_invoice"])


def _new_anchor(anchor: Any) -> dict[str, Any]:
    """A new subscription's anchor from the preview's `subscription_details[billing_cycle_anchor]` (endive's
    `{type: now|timestamp|unchanged, timestamp}`, or a plain timestamp from older clients)."""
    if isinstance(anchor, dict):
        if anchor.get("type") == "timestamp":
            if anchor.get("timestamp") is None:
                raise InvalidRequestError("Missing required param: subscription_details[billing_cycle_anchor]"
                                          "[timestamp].", param="subscription_details[billing_cycle_anchor][timestamp]",
                                          code="parameter_missing")
            return {"billing_cycle_anchor": anchor["timestamp"]}
        return {}
    return {"billing_cycle_anchor": anchor} if isinstance(anchor, int) else {}


def _as_preview(invoice: dict[str, Any], proration_date: int | None) -> dict[str, Any]:
    """The invoice as a preview shows it: not created, so a draft that nothing was attempted on (an immediate
    invoice computed in the rolled-back savepoint was finalized and charged there)."""
    invoice["id"] = "upcoming_" + invoice["id"]
    invoice.update(status="draft", amount_paid=0, amount_remaining=invoice["amount_due"], attempted=False,
                   attempt_count=0, next_payment_attempt=None, ending_balance=None, effective_at=None,
                   status_transitions={key: None for key in invoice["status_transitions"]})
    invoice["billing_reason"] = "upcoming" if invoice["billing_reason"] == "subscription_cycle" else \
        invoice["billing_reason"]
    for line in invoice["lines"]["data"]:
        line["id"] = ids.new_id("il_tmp")
        line["invoice"] = invoice["id"]
    invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
    if invoice.get("parent") and invoice["parent"].get("subscription_details") and proration_date:
        invoice["parent"]["subscription_details"]["subscription_proration_date"] = proration_date
    for key in ("hosted_invoice_url", "invoice_pdf", "number"):
        invoice[key] = None
    return invoice


def create_manual_invoice(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoices`: a draft for the customer; pending invoice items are excluded unless
    `pending_invoice_items_behavior=include` (the default since 2022)."""
    customer = common.require(ctx, "customer", params.get("customer") or "", param="customer")
    ctx = ctx.on_clock(customer.get("test_clock"))
    subscription = None
    if params.get("subscription"):
        subscription = subscriptions.require(ctx, params["subscription"], param="subscription")
    include = params.get("pending_invoice_items_behavior", "exclude") == "include"
    currency = common.currency(params["currency"]) if params.get("currency") else customer.get("currency") or "usd"
    from emulator.resources import discounts

    discount_ids = discounts.resolve_list(ctx, params.get("discounts"), customer=customer["id"],
                                          subscription=None)
    invoice = invoices.create_draft(
        ctx, customer=customer, currency=currency.lower(), billing_reason="manual", subscription=subscription,
        include_pending=include, discounts=discount_ids,
        collection_method=params.get("collection_method", "charge_automatically"),
        days_until_due=params.get("days_until_due"), default_payment_method=params.get("default_payment_method"),
        description=params.get("description"), metadata=common.metadata_for_create(params.get("metadata")),
        # Invoices made through the API wait as drafts unless auto_advance is asked for (Stripe's default false).
        auto_advance=params.get("auto_advance", False), auto_finalize=params.get("auto_advance", False))
    discounts.attach_to_invoice(ctx, discount_ids, invoice["id"])
    if invoice["auto_advance"]:
        invoice = invoices.schedule_auto_finalize(ctx, invoice)
    return invoice


UPCOMING_PARAMS = ("customer", "subscription", "subscription_items", "subscription_proration_date",
                   "subscription_proration_behavior", "subscription_cancel_at_period_end",
                   "subscription_cancel_now", "subscription_trial_end", "subscription_billing_cycle_anchor")


def upcoming(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/invoices/upcoming` for clients pinned before 2025-03-31.basil (which removed it): the same
    preview as `create_preview`, from the older flat `subscription_*` parameters."""
    from emulator.versions import is_before

    if not is_before(ctx.api_version, "2025-03-31.basil"):
        raise InvalidRequestError("GET /v1/invoices/upcoming was removed in API version 2025-03-31.basil; use "
                                  "POST /v1/invoices/create_preview.", http_status=404)
    details: dict[str, Any] = {}
    for old, new in (("subscription_items", "items"), ("subscription_proration_date", "proration_date"),
                     ("subscription_proration_behavior", "proration_behavior"),
                     ("subscription_cancel_at_period_end", "cancel_at_period_end"),
                     ("subscription_cancel_now", "cancel_now"), ("subscription_trial_end", "trial_end")):
        if old in params:
            details[new] = params[old]
    if params.get("subscription_billing_cycle_anchor"):
        details["billing_cycle_anchor"] = {"type": params["subscription_billing_cycle_anchor"]}
    preview = {key: params[key] for key in ("customer", "subscription") if params.get(key)}
    if details:
        preview["subscription_details"] = details
    return create_preview(ctx, preview)
