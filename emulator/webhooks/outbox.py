"""Queue a delivery for every enabled endpoint whose enabled_events match, inside the event's transaction."""

from __future__ import annotations

import fnmatch
from typing import Any

import orjson

from emulator import clock, events
from emulator.context import Ctx

_wakeups: list[Any] = []


def matches(enabled_events: list[str], event_type: str) -> bool:
    """`*` matches everything; Stripe's enabled_events are exact types (patterns tolerated)."""
    return any(pattern == "*" or pattern == event_type or fnmatch.fnmatchcase(event_type, pattern)
               for pattern in enabled_events)


def assume_no_endpoints(ctx: Ctx) -> None:
    """The request found the account without webhook endpoints: its events need no lookup until one is
    created (forget_endpoints)."""
    ctx.memo["no_webhook_endpoints"] = True


def _enabled_endpoints(ctx: Ctx) -> list[tuple[str, list[str]]]:
    if ctx.memo.get("no_webhook_endpoints"):
        return []
    key = f"webhook_endpoints:{ctx.account_id}"
    cached = ctx.store.memo.get(key)
    if cached is None:
        rows = ctx.store.execute(
            "SELECT id, data FROM objects WHERE account = ? AND object = 'webhook_endpoint' AND deleted = 0",
            (ctx.account_id,)).fetchall()
        cached = []
        for endpoint_id, data in rows:
            endpoint = orjson.loads(data)
            if endpoint["status"] == "enabled":
                cached.append((endpoint_id, endpoint["enabled_events"]))
        if ctx.store.in_transaction:
            ctx.store.memo[key] = cached
    return cached


def forget_endpoints(ctx: Ctx) -> None:
    """Endpoints changed in this transaction: read them again for the next event."""
    ctx.memo.pop("no_webhook_endpoints", None)
    ctx.store.memo.pop(f"webhook_endpoints:{ctx.account_id}", None)


def endpoints_for(ctx: Ctx, event_type: str) -> list[str]:
    return [endpoint_id for endpoint_id, enabled in _enabled_endpoints(ctx) if matches(enabled, event_type)]


@events.on_event
def queue_deliveries(ctx: Ctx, event_id: str, event_type: str) -> None:
    for endpoint_id in endpoints_for(ctx, event_type):
        now = clock.wall_now_float()
        ctx.store.execute(
            "INSERT INTO webhook_deliveries (account, event, endpoint, status, attempts, next_attempt_at, created) "
            "VALUES (?, ?, ?, 'pending', 0, ?, ?)", (ctx.account_id, event_id, endpoint_id, now, now))
        ctx.store.after_commit(_wake_workers, key="webhooks", arg=ctx)


def _wake_workers(ctx: Ctx) -> None:
    for wake in _wakeups:
        wake(ctx)


def on_queue(callback: Any) -> None:
    """The delivery worker registers a wake-up (called with the Ctx after the queuing transaction commits)
    so deliveries go out without waiting for a poll; synchronous mode delivers right there."""
    _wakeups.append(callback)
