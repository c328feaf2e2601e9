"""Webhook endpoints (`/v1/webhook_endpoints`): where events are delivered, signed with the endpoint's
`whsec_` secret (returned only when the endpoint is created), rendered in the endpoint's `api_version`."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "webhook_endpoint"
CREATE_PARAMS = ("api_version", "description", "enabled_events", "metadata", "url")
UPDATE_PARAMS = ("description", "disabled", "enabled_events", "metadata", "url")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test")


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_loopback or ip.is_private or ip.is_link_local


def check_url(ctx: Ctx, url: str, param: str = "url") -> str:
    """Loopback and private-network hosts are allowed by default (docker-compose set-ups); public addresses
    need the ALLOW_PUBLIC_WEBHOOK_URLS setting, since the emulator is meant to stay on the local network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(f"Invalid URL: {url}. URLs must begin with http:// or https:// and name a host.",
                                  param=param, code="url_invalid")
    if ctx.settings.get("ALLOW_PUBLIC_WEBHOOK_URLS"):
        return url
    host = parts.hostname
    try:
        private = _is_private(host)
    except ValueError:
        if host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES):
            private = True
        else:
            try:
                addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 80)}
            except OSError:
                addresses = set()
            private = bool(addresses) and all(_is_private(a.split("%")[0]) for a in addresses)
    if not private:
        raise InvalidRequestError(
            f"The webhook URL {url} is not on this machine or a private network. stripe-portal-emulator only "
            "delivers to loopback and private hosts unless started with STRIPE_EMULATOR_ALLOW_PUBLIC_WEBHOOK_URLS=1.",
            param=param, code="url_invalid")
    return url


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/webhook_endpoints`: the answer (only this one) carries the signing secret."""
    endpoint = {
        "id": ids.new_id("we"),
        "object": OBJECT,
        "api_version": params.get("api_version"),
        "application": None,
        "created": ctx.now(),
        "description": common.or_none(params.get("description")),
        "enabled_events": list(params["enabled_events"]),
        "livemode": False,
        "metadata": common.metadata_for_create(params.get("metadata")),
        "status": "enabled",
        "url": check_url(ctx, params["url"]),
    }
    common.create(ctx, endpoint, event="")
    _forget(ctx)
    secret = ids.new_secret("whsec_", 24)
    ctx.store.execute("INSERT INTO webhook_secrets (account, endpoint, secret) VALUES (?, ?, ?)",
                      (ctx.account_id, endpoint["id"], secret))
    return {**endpoint, "secret": secret}


def _forget(ctx: Ctx) -> None:
    from emulator.webhooks import outbox

    outbox.forget_endpoints(ctx)


def require(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    return common.require(ctx, OBJECT, endpoint_id, kind="webhook endpoint")


def update(ctx: Ctx, endpoint_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/webhook_endpoints/{id}`: url, enabled_events, disabled (status), description, metadata."""
    before = require(ctx, endpoint_id)
    endpoint = dict(before)
    if "url" in params:
        endpoint["url"] = check_url(ctx, params["url"])
    if "enabled_events" in params:
        endpoint["enabled_events"] = list(params["enabled_events"])
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    if "description" in params:
        endpoint["description"] = common.or_none(params["description"])
    if "metadata" in params:
        endpoint["metadata"] = common.apply_metadata(endpoint["metadata"], params["metadata"])
    _forget(ctx)
    return common.save(ctx, before, endpoint, event="")


def delete(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    """Deleting stops deliveries; queued ones are canceled."""
    endpoint = require(ctx, endpoint_id)
    ctx.store.execute("UPDATE webhook_deliveries SET status = 'canceled' WHERE account = ? AND endpoint = ? "
                      "AND status = 'pending'", (ctx.account_id, endpoint_id))
    ctx.store.execute("DELETE FROM webhook_secrets WHERE account = ? AND endpoint = ?", (ctx.account_id, endpoint_id))
    _forget(ctx)
    return common.delete(ctx, endpoint, keep=False, event="")


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return common.list_objects(ctx, OBJECT, params, "/v1/webhook_endpoints")


def deliveries(ctx: Ctx, *, event: str | None = None, endpoint: str | None = None, limit: int = 100,
               offset: int = 0) -> list[dict[str, Any]]:
    """The delivery log: each queued delivery with its attempts (status, duration, response excerpt)."""
    clauses, args = ["account = ?"], [ctx.account_id]
    if event:
        clauses.append("event = ?")
        args.append(event)
    if endpoint:
        clauses.append("endpoint = ?")
        args.append(endpoint)
    rows = ctx.store.execute(
        "SELECT id, event, endpoint, status, attempts, next_attempt_at, created, delivered_at FROM "
        f"webhook_deliveries WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*args, limit, offset)).fetchall()
    result = []
    for row in rows:
        attempts = ctx.store.execute(
            "SELECT attempted_at, status_code, duration_ms, response_excerpt, error FROM webhook_attempts "
            "WHERE delivery = ? ORDER BY id", (row[0],)).fetchall()
        event_type = ctx.store.execute("SELECT type FROM events WHERE id = ?", (row[1],)).fetchone()
        result.append({
            "id": row[0], "event": row[1], "event_type": event_type[0] if event_type else None,
            "endpoint": row[2], "endpoint_url": (ctx.store.get(ctx.account_id, row[2], OBJECT) or {}).get("url"),
            "status": row[3], "attempt_count": row[4],
            "next_attempt_at": row[5] if row[3] == "pending" else None, "created": row[6],
            "delivered_at": row[7],
            "attempts": [{"attempted_at": a[0], "status_code": a[1], "duration_ms": round(a[2], 2),
                          "response_excerpt": a[3], "error": a[4]} for a in attempts],
        })
    return result


def resend(ctx: Ctx, delivery_id: int) -> dict[str, Any]:
    """Queue the delivery's event again for the same endpoint (the dashboard's "Resend")."""
    row = ctx.store.execute("SELECT event, endpoint FROM webhook_deliveries WHERE account = ? AND id = ?",
                            (ctx.account_id, delivery_id)).fetchone()
    if row is None:
        raise InvalidRequestError(f"No such webhook delivery: '{delivery_id}'", http_status=404,
                                  code="resource_missing")
    require(ctx, row[1])
    from emulator import clock
    from emulator.webhooks import outbox

    now = clock.wall_now_float()
    cursor = ctx.store.execute(
        "INSERT INTO webhook_deliveries (account, event, endpoint, status, attempts, next_attempt_at, created) "
        "VALUES (?, ?, ?, 'pending', 0, ?, ?)", (ctx.account_id, row[0], row[1], now, now))
    ctx.store.after_commit(outbox._wake_workers, key="webhooks", arg=ctx)
    return deliveries(ctx, event=row[0], endpoint=row[1], limit=1)[0] | {"id": cursor.lastrowid}
