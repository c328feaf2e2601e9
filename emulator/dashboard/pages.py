"""The dashboard: what happened in the emulator, for QA testers (accounts, objects, events, webhook
deliveries, clocks). Read-mostly HTML pages under /_emulator; actions post to the same handlers the control
API uses."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit
from typing import Any

import orjson
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from emulator import engine, store as store_module
from emulator.context import Ctx
from emulator.errors import StripeError
from emulator.resources import accounts, branding, global_clock, portal_login, public_details, webhook_endpoints
from emulator.store import Store

bp = Blueprint("dashboard", __name__, url_prefix="/_emulator")
PAGE_SIZE = 50


def _store() -> Store:
    return Store(store_module.connection_for(current_app.config["DATABASE"]))


def _ctx(account_id: str) -> Ctx:
    store = _store()
    try:
        account = accounts.load(store, account_id)
    except LookupError:
        abort(404)
    return Ctx(store=store, account=account, api_version=account.api_version, settings=current_app.config,
               base_url=current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/"))


@bp.before_request
def same_origin_forms() -> None:
    """The dashboard's forms act only for pages of the emulator itself: a POST whose Origin (or Referer) is
    another site is refused, so a web page cannot change branding or move clocks behind a tester's back."""
    if request.method != "POST":
        return
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source and urlsplit(source).netloc != request.host:
        abort(403)


@bp.app_template_filter("datetime")
def format_datetime(value: int | float | None) -> str:
    if value is None:
        return "—"
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.app_template_filter("pretty_json")
def pretty_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


# Stripe ids inside a shown object ("cus_...", "in_..."): linked to their own page.
_ID_IN_JSON = re.compile(r'&#34;((?:evt|[a-z]+(?:_sched|_test)?)_[A-Za-z0-9]{6,})&#34;')


@bp.app_template_filter("linked_json")
def linked_json(value: Any, account_id: str) -> Markup:
    """The object's JSON, its ids linked to the dashboard page of the object (or event) they name."""
    escaped = str(escape(pretty_json(value)))

    def link(match: re.Match[str]) -> str:
        object_id = match.group(1)
        target = url_for("dashboard.event_detail", account_id=account_id, event_id=object_id) \
            if object_id.startswith("evt_") else \
            url_for("dashboard.object_detail", account_id=account_id, object_id=object_id)
        return f'&#34;<a href="{target}">{object_id}</a>&#34;'

    return Markup(_ID_IN_JSON.sub(link, escaped))


def _page(raw: str | None) -> int:
    """A page number from the query string (0 for anything else)."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 0


@bp.get("/")
def index() -> str:
    store = _store()
    rows = store.execute(
        "SELECT a.id, a.secret_key, a.api_version, a.clock_offset, a.created, "
        "(SELECT COUNT(*) FROM objects o WHERE o.account = a.id AND o.deleted = 0), "
        "(SELECT COUNT(*) FROM events e WHERE e.account = a.id) FROM accounts a ORDER BY a.created DESC"
    ).fetchall()
    keys = ("id", "secret_key", "api_version", "clock_offset", "created", "objects", "events")
    return render_template("dashboard/index.html", accounts=[dict(zip(keys, row)) for row in rows])


@bp.get("/accounts/<account_id>")
def account(account_id: str) -> str:
    ctx = _ctx(account_id)
    store = ctx.store
    counts = store.execute("SELECT object, COUNT(*) FROM objects WHERE account = ? AND deleted = 0 GROUP BY object "
                           "ORDER BY object", (account_id,)).fetchall()
    object_type = request.args.get("type")
    page, events_page, deliveries_page = (_page(request.args.get(name)) for name in
                                          ("page", "events_page", "deliveries_page"))
    objects = store.select(account_id, object_type, limit=(page + 1) * PAGE_SIZE + 1)[page * PAGE_SIZE:] \
        if object_type else []
    event_type = (request.args.get("event_type") or "").strip().lower() or None
    # "customer" finds customer.* too; "*" and "?" are wildcards.
    patterns = [event_type] if event_type is None or "*" in event_type or "?" in event_type else \
        [event_type, f"{event_type}.*"]
    event_rows = store.execute(
        "SELECT id, type, created, object_id, request_id FROM events WHERE account = ? "
        + ("AND (type GLOB ? OR type GLOB ?) " if event_type else "") + "ORDER BY seq DESC LIMIT ? OFFSET ?",
        (account_id, *(patterns * 2)[:2], PAGE_SIZE + 1, events_page * PAGE_SIZE) if event_type
        else (account_id, PAGE_SIZE + 1, events_page * PAGE_SIZE)).fetchall()
    deliveries = webhook_endpoints.deliveries(ctx, limit=PAGE_SIZE + 1, offset=deliveries_page * PAGE_SIZE)
    clocks = store.select(account_id, "test_helpers.test_clock", limit=PAGE_SIZE)
    timers = store.execute("SELECT kind, object_id, due_at, clock FROM timers WHERE account = ? ORDER BY due_at, id "
                           "LIMIT ?", (account_id, PAGE_SIZE)).fetchall()
    return render_template(
        "dashboard/account.html", account=ctx.account, now=ctx.now(), counts=counts, object_type=object_type,
        objects=objects[:PAGE_SIZE], more_objects=len(objects) > PAGE_SIZE, page=page,
        events=[dict(zip(("id", "type", "created", "object_id", "request_id"), r)) for r in event_rows[:PAGE_SIZE]],
        more_events=len(event_rows) > PAGE_SIZE, events_page=events_page,
        event_type=event_type or "", deliveries=deliveries[:PAGE_SIZE], more_deliveries=len(deliveries) > PAGE_SIZE,
        deliveries_page=deliveries_page, clocks=clocks,
        timers=[dict(zip(("kind", "object_id", "due_at", "clock"), r)) for r in timers],
        branding=branding.settings(ctx), fonts=list(branding.FONTS), border_styles=branding.BORDER_STYLES,
        public_details=public_details.settings(ctx),
        login_codes=portal_login.sent_codes(ctx, limit=PAGE_SIZE), message=request.args.get("message"))


@bp.get("/accounts/<account_id>/objects/<object_id>")
def object_detail(account_id: str, object_id: str) -> str:
    ctx = _ctx(account_id)
    obj = ctx.store.get(account_id, object_id)
    if obj is None:
        abort(404)
    related = ctx.store.execute("SELECT id, type, created FROM events WHERE account = ? AND object_id = ? "
                                "ORDER BY seq DESC LIMIT ?", (account_id, object_id, PAGE_SIZE)).fetchall()
    return render_template("dashboard/object.html", account=ctx.account, obj=obj, events=related,
                           message=request.args.get("message"))


@bp.get("/accounts/<account_id>/events/<event_id>")
def event_detail(account_id: str, event_id: str) -> str:
    from emulator.resources import events_api

    ctx = _ctx(account_id)
    try:
        event = events_api.retrieve(ctx, event_id)
    except StripeError:
        abort(404)
    deliveries = webhook_endpoints.deliveries(ctx, event=event_id)
    return render_template("dashboard/event.html", account=ctx.account, event=event, deliveries=deliveries)


@bp.post("/accounts/<account_id>/clock")
def shift_clock(account_id: str) -> Response:
    ctx = _ctx(account_id)
    try:
        target = ctx.now() + global_clock.parse_duration(request.form.get("by", ""))
        with ctx.store.transaction():
            global_clock.shift_to(ctx, target)
        ran = engine.catch_up(ctx)
        message = f"Clock moved to {format_datetime(ctx.now())}; {ran} transitions ran."
    except StripeError as error:
        message = error.message
    return redirect(url_for("dashboard.account", account_id=account_id, message=message))


@bp.post("/accounts/<account_id>/test_clocks/<clock_id>/advance")
def advance_test_clock(account_id: str, clock_id: str) -> Response:
    """A test clock's page: advance it by a duration (30d, 12h...), as `POST .../advance` does."""
    from emulator.resources import test_clocks

    ctx = _ctx(account_id)
    try:
        clock_object = test_clocks.require(ctx, clock_id)
        target = clock_object["frozen_time"] + global_clock.parse_duration(request.form.get("by", ""))
        with ctx.store.transaction():
            test_clocks.begin_advance(ctx, clock_id, {"frozen_time": target})
        ready = engine.finish_advance(ctx, clock_id)
        message = f"Test clock moved to {format_datetime(ready['frozen_time'])}."
    except StripeError as error:
        message = error.message
    return redirect(url_for("dashboard.object_detail", account_id=account_id, object_id=clock_id, message=message))


@bp.post("/accounts/<account_id>/customers/<customer_id>/portal")
def open_portal(account_id: str, customer_id: str) -> Response:
    """A customer's page: open the customer portal for them (a new session with the default configuration)."""
    from emulator.resources import billing_portal_sessions

    ctx = _ctx(account_id)
    try:
        with ctx.store.transaction():
            session = billing_portal_sessions.create(ctx, {"customer": customer_id,
                                                           "return_url": url_for("dashboard.object_detail",
                                                                                 account_id=account_id,
                                                                                 object_id=customer_id,
                                                                                 _external=True)})
    except StripeError as error:
        return redirect(url_for("dashboard.object_detail", account_id=account_id, object_id=customer_id,
                                message=error.message))
    return redirect(session["url"])


@bp.post("/accounts/<account_id>/deliveries/<int:delivery_id>/resend")
def resend(account_id: str, delivery_id: int) -> Response:
    ctx = _ctx(account_id)
    try:
        with ctx.store.transaction():
            webhook_endpoints.resend(ctx, delivery_id)
        message = f"Delivery {delivery_id} queued again."
    except StripeError as error:
        message = error.message
    return redirect(url_for("dashboard.account", account_id=account_id, message=message) + "#webhooks")


@bp.post("/accounts/<account_id>/branding")
def save_branding(account_id: str) -> Response:
    """The dashboard's branding form (the same settings as `POST /_emulator/api/branding`)."""
    from emulator.dashboard.control import branding_form

    ctx = _ctx(account_id)
    params, images = branding_form()
    try:
        with ctx.store.transaction():
            branding.update(ctx, params, images)
        message = "Branding saved."
    except StripeError as error:
        message = error.message
    return redirect(url_for("dashboard.account", account_id=account_id, message=message) + "#branding")


@bp.post("/accounts/<account_id>/public_details")
def save_public_details(account_id: str) -> Response:
    """The dashboard's public details form (the same settings as `POST /_emulator/api/public_details`)."""
    from emulator.dashboard.control import form_fields

    ctx = _ctx(account_id)
    try:
        with ctx.store.transaction():
            public_details.update(ctx, form_fields())
        message = "Public details saved."
    except StripeError as error:
        message = error.message
    return redirect(url_for("dashboard.account", account_id=account_id, message=message) + "#public-details")


@bp.get("/accounts/<account_id>/branding/<kind>")
def branding_image(account_id: str, kind: str) -> Response:
    """The stored icon or logo (public, as Stripe serves branding files to customers)."""
    found = branding.image(_ctx(account_id), kind)
    if found is None:
        abort(404)
    response = Response(found[1], mimetype=found[0])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # URLs carry ?v=<hash>
    return response
