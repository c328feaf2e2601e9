"""The hosted invoice page (`invoice.hosted_invoice_url`) and its printable version (`invoice.invoice_pdf`).
Open invoices can be paid here with the customer's default payment method or a test card, as Stripe's
hosted page allows. The page speaks the customer's language: `preferred_locales[0]`, else the browser's
(Accept-Language), else English, with the portal's catalogues and CLDR formats for money and dates."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from emulator import store as store_module
from emulator.context import Ctx
from emulator.errors import StripeError
from emulator.portal import i18n
from emulator.resources import accounts, branding, common, invoices
from emulator.store import Store

bp = Blueprint("invoice_page", __name__, url_prefix="/invoice")


def _context(invoice_id: str) -> tuple[Ctx, dict[str, Any]]:
    store = Store(store_module.connection_for(current_app.config["DATABASE"]))
    row = store.execute("SELECT account FROM objects WHERE id = ? AND object = 'invoice'", (invoice_id,)).fetchone()
    if row is None:
        abort(404)
    account = accounts.load(store, row[0])
    ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=current_app.config,
              base_url=current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}")
    invoice = store.get(account.id, invoice_id, "invoice")
    if invoice is None or invoice["status"] == "draft":
        abort(404)
    return ctx, invoice


def _translator(ctx: Ctx, invoice: dict[str, Any]) -> i18n.Translator:
    customer = ctx.store.get(ctx.account_id, invoice["customer"], "customer") or {}
    preferred = customer.get("preferred_locales") or []
    return i18n.Translator(preferred[0] if preferred else i18n.from_accept_language(list(request.accept_languages)))


def _view(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    translator = _translator(ctx, invoice)
    # The account's icon, brand colour (buttons, links) and accent colour (the page background).
    theme = branding.invoice_theme(ctx)
    return {"t": translator.t, "money": lambda amount: translator.money(amount, invoice["currency"]),
            "date": translator.date, "hook": i18n.hook, "html_lang": translator.html_lang, "theme": theme,
            "accent": theme["brand"], "account_id": ctx.account_id,
            "taxes": [(translator.tax_label(row), row["amount"]) for row in invoices.tax_rows(ctx, invoice)],
            "saved_method": invoices.payment_method_for(ctx, invoice) is not None}


@bp.get("/<invoice_id>")
def page(invoice_id: str) -> str:
    ctx, invoice = _context(invoice_id)
    # The outcome of a payment made here is shown once (kept server-side, never taken from the URL).
    with ctx.store.transaction():
        raw = common.mark_of(ctx, invoice_id, "notice")
        if raw is not None:
            common.clear_mark(ctx, invoice_id, "notice")
    notice = json.loads(raw) if raw is not None else {}
    return render_template("hosted/invoice.html", invoice=invoice, printable=False, message=notice.get("text"),
                           message_is_error=bool(notice.get("error")), **_view(ctx, invoice))


def _back_with(ctx: Ctx, invoice_id: str, text: str, *, error: bool = False) -> Response:
    with ctx.store.transaction():
        common.set_mark(ctx, invoice_id, "notice", json.dumps({"text": text, "error": error}))
    return redirect(url_for("invoice_page.page", invoice_id=invoice_id))  # type: ignore[return-value]


@bp.get("/<invoice_id>/pdf")
def printable(invoice_id: str) -> str:
    ctx, invoice = _context(invoice_id)
    return render_template("hosted/invoice.html", invoice=invoice, printable=True, message=None, **_view(ctx, invoice))


@bp.post("/<invoice_id>/pay")
def pay(invoice_id: str) -> Response:
    ctx, invoice = _context(invoice_id)
    translator = _translator(ctx, invoice)
    card = request.form.get("payment_method") or None
    try:
        with ctx.store.transaction():
            result = invoices.pay(ctx, invoice_id, {"payment_method": card} if card else {})
    except StripeError as error:
        return _back_with(ctx, invoice_id, translator.refusal(error), error=True)
    return _back_with(ctx, invoice_id,
                      translator.text("invoice_page.paid" if result["status"] == "paid" else "invoice_page.pending"))
