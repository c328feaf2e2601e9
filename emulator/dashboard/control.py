"""The control API under /_emulator/api: things Stripe has no endpoint for (the webhook delivery log and
resend, the account clock, headless 3-D Secure, the portal's Dashboard-only retention coupon, the portal's
one-time passcodes, the account's Dashboard branding and public details). Authenticated by the account's
secret key like /v1; answers JSON with Stripe-shaped errors."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from emulator import engine
from emulator.api import authenticate, json_response
from emulator.errors import InvalidRequestError
from emulator.resources import (billing_portal_configurations as configurations, branding, global_clock,
                                portal_login, public_details, webhook_endpoints)

bp = Blueprint("control", __name__, url_prefix="/_emulator/api")
bp.before_request(authenticate)


@bp.get("/webhook_deliveries")
def list_deliveries() -> Response:
    """Every queued delivery with its attempts (newest first); filter with ?event= and ?endpoint=."""
    try:
        limit = int(request.args.get("limit", 100))
    except ValueError:
        raise InvalidRequestError("Invalid integer: limit", param="limit") from None
    data = webhook_endpoints.deliveries(g.ctx, event=request.args.get("event"),
                                        endpoint=request.args.get("endpoint"), limit=max(1, min(limit, 1000)))
    return json_response({"object": "list", "data": data, "url": "/_emulator/api/webhook_deliveries"})


@bp.post("/webhook_deliveries/<int:delivery_id>/resend")
def resend_delivery(delivery_id: int) -> Response:
    """Queue the same event for the same endpoint again."""
    ctx = g.ctx
    with ctx.store.transaction():
        result = webhook_endpoints.resend(ctx, delivery_id)
    return json_response(result)


@bp.get("/clock")
def read_clock() -> Response:
    """The account's current time and its shift from wall time."""
    ctx = g.ctx
    return json_response({"now": ctx.now(), "offset": ctx.account.clock_offset})


@bp.post("/clock/advance")
def advance_clock() -> Response:
    """Shift the account's clock forward (`to` = Unix time, or `by` = 30d/12h/...) and run every transition
    of its clock-less objects due up to then, in order."""
    ctx = g.ctx
    to, by = request.form.get("to"), request.form.get("by")
    if bool(to) == bool(by):
        raise InvalidRequestError("Pass exactly one of `to` (Unix time) or `by` (e.g. 30d).", param="to")
    if to:
        try:
            target = int(to)
        except ValueError:
            raise InvalidRequestError(f"Invalid integer: {to}", param="to") from None
    else:
        target = ctx.now() + global_clock.parse_duration(by or "")
    with ctx.store.transaction():
        offset = global_clock.shift_to(ctx, target)
    ran = engine.catch_up(ctx)
    return json_response({"now": ctx.now(), "offset": offset, "transitions": ran})


@bp.get("/billing_portal/configurations/<configuration_id>/retention_coupon")
def read_retention_coupon(configuration_id: str) -> Response:
    """The coupon the portal's homepage cancellation flow offers (the Dashboard's "Retention coupon")."""
    ctx = g.ctx
    configurations.require(ctx, configuration_id)
    return json_response({"configuration": configuration_id,
                          "retention_coupon": configurations.retention_coupon(ctx, configuration_id)})


@bp.post("/billing_portal/configurations/<configuration_id>/retention_coupon")
def set_retention_coupon(configuration_id: str) -> Response:
    """Set it (`coupon=<id>`) or clear it (`coupon=`)."""
    ctx = g.ctx
    if "coupon" not in request.form:
        raise InvalidRequestError("Missing required param: coupon (empty to clear).", param="coupon",
                                  code="parameter_missing")
    with ctx.store.transaction():
        result = configurations.set_retention_coupon(ctx, configuration_id, request.form["coupon"] or None)
    return json_response(result)


@bp.get("/billing_portal/login_codes")
def list_login_codes() -> Response:
    """The one-time passcodes the portal "emailed" (login page, expired-session recovery), newest first;
    filter with ?email= (case-insensitive) and ?limit=."""
    try:
        limit = int(request.args.get("limit", 100))
    except ValueError:
        raise InvalidRequestError("Invalid integer: limit", param="limit") from None
    data = portal_login.sent_codes(g.ctx, email=request.args.get("email"), limit=max(1, min(limit, 1000)))
    return json_response({"object": "list", "data": data, "url": "/_emulator/api/billing_portal/login_codes"})


def branding_form() -> tuple[dict[str, str], dict[str, bytes | None]]:
    """The branding fields of a form: text fields, and icon/logo as uploaded files (an empty `icon=` or
    `logo=` field, or `clear_icon` / `clear_logo`, clears one)."""
    params = {key: value for key, value in request.form.items()
              if key not in branding.IMAGE_FIELDS and not key.startswith("clear_") and key != "csrf_token"}
    images: dict[str, bytes | None] = {}
    for kind in branding.IMAGE_FIELDS:
        upload = request.files.get(kind)
        if upload is not None and upload.filename:
            images[kind] = upload.read(branding.MAX_IMAGE_BYTES + 1)
        elif request.form.get(f"clear_{kind}") or (kind in request.form and not request.form[kind]):
            images[kind] = None
    return params, images


@bp.get("/branding")
def read_branding() -> Response:
    """The account's Dashboard branding (icon, logo, brand and accent colours, background and button
    colours, font, shapes), which Stripe's API does not expose."""
    return json_response({"object": "emulator.branding", **branding.settings(g.ctx)})


@bp.post("/branding")
def set_branding() -> Response:
    """Change it: `primary_color`, `secondary_color`, `background_color`, `button_color` (hex),
    `font_family`, `border_style`, multipart files `icon` / `logo`; an empty value clears a setting."""
    ctx = g.ctx
    params, images = branding_form()
    with ctx.store.transaction():
        result = branding.update(ctx, params, images)
    return json_response({"object": "emulator.branding", **result})


@bp.get("/public_details")
def read_public_details() -> Response:
    """The account's public details (business name, support contacts, website, terms and privacy links)."""
    return json_response({"object": "emulator.public_details", **public_details.settings(g.ctx)})


@bp.post("/public_details")
def set_public_details() -> Response:
    """Change them: `business_name`, `support_email`, `support_phone`, `support_url`, `url`,
    `terms_of_service_url`, `privacy_policy_url`; an empty value clears one."""
    ctx = g.ctx
    with ctx.store.transaction():
        result = public_details.update(ctx, form_fields())
    return json_response({"object": "emulator.public_details", **result})


def form_fields() -> dict[str, str]:
    """A form's text fields, without its CSRF token."""
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


@bp.post("/intents/<intent_id>/authenticate")
def authenticate_intent(intent_id: str) -> Response:
    """Headless twin of the 3-D Secure page: `outcome=complete` or `outcome=fail`."""
    from emulator.hosted.authentication import complete
    from emulator.render import Renderer

    ctx = g.ctx
    outcome = request.form.get("outcome")
    if outcome not in ("complete", "fail"):
        raise InvalidRequestError("outcome must be one of complete, fail", param="outcome")
    intent = ctx.store.get(ctx.account_id, intent_id)
    if intent is None or intent.get("object") not in ("payment_intent", "setup_intent"):
        raise InvalidRequestError(f"No such intent: '{intent_id}'", http_status=404, code="resource_missing")
    return json_response(Renderer(ctx).render(complete(ctx, intent, outcome == "complete")))
