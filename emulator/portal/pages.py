"""The customer portal's pages: a session's home page, the update-plan page, the confirm page and its
action, the cancellation flow (summary, retention offer, reason survey, confirmation), "Renew", and the
confirmation page that ends a deep link. Each request resolves the session from the URL's token, runs in
one transaction (a visit counts as activity for the session's expiry) and calls one portal resource
function; forms carry a CSRF token. A session opened with `flow_data` reaches only its task's pages until
the task is done. Failures render the portal's own error page, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from emulator import engine, store as store_module
from emulator.context import Ctx
from emulator.errors import StripeError
from emulator.portal import i18n
from emulator.resources import (accounts, billing_portal_sessions as sessions, branding, common, invoices,
                                portal_billing, portal_cancellations, portal_flows, portal_updates, public_details,
                                tax_ids)
from emulator.store import Store

bp = Blueprint("portal", __name__, url_prefix="/p")
T = TypeVar("T")


@bp.after_request
def no_framing(response: Response) -> Response:
    # Stripe does not allow the portal inside an iframe.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


def translator(ctx: Ctx, session: dict[str, Any]) -> i18n.Translator:
    """The session's language: its `locale`, else the customer's preferred_locales, else the browser's
    Accept-Language, else English (one per request)."""
    if "portal_translator" not in ctx.memo:
        tag = sessions.requested_locale(ctx, session) or \
            i18n.from_accept_language(list(request.accept_languages))
        ctx.memo["portal_translator"] = i18n.Translator(tag)
    return ctx.memo["portal_translator"]


def _context(token: str) -> tuple[Ctx, str, str]:
    parsed = sessions.parse_token(token)
    if parsed is None:
        abort(404)
    account_id, session_id, secret = parsed
    store = Store(store_module.connection_for(current_app.config["DATABASE"]))
    try:
        account = accounts.load(store, account_id)
    except LookupError:
        abort(404)
    ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=current_app.config,
              base_url=current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}")
    engine.catch_up(ctx)
    return ctx, session_id, secret


def _render(template: str, ctx: Ctx, session: dict[str, Any], token: str, status: int = 200,
            **values: Any) -> Response:
    from emulator.resources import billing_portal_configurations as configurations

    configuration = configurations.require(ctx, session["configuration"])
    details = public_details.settings(ctx)
    business = details["business_name"]
    # The configuration's links, else those of the account's public details (Stripe's fallback).
    profile = {**configuration["business_profile"],
               **{key: configuration["business_profile"].get(key) or details[key]
                  for key in ("terms_of_service_url", "privacy_policy_url")}}
    # In an open deep link the rest of the portal is hidden: "back" leaves for the return URL.
    flow_open = bool(session.get("flow")) and portal_flows.completion(ctx, session) is None
    home_url = session["return_url"] if flow_open else url_for("portal.home", token=token)
    lang = translator(ctx, session)
    body = render_template(template, session=session, token=token, configuration=configuration,
                           flow_open=flow_open, home_url=home_url,
                           business_name=business, profile=profile,
                           theme=branding.theme(ctx, business), session_account=ctx.account_id,
                           csrf_token=sessions.csrf_token(ctx, session["id"]),
                           money=lang.money, date=lang.date, interval=lang.interval, t=lang.t, hook=i18n.hook,
                           coupon_terms=lang.coupon_terms, tax_id_label=tax_ids.label, tax_label=lang.tax_label,
                           hook_link=i18n.hook_link,
                           html_lang=lang.html_lang, **values)
    return Response(body, status=status, mimetype="text/html")


def _run(token: str, action: Callable[[Ctx, dict[str, Any]], Response], *, form: bool = False,
         page: str | None = None, subscription_id: str | None = None) -> Response:
    """Resolve the session, check it (and the form's CSRF token) and that a deep link may reach `page`, run
    `action` in one transaction."""
    ctx, session_id, secret = _context(token)
    try:
        with ctx.store.transaction():
            try:
                session, valid = sessions.open_session(ctx, session_id, secret)
            except StripeError:
                abort(404)
            if not valid:
                return _render("portal/expired.html", ctx, session, token, status=410,
                               recovery=sessions.recoverable(ctx, session))
            if form and not sessions.check_csrf(ctx, session_id, request.form.get("csrf_token", "")):
                return _render("portal/error.html", ctx, session, token, status=403,
                               message=translator(ctx, session).text("error.csrf"))
            gate = _gate(ctx, session, token, page, subscription_id) if page else None
            return gate or action(ctx, session)
    except StripeError as error:
        # The transaction was rolled back; show the portal's error page (marks the visit in a new one).
        with ctx.store.transaction():
            session, _ = sessions.open_session(ctx, session_id, secret)
            return _render("portal/error.html", ctx, session, token, status=error.http_status,
                           message=translator(ctx, session).refusal(error))


_FLOW_ENTRY = {"subscription_cancel": "portal.cancel", "subscription_update": "portal.update_plan",
               "subscription_update_confirm": "portal.confirm",
               "payment_method_update": "portal.new_payment_method", "customer_update": "portal.billing"}


def _see_other(url: str) -> Response:
    return redirect(url, code=303)  # type: ignore[return-value]


def _notify(ctx: Ctx, session: dict[str, Any], text: str, *, error: bool = False) -> None:
    """Keep a notice (an outcome, or an error) for the session's next page, which shows it once: notices never
    travel in the URL, so a link cannot carry text of its own and a reload does not repeat the outcome."""
    common.set_mark(ctx, session["id"], "notice", json.dumps({"text": text, "error": error}))


def _take_notice(ctx: Ctx, session: dict[str, Any], *, error: bool = False) -> str | None:
    """The notice kept for this page (once), or None."""
    raw = common.mark_of(ctx, session["id"], "notice")
    if raw is None:
        return None
    notice = json.loads(raw)
    if notice["error"] != error:
        return None
    common.clear_mark(ctx, session["id"], "notice")
    return notice["text"]


def _show_message(ctx: Ctx, session: dict[str, Any], endpoint: str, token: str, message: str) -> Response:
    """After a form: back to a portal page (`portal.home`, `portal.billing`) showing the outcome."""
    _notify(ctx, session, message)
    return _see_other(url_for(endpoint, token=token))


def _gate(ctx: Ctx, session: dict[str, Any], token: str, page: str, subscription_id: str | None = None
          ) -> Response | None:
    """None when the page is reachable; else where a deep-link session goes instead: the flow's own page
    while it is open, its confirmation (or redirect) once it is done."""
    if portal_flows.allows(ctx, session, page, subscription_id):
        return None
    flow = session["flow"]
    if portal_flows.completion(ctx, session) is None:
        return _see_other(url_for(_FLOW_ENTRY[flow["type"]], token=token,
                                  subscription_id=portal_flows.subscription_of(flow)))
    return _after_completion(session, token)


def _after_completion(session: dict[str, Any], token: str) -> Response:
    """Where a finished deep link goes: its `redirect.return_url`, else the portal's confirmation page."""
    after = session["flow"]["after_completion"]
    if after["type"] == "redirect":
        return _see_other(after["redirect"]["return_url"])
    return _see_other(url_for("portal.done", token=token))


def _finish(ctx: Ctx, session: dict[str, Any], token: str, message: str) -> Response:
    """After an action: a deep link follows its `after_completion`; otherwise back to the home page with
    the outcome (the plain portal never redirects away)."""
    if session.get("flow") and portal_flows.completion(ctx, session) is None:
        if portal_flows.complete(ctx, session, message)["type"] != "portal_homepage":
            return _after_completion(session, token)
    return _show_message(ctx, session, "portal.home", token, message)


# Bounds the `invoices` query parameter (SQLite integers are 64-bit).
_MAX_INVOICE_ROWS = 1_000_000


def _invoice_rows(raw: str | None) -> int:
    """How many invoice-history rows the home page shows: the first page, or more after "View more"
    (`?invoices=<rows>`); anything else shows the first page."""
    try:
        rows = int(raw or 0)
    except ValueError:
        rows = 0
    return min(max(rows, portal_updates.INVOICE_PAGE), _MAX_INVOICE_ROWS)


@bp.get("/session/<token>")
def home(token: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        view = portal_updates.overview(ctx, session, _invoice_rows(request.args.get("invoices")))
        return _render("portal/home.html", ctx, session, token, view=view,
                       payment_methods=portal_billing.payment_methods_view(ctx, session),
                       billing=portal_billing.billing_view(ctx, session), message=_take_notice(ctx, session))

    return _run(token, show, page="home")


@bp.get("/session/<token>/done")
def done(token: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        message = portal_flows.completion(ctx, session) if session.get("flow") else None
        if message is None:
            return _see_other(url_for("portal.home", token=token))
        after = session["flow"]["after_completion"]
        return _render("portal/done.html", ctx, session, token, message=message,
                       custom_message=(after.get("hosted_confirmation") or {}).get("custom_message"))

    return _run(token, show)


@bp.get("/session/<token>/subscriptions/<subscription_id>/update")
def update_plan(token: str, subscription_id: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        return _render("portal/update.html", ctx, session, token,
                       view=portal_updates.options(ctx, session, subscription_id, request.args.get("interval")),
                       error=_take_notice(ctx, session, error=True), interval_key=portal_updates.interval_key)

    return _run(token, show, page="update", subscription_id=subscription_id)


def _quantity(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise portal_updates.PortalError("refusal.quantity_whole_number", param="quantity") from None


def _change(ctx: Ctx, session: dict[str, Any], values: Any) -> tuple[str, int | None, dict[str, Any] | None]:
    """The change to confirm: a `subscription_update_confirm` link's own, else the picker's choice (with the
    promotion code typed there)."""
    flow = session.get("flow")
    if flow and flow["type"] == "subscription_update_confirm" and portal_flows.completion(ctx, session) is None:
        return portal_flows.update_selection(flow)
    price_id = values.get("price", "")
    return price_id, _picked_quantity(ctx, values, price_id), \
        portal_updates.promotion_code_discount(ctx, session, values.get("promotion_code", ""))


def _picked_quantity(ctx: Ctx, values: Any, price_id: str) -> int | None:
    """The quantity sent with a plan choice: the confirm form's `quantity`, or on the plan picker the field
    of the chosen price's product (each adjustable product has its own, `quantity_<product>`)."""
    if "quantity" in values:
        return _quantity(values.get("quantity"))
    price = ctx.store.get(ctx.account_id, price_id, "price") if price_id else None
    return _quantity(values.get(f"quantity_{price['product']}")) if price is not None else None


@bp.get("/session/<token>/subscriptions/<subscription_id>/confirm")
def confirm(token: str, subscription_id: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        try:
            price, quantity, discount = _change(ctx, session, request.args)
            view = portal_updates.preview(ctx, session, subscription_id, price, quantity, discount)
        except portal_updates.PortalError as refused:
            if refused.param not in ("promotion_code", "price", "quantity") or session.get("flow"):
                raise
            # A choice that cannot be confirmed (the current plan again, a code that cannot be used, a
            # quantity out of range; also a confirm page reopened after the change): back to the picker.
            _notify(ctx, session, translator(ctx, session).refusal(refused), error=True)
            return _see_other(url_for("portal.update_plan", token=token, subscription_id=subscription_id))
        flow = session.get("flow") or {}
        back = url_for("portal.update_plan", token=token, subscription_id=subscription_id) \
            if flow.get("type") != "subscription_update_confirm" else None
        return _render("portal/confirm.html", ctx, session, token, view=view, price=price,
                       quantity="" if quantity is None else quantity, back_url=back,
                       error=_take_notice(ctx, session, error=True),
                       promotion_code=request.args.get("promotion_code", "").strip())

    return _run(token, show, page="confirm", subscription_id=subscription_id)


@bp.post("/session/<token>/subscriptions/<subscription_id>/confirm")
def apply(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        price, quantity, discount = _change(ctx, session, request.form)
        result = portal_updates.apply(ctx, session, subscription_id, price, quantity, discount)
        if result["outcome"] == "payment_incomplete":
            return _payment_incomplete(ctx, session, token, subscription_id, result["payment_intent"],
                                       request.form)
        return _finish(ctx, session, token, _outcome_message(ctx, session, result))

    return _run(token, act, form=True, page="confirm", subscription_id=subscription_id)


def _payment_incomplete(ctx: Ctx, session: dict[str, Any], token: str, subscription_id: str,
                        intent: dict[str, Any] | None, choice: Any) -> Response:
    """The change's payment did not go through: 3-D Secure first (Stripe's test page, then back here), or the
    confirm page again with the card's error; the plan is unchanged meanwhile."""
    picked = {key: choice[key] for key in ("price", "quantity", "promotion_code") if choice.get(key)}
    if intent is not None and intent["status"] == "requires_action":
        back = url_for("portal.payment_return", token=token, subscription_id=subscription_id, **picked)
        return _see_other(f"{intent['next_action']['redirect_to_url']['url']}&{urlencode({'return_url': back})}")
    return _back_to_confirm(ctx, session, token, subscription_id, (intent or {}).get("last_payment_error"), picked)


def _back_to_confirm(ctx: Ctx, session: dict[str, Any], token: str, subscription_id: str,
                     error: dict[str, Any] | None, picked: dict[str, Any]) -> Response:
    lang = translator(ctx, session)
    _notify(ctx, session, lang.text("confirm.payment_failed", reason=lang.payment_error(error)), error=True)
    return _see_other(url_for("portal.confirm", token=token, subscription_id=subscription_id, **picked))


@bp.get("/session/<token>/subscriptions/<subscription_id>/payment")
def payment_return(token: str, subscription_id: str) -> Response:
    """Back from 3-D Secure: the paid invoice applied the change; a failed authentication leaves the plan
    unchanged and the confirm page says why."""
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        subscription = portal_updates.owned_subscription(ctx, session, subscription_id)
        if subscription.get("pending_update"):
            intent_id = invoices.latest_intent_id(ctx, subscription["latest_invoice"])
            intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
            picked = {key: request.args[key] for key in ("price", "quantity", "promotion_code")
                      if request.args.get(key)}
            return _back_to_confirm(ctx, session, token, subscription_id, (intent or {}).get("last_payment_error"),
                                    picked)
        return _finish(ctx, session, token, _outcome_message(ctx, session, {"outcome": "updated",
                                                                            "subscription": subscription}))

    return _run(token, show, page="confirm", subscription_id=subscription_id)


def _outcome_message(ctx: Ctx, session: dict[str, Any], result: dict[str, Any]) -> str:
    lang = translator(ctx, session)
    name = portal_updates.product_name(ctx, result["subscription"])
    if result["outcome"] == "scheduled":
        phase = result["schedule"]["phases"][-1]
        new_product = ctx.store.get(ctx.account_id, ctx.store.get(ctx.account_id, phase["items"][0]["price"],
                                                                 "price")["product"], "product") or {}
        return lang.text("msg.plan_scheduled", plan=new_product.get("name"), date=lang.date(phase["start_date"]))
    if result["outcome"] == "unscheduled":
        return lang.text("msg.plan_unscheduled", plan=name)
    return lang.text("msg.plan_updated", plan=name)


@bp.get("/session/<token>/subscriptions/<subscription_id>/cancel")
def cancel(token: str, subscription_id: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        view = portal_cancellations.summary(ctx, session, subscription_id, request.args.get("feedback", ""),
                                            request.args.get("comment", ""))
        step = request.args.get("step", "summary")
        if step not in view["steps"]:
            step = "summary"
        following = view["steps"][view["steps"].index(step) + 1] if step != "confirm" else None
        return _render("portal/cancel.html", ctx, session, token, view=view, step=step, next_step=following)

    return _run(token, show, page="cancel", subscription_id=subscription_id)


@bp.post("/session/<token>/subscriptions/<subscription_id>/cancel")
def cancel_plan(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_cancellations.cancel(ctx, session, subscription_id, request.form.get("feedback", ""),
                                             request.form.get("comment", ""))
        name, lang = portal_updates.product_name(ctx, result), translator(ctx, session)
        message = lang.text("msg.canceled", plan=name) if result["status"] == "canceled" else \
            lang.text("msg.cancels_on", plan=name, date=lang.date(result["cancel_at"]))
        return _finish(ctx, session, token, message)

    return _run(token, act, form=True, page="cancel", subscription_id=subscription_id)


@bp.post("/session/<token>/subscriptions/<subscription_id>/cancel/offer")
def accept_offer(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_cancellations.accept_offer(ctx, session, subscription_id)
        applied = portal_updates.discount_views(ctx, result)[-1]
        lang = translator(ctx, session)
        return _finish(ctx, session, token, lang.text("msg.offer_applied", coupon=applied["name"],
                                                      terms=lang.coupon_terms(applied["terms"]),
                                                      plan=portal_updates.product_name(ctx, result)))

    return _run(token, act, form=True, page="cancel", subscription_id=subscription_id)


@bp.post("/session/<token>/subscriptions/<subscription_id>/renew")
def renew(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        result = portal_cancellations.renew(ctx, session, subscription_id)
        period_end = max(item["current_period_end"] for item in result["items"]["data"])
        lang = translator(ctx, session)
        return _finish(ctx, session, token, lang.text("msg.renewed", plan=portal_updates.product_name(ctx, result),
                                                      date=lang.date(period_end)))

    return _run(token, act, form=True, page="renew", subscription_id=subscription_id)


@bp.get("/session/<token>/<path:rest>")
def elsewhere(token: str, rest: str) -> Response:
    """Any other address in a session (mistyped, or a form's address reopened after its answer): the session's
    home page, which a deep link's own page replaces while its task is open."""
    return _run(token, lambda ctx, session: _see_other(url_for("portal.home", token=token)))
