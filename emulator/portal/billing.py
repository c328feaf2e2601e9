"""The portal's payment-method and billing-information pages and actions (routes on the portal blueprint).
Views parse the forms and call `emulator.resources.portal_billing`; card and tax-ID errors are shown inline
on the form, other refusals on the portal's error page. Typed card numbers and CVCs are never echoed back,
stored or logged: only the PaymentMethod (last4, fingerprint) keeps a trace of the card."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, redirect, request, url_for

from emulator.context import Ctx
from emulator.errors import CardError, StripeError
from emulator.portal.pages import _finish, _render, _run, _show_message, _take_notice, bp, translator
from emulator.resources import portal_billing

# Which form field a Stripe error's `param` belongs to.
_CARD_FIELDS = {"card[number]": "number", "card[exp_month]": "expiry", "card[exp_year]": "expiry",
                "card[cvc]": "cvc"}


def _home(ctx: Ctx, session: dict[str, Any], token: str, message: str) -> Response:
    return _show_message(ctx, session, "portal.home", token, message)


def _paid_note(ctx: Ctx, session: dict[str, Any], result: dict[str, Any]) -> str:
    paid = [invoice for invoice in result.get("paid_invoices") or [] if invoice["status"] == "paid"]
    failed = [invoice for invoice in result.get("paid_invoices") or [] if invoice["status"] != "paid"]
    lang, note = translator(ctx, session), ""
    if paid:
        note += lang.text("msg.paid_one") if len(paid) == 1 else lang.text("msg.paid_many", count=len(paid))
    if failed:
        note += lang.text("msg.paid_failed")
    return note


class _FormError(Exception):
    def __init__(self, key: str, field: str) -> None:
        super().__init__(key)
        self.key, self.field = key, field


def _expiry(raw: str) -> tuple[int, int]:
    """"MM / YY" as Stripe's card form takes it, also typed as MMYY, MM-YY or MM/YYYY (Stripe's field inserts the
    slash itself)."""
    compact = re.sub(r"[\s/.-]+", "/", raw.strip())
    if "/" not in compact and compact.isdigit() and len(compact) in (4, 6):
        compact = f"{compact[:2]}/{compact[2:]}"
    parts = compact.split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts) or len(parts[0]) not in (1, 2) or \
            len(parts[1]) not in (2, 4):
        raise _FormError("card.incomplete_expiry", "expiry")
    return int(parts[0]), int(parts[1])


def _card_form() -> tuple[dict[str, Any], dict[str, Any]]:
    form = request.form
    number = "".join(form.get("number", "").split())
    if not number:
        raise _FormError("card.incomplete_number", "number")
    month, year = _expiry(form.get("expiry", ""))
    cvc = form.get("cvc", "").strip()
    if not cvc:
        raise _FormError("card.incomplete_cvc", "cvc")
    details: dict[str, Any] = {}
    if form.get("name", "").strip():
        details["name"] = form["name"].strip()
    if form.get("postal_code", "").strip():
        details["address"] = {"postal_code": form["postal_code"].strip()}
    return {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}, details


def _card_page(ctx: Ctx, session: dict[str, Any], token: str, *, error: str | None = None,
               field: str | None = None, status: int = 200) -> Response:
    # Only the non-secret fields are filled in again after an error.
    kept = {key: request.form.get(key, "") for key in ("expiry", "name", "postal_code")}
    return _render("portal/payment_method_new.html", ctx, session, token, status=status, error=error,
                   error_field=field, kept=kept)


@bp.get("/session/<token>/payment-methods/new")
def new_payment_method(token: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        portal_billing.require_feature(ctx, session, "payment_method_update")
        return _card_page(ctx, session, token)

    return _run(token, show, page="payment_method")


@bp.post("/session/<token>/payment-methods/new")
def add_payment_method(token: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        try:
            card, details = _card_form()
        except _FormError as error:
            return _card_page(ctx, session, token, error=translator(ctx, session).text(error.key), field=error.field,
                              status=400)
        return_url = ctx.base_url + url_for("portal.payment_method_return", token=token)
        try:
            result = portal_billing.add_card(ctx, session, card, details, return_url)
        except CardError as error:
            # A declined card keeps its failed SetupIntent (committed with this request), as in Stripe.
            return _card_page(ctx, session, token, error=translator(ctx, session).refusal(error),
                              field=_CARD_FIELDS.get(error.param or "", "number"), status=402)
        except StripeError as error:
            if error.param and error.param.startswith("card"):
                return _card_page(ctx, session, token, error=translator(ctx, session).refusal(error),
                                  field=_CARD_FIELDS.get(error.param, "number"), status=400)
            raise
        if result["outcome"] == "requires_action":
            return redirect(result["redirect"], code=303)  # type: ignore[return-value]
        return _finish(ctx, session, token, translator(ctx, session).text("msg.card_added", label=result["label"])
                       + _paid_note(ctx, session, result))

    return _run(token, act, form=True, page="payment_method")


@bp.get("/session/<token>/payment-methods/return")
def payment_method_return(token: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        try:
            result = portal_billing.finish_setup(ctx, session, request.args.get("setup_intent", ""))
        except CardError as error:
            return _card_page(ctx, session, token, error=translator(ctx, session).refusal(error), field="number",
                              status=402)
        return _finish(ctx, session, token, translator(ctx, session).text("msg.card_added", label=result["label"])
                       + _paid_note(ctx, session, result))

    return _run(token, act, page="payment_method")


@bp.post("/session/<token>/payment-methods/<pm_id>/default")
def make_default_payment_method(token: str, pm_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_billing.make_default(ctx, session, pm_id)
        return _home(ctx, session, token, translator(ctx, session).text("msg.card_default", label=result["label"])
                     + _paid_note(ctx, session, result))

    return _run(token, act, form=True, page="payment_methods")


@bp.post("/session/<token>/payment-methods/<pm_id>/remove")
def remove_payment_method(token: str, pm_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_billing.remove(ctx, session, pm_id)
        return _home(ctx, session, token, translator(ctx, session).text("msg.card_removed", label=result["label"]))

    return _run(token, act, form=True, page="payment_methods")


@bp.post("/session/<token>/subscriptions/<subscription_id>/payment-method/reset")
def reset_subscription_payment_method(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_billing.clear_override(ctx, session, subscription_id)
        return _home(ctx, session, token,
                     translator(ctx, session).text("msg.override_reset", plan=result["product_name"]))

    return _run(token, act, form=True, page="payment_methods")


# -- billing information ----------------------------------------------------------------------------------
def _billing_page(ctx: Ctx, session: dict[str, Any], token: str, *, error: str | None = None,
                  error_field: str | None = None, status: int = 200) -> Response:
    view = portal_billing.billing_view(ctx, session)
    if view is None:
        portal_billing.require_feature(ctx, session, "customer_update")
    return _render("portal/billing_edit.html", ctx, session, token, status=status, billing=view, error=error,
                   error_field=error_field, message=_take_notice(ctx, session))


def _address_form(prefix: str) -> dict[str, str]:
    return {key: request.form.get(f"{prefix}{key}", "") for key in portal_billing.ADDRESS_KEYS}


@bp.get("/session/<token>/billing")
def billing(token: str) -> Response:
    return _run(token, lambda ctx, session: _billing_page(ctx, session, token), page="billing")


@bp.post("/session/<token>/billing")
def save_billing(token: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        form: dict[str, Any] = {key: request.form[key] for key in ("name", "email", "phone") if key in request.form}
        if "address_line1" in request.form:
            form["address"] = _address_form("address_")
        if "shipping_name" in request.form:
            form["shipping"] = {"name": request.form.get("shipping_name", ""),
                                "address": _address_form("shipping_")}
        try:
            portal_billing.update_details(ctx, session, form)
        except StripeError as error:
            if error.http_status != 400:
                raise
            return _billing_page(ctx, session, token, error=translator(ctx, session).refusal(error),
                                 error_field=error.param, status=400)
        return _finish(ctx, session, token, translator(ctx, session).text("msg.billing_updated"))

    return _run(token, act, form=True, page="billing")


@bp.post("/session/<token>/tax-ids")
def add_tax_id(token: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        try:
            tax_id = portal_billing.add_tax_id(ctx, session, request.form.get("type", ""),
                                               request.form.get("value", ""))
        except StripeError as error:
            if error.http_status != 400:
                raise
            return _billing_page(ctx, session, token, error=translator(ctx, session).refusal(error),
                                 error_field="tax_id", status=400)
        message = translator(ctx, session).text("msg.tax_id_added", value=tax_id["value"])
        return _show_message(ctx, session, "portal.billing", token, message)

    return _run(token, act, form=True, page="billing")


@bp.post("/session/<token>/tax-ids/<tax_id>/delete")
def delete_tax_id(token: str, tax_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        removed = portal_billing.delete_tax_id(ctx, session, tax_id)
        message = translator(ctx, session).text("msg.tax_id_removed", value=removed["value"])
        return _show_message(ctx, session, "portal.billing", token, message)

    return _run(token, act, form=True, page="billing")
