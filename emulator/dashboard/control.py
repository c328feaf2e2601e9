"""The control API under /_emulator/api: things Stripe has no endpoint for (the webhook delivery log and
resend). Authenticated by the account's secret key like /v1; answers JSON with Stripe-shaped errors."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from emulator.api import authenticate, json_response
from emulator.errors import InvalidRequestError
from emulator.resources import webhook_endpoints

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
