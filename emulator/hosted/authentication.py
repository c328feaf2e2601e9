"""The 3-D Secure test page: like Stripe's test-mode page, it offers "Complete authentication" and "Fail
authentication" for a PaymentIntent or SetupIntent in requires_action, then returns to `return_url`."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request

from emulator import store as store_module
from emulator.context import Ctx
from emulator.resources import accounts, payment_intents, setup_intents
from emulator.store import Store

bp = Blueprint("authentication", __name__, url_prefix="/authenticate")


def intent_context(intent_id: str) -> tuple[Ctx, dict[str, Any]]:
    """The account and intent behind a page link (ids are unique across accounts)."""
    store = Store(store_module.connection_for(current_app.config["DATABASE"]))
    row = store.execute("SELECT account FROM objects WHERE id = ? AND object IN ('payment_intent', 'setup_intent')",
                        (intent_id,)).fetchone()
    if row is None:
        abort(404)
    account = accounts.load(store, row[0])
    ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=current_app.config,
              base_url=current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}")
    intent = store.get(account.id, intent_id)
    if intent is None:
        abort(404)
    return ctx, intent


def complete(ctx: Ctx, intent: dict[str, Any], succeed: bool) -> dict[str, Any]:
    """Finish authentication of either kind of intent, in one transaction."""
    module = payment_intents if intent["object"] == "payment_intent" else setup_intents
    with ctx.store.transaction():
        return module.complete_authentication(ctx, intent["id"], succeed=succeed)


def _check_secret(intent: dict[str, Any]) -> None:
    given = request.values.get("client_secret", "")
    if not hmac.compare_digest(given, intent["client_secret"]):
        abort(404)


@bp.get("/<intent_id>")
def page(intent_id: str) -> str:
    ctx, intent = intent_context(intent_id)
    _check_secret(intent)
    return render_template("hosted/authenticate.html", intent=intent,
                           return_url=request.args.get("return_url", ""))


@bp.post("/<intent_id>")
def submit(intent_id: str) -> Response | str:
    ctx, intent = intent_context(intent_id)
    _check_secret(intent)
    result = complete(ctx, intent, request.form.get("outcome") == "complete")
    return_url = request.form.get("return_url")
    succeeded = result["status"] in ("succeeded", "requires_capture", "processing")
    if return_url:
        key = "payment_intent" if intent["object"] == "payment_intent" else "setup_intent"
        parts = urlsplit(return_url)
        query = parse_qsl(parts.query) + [(key, intent["id"]), (f"{key}_client_secret", intent["client_secret"]),
                                          ("redirect_status", "succeeded" if succeeded else "failed")]
        return redirect(urlunsplit(parts._replace(query=urlencode(query))))
    return render_template("hosted/authenticate_done.html", intent=result, succeeded=succeeded)
