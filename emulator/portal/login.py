"""The portal's email-verification pages (routes on the portal blueprint): the shareable login page
(`/p/login/<id>`, a configuration's `login_page.url`) and the recovery offered by an expired session created
with `after_expiration` (`/p/session/<token>/recover`). Both ask for an email, "send" a one-time passcode
(recorded for the control API, see `emulator.resources.portal_login`) and open a new portal session once the
code is typed. Forms carry a CSRF token: the login page's is a double-submit cookie (there is no session
yet), the recovery's the expired session's own."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, abort, current_app, request, url_for

from emulator import engine, ids, store as store_module
from emulator.context import Ctx
from emulator.errors import StripeError
from emulator.portal.pages import _context, _render, _see_other, bp
from emulator.resources import accounts, billing_portal_sessions as sessions, portal_login
from emulator.store import Store

LOGIN_CSRF_COOKIE = "portal_login_csrf"
PREFILL_PARAM = "prefilled_email"  # the name is unconfirmed (Stripe documents a prefill parameter)
# Inline errors are message keys, shown in the page's language.
INVALID_EMAIL = "login.invalid_email"
FORM_EXPIRED = "login.form_expired"
FORM_EXPIRED_CODE = "login.form_expired_code"
CODE_FACTS = {"code_digits": portal_login.CODE_DIGITS, "code_minutes": portal_login.CODE_TTL_SECONDS // 60}


# -- the login page ---------------------------------------------------------------------------------------
def _login_context(login_id: str) -> tuple[Ctx, dict[str, Any]]:
    """The account and configuration behind a login page; 404 when the page is unknown or disabled."""
    store = Store(store_module.connection_for(current_app.config["DATABASE"]))
    found = portal_login.find_login_page(store, login_id)
    if found is None:
        abort(404)
    try:
        account = accounts.load(store, found[0])
    except LookupError:
        abort(404)
    ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=current_app.config,
              base_url=current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}")
    engine.catch_up(ctx)
    configuration = portal_login.login_configuration(ctx, found[1], login_id)
    if configuration is None:
        abort(404)
    return ctx, configuration


def _login_render(template: str, ctx: Ctx, configuration: dict[str, Any], login_id: str, *, csrf: str,
                  status: int = 200, **values: Any) -> Response:
    # The portal's frame without a session: no return link, no customer.
    page = {"id": "", "configuration": configuration["id"], "customer": None, "flow": None, "locale": None,
            "return_url": None}
    response = _render(template, ctx, page, login_id, status=status, login_id=login_id, form_csrf=csrf, **values)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, path=f"/p/login/{login_id}", httponly=True, samesite="Lax")
    return response


def _login_csrf() -> str:
    return request.cookies.get(LOGIN_CSRF_COOKIE) or ids.new_secret("", 16)


def _login_csrf_ok() -> bool:
    cookie, given = request.cookies.get(LOGIN_CSRF_COOKIE, ""), request.form.get("csrf_token", "")
    return bool(cookie) and hmac.compare_digest(cookie, given)


def _login_form(ctx: Ctx, configuration: dict[str, Any], login_id: str, *, email: str = "",
                error: str | None = None, status: int = 200) -> Response:
    return _login_render("portal/login.html", ctx, configuration, login_id, csrf=_login_csrf(), status=status,
                         email=email, error=error)


def _code_page(ctx: Ctx, configuration: dict[str, Any], login_id: str, *, email: str, code_token: str,
               error: str | None = None, status: int = 200) -> Response:
    return _login_render("portal/login_code.html", ctx, configuration, login_id, csrf=_login_csrf(), status=status,
                         email=email, code_token=code_token, error=error, **CODE_FACTS,
                         action_url=url_for("portal.login_verify", login_id=login_id),
                         resend_url=url_for("portal.login", login_id=login_id, **{PREFILL_PARAM: email}))


@bp.get("/login/<login_id>")
def login(login_id: str) -> Response:
    """The login page: an email field, prefilled from `?prefilled_email=`."""
    ctx, configuration = _login_context(login_id)
    return _login_form(ctx, configuration, login_id, email=request.args.get(PREFILL_PARAM, "").strip())


@bp.get("/login/<login_id>/verify")
def login_reopened(login_id: str) -> Response:
    """The code form's address reopened (reloaded after an answer): back to the login page."""
    return _see_other(url_for("portal.login", login_id=login_id))


@bp.post("/login/<login_id>")
def login_send(login_id: str) -> Response:
    """Send a code to the typed email (recorded only when a customer has it) and ask for it."""
    ctx, configuration = _login_context(login_id)
    typed = request.form.get("email", "")
    if not _login_csrf_ok():
        return _login_form(ctx, configuration, login_id, email=typed.strip(), status=403,
                           error=FORM_EXPIRED)
    email = portal_login.normalize_email(typed)
    if email is None:
        return _login_form(ctx, configuration, login_id, email=typed.strip(), error=INVALID_EMAIL, status=400)
    with ctx.store.transaction():
        customer = portal_login.customer_for_email(ctx, email)
        code_token = portal_login.send_code(ctx, email, configuration["id"], customer["id"] if customer else None,
                                            purpose=portal_login.LOGIN_PAGE)
    return _code_page(ctx, configuration, login_id, email=email, code_token=code_token)


@bp.post("/login/<login_id>/verify")
def login_verify(login_id: str) -> Response:
    """Check the typed code: a new session for the customer (303 to its URL), else the inline error."""
    ctx, configuration = _login_context(login_id)
    email, code_token = request.form.get("email", ""), request.form.get("token", "")
    if not _login_csrf_ok():
        return _code_page(ctx, configuration, login_id, email=email, code_token=code_token, status=403,
                          error=FORM_EXPIRED_CODE)
    with ctx.store.transaction():
        found, error = portal_login.verify(ctx, code_token, request.form.get("code", ""),
                                           purpose=portal_login.LOGIN_PAGE, configuration_id=configuration["id"])
        if found is None:
            return _code_page(ctx, configuration, login_id, email=email, code_token=code_token, error=error,
                              status=400)
        session = portal_login.login_session(ctx, configuration, found["customer"])
    return _see_other(session["url"])


# -- an expired session's recovery ------------------------------------------------------------------------
def _recovery(token: str, act: Any) -> Response:
    """Run `act(ctx, session)` for an expired, recoverable session in one transaction (a still-valid link
    goes to its home page; an unrecoverable one shows the expired page), after the CSRF check."""
    ctx, session_id, secret = _context(token)
    with ctx.store.transaction():
        try:
            session, valid = sessions.open_session(ctx, session_id, secret)
        except StripeError:
            abort(404)
        if valid:
            return _see_other(url_for("portal.home", token=token))
        if not sessions.recoverable(ctx, session):
            return _render("portal/expired.html", ctx, session, token, status=410, recovery=False)
        if not sessions.check_csrf(ctx, session_id, request.form.get("csrf_token", "")):
            return _render("portal/expired.html", ctx, session, token, status=403, recovery=True,
                           recover_error=FORM_EXPIRED)
        result: Response = act(ctx, session)
        return result


def _recovery_code_page(ctx: Ctx, session: dict[str, Any], token: str, *, email: str, code_token: str,
                        error: str | None = None, status: int = 200) -> Response:
    return _render("portal/login_code.html", ctx, session, token, status=status, email=email,
                   code_token=code_token, error=error, form_csrf=sessions.csrf_token(ctx, session["id"]), **CODE_FACTS,
                   action_url=url_for("portal.recover_verify", token=token),
                   resend_url=url_for("portal.home", token=token))


@bp.post("/session/<token>/recover")
def recover(token: str) -> Response:
    """An expired link's "verify your email": a code for the session's customer when the email is theirs."""
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        typed = request.form.get("email", "")
        email = portal_login.normalize_email(typed)
        if email is None:
            return _render("portal/expired.html", ctx, session, token, status=400, recovery=True,
                           recover_error=INVALID_EMAIL, recover_email=typed.strip())
        code_token = portal_login.send_code(ctx, email, session["configuration"],
                                            portal_login.recovery_customer(ctx, session, email),
                                            purpose=portal_login.SESSION_RECOVERY, session_id=session["id"])
        return _recovery_code_page(ctx, session, token, email=email, code_token=code_token)

    return _recovery(token, act)


@bp.post("/session/<token>/recover/verify")
def recover_verify(token: str) -> Response:
    """Check the code: a replacement session (303 to its URL), else the inline error."""
    def act(ctx: Ctx, session: dict[str, Any]) -> Response:
        email, code_token = request.form.get("email", ""), request.form.get("token", "")
        found, error = portal_login.verify(ctx, code_token, request.form.get("code", ""),
                                           purpose=portal_login.SESSION_RECOVERY,
                                           configuration_id=session["configuration"], session_id=session["id"])
        if found is None:
            return _recovery_code_page(ctx, session, token, email=email, code_token=code_token, error=error,
                                       status=400)
        return _see_other(portal_login.replacement_session(ctx, session)["url"])

    return _recovery(token, act)
