"""The customer portal's pages: a session's home page, the update-plan page, the confirm page and its
action. Each request resolves the session from the URL's token, runs in one transaction (a visit counts as
activity for the session's expiry) and calls one portal resource function; forms carry a CSRF token.
Failures render the portal's own error page, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from emulator import engine, store as store_module
from emulator.billing.money import format_amount
from emulator.context import Ctx
from emulator.errors import StripeError
from emulator.resources import accounts, billing_portal_sessions as sessions, portal_billing, portal_updates
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


def portal_date(value: int | None) -> str:
    if value is None:
        return ""
    stamp = datetime.fromtimestamp(value, timezone.utc)
    return f"{stamp.strftime('%B')} {stamp.day}, {stamp.year}"


def interval_text(recurring: dict[str, Any]) -> str:
    count, interval = recurring["interval_count"], recurring["interval"]
    return f"per {interval}" if count == 1 else f"every {count} {interval}s"


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
    business = accounts.retrieve(ctx)["business_profile"]["name"]
    body = render_template(template, session=session, token=token, configuration=configuration,
                           business_name=business, profile=configuration["business_profile"],
                           csrf_token=sessions.csrf_token(ctx, session["id"]),
                           money=format_amount, date=portal_date, interval=interval_text, **values)
    return Response(body, status=status, mimetype="text/html")


def _run(token: str, action: Callable[[Ctx, dict[str, Any]], Response], *, form: bool = False) -> Response:
    """Resolve the session, check it (and the form's CSRF token), run `action` in one transaction."""
    ctx, session_id, secret = _context(token)
    try:
        with ctx.store.transaction():
            try:
                session, valid = sessions.open_session(ctx, session_id, secret)
            except StripeError:
                abort(404)
            if not valid:
                return _render("portal/expired.html", ctx, session, token, status=410)
            if form and not sessions.check_csrf(ctx, session_id, request.form.get("csrf_token", "")):
                return _render("portal/error.html", ctx, session, token, status=403,
                               message="This form has expired. Go back to the portal and try again.")
            return action(ctx, session)
    except StripeError as error:
        # The transaction was rolled back; show the portal's error page (marks the visit in a new one).
        with ctx.store.transaction():
            session, _ = sessions.open_session(ctx, session_id, secret)
            return _render("portal/error.html", ctx, session, token, status=error.http_status,
                           message=error.message)


@bp.get("/session/<token>")
def home(token: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        return _render("portal/home.html", ctx, session, token, view=portal_updates.overview(ctx, session),
                       payment_methods=portal_billing.payment_methods_view(ctx, session),
                       billing=portal_billing.billing_view(ctx, session), message=request.args.get("message"))

    return _run(token, show)


@bp.get("/session/<token>/subscriptions/<subscription_id>/update")
def update_plan(token: str, subscription_id: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        return _render("portal/update.html", ctx, session, token,
                       view=portal_updates.options(ctx, session, subscription_id))

    return _run(token, show)


def _quantity(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise portal_updates.PortalError("Enter a whole number for the quantity.", param="quantity") from None


@bp.get("/session/<token>/subscriptions/<subscription_id>/confirm")
def confirm(token: str, subscription_id: str) -> Response:
    def show(ctx: Ctx, session: dict[str, Any]) -> Response:
        price = request.args.get("price", "")
        quantity = _quantity(request.args.get("quantity"))
        view = portal_updates.preview(ctx, session, subscription_id, price, quantity)
        return _render("portal/confirm.html", ctx, session, token, view=view, price=price,
                       quantity=request.args.get("quantity", ""))

    return _run(token, show)


@bp.post("/session/<token>/subscriptions/<subscription_id>/confirm")
def apply(token: str, subscription_id: str) -> Response:
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        quantity = _quantity(request.form.get("quantity"))
        result = portal_updates.apply(ctx, session, subscription_id, request.form.get("price", ""), quantity)
        message = _outcome_message(ctx, result)
        target = url_for("portal.home", token=token)
        return redirect(f"{target}?{urlencode({'message': message})}", code=303)  # type: ignore[return-value]

    return _run(token, act, form=True)


def _outcome_message(ctx: Ctx, result: dict[str, Any]) -> str:
    item = result["subscription"]["items"]["data"][0]
    product = ctx.store.get(ctx.account_id, item["price"]["product"], "product") or {}
    name = product.get("name", item["price"]["product"])
    if result["outcome"] == "scheduled":
        phase = result["schedule"]["phases"][-1]
        new_product = ctx.store.get(ctx.account_id, ctx.store.get(ctx.account_id, phase["items"][0]["price"],
                                                                 "price")["product"], "product") or {}
        return f"Your plan will change to {new_product.get('name')} on {portal_date(phase['start_date'])}."
    if result["outcome"] == "unscheduled":
        return f"Your scheduled change was canceled. You stay on {name}."
    return f"Your plan was updated to {name}."


@bp.get("/login/<login_id>")
def login(login_id: str) -> Response:
    body = render_template("errors/error.html", status=501, title="Not emulated yet",
                           message="The portal's shareable login page is not emulated yet; create a session "
                                   "with POST /v1/billing_portal/sessions instead.")
    return Response(body, status=501, mimetype="text/html")
