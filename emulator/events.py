"""The event store: every state change records a Stripe event in the same transaction.

An event keeps the object's JSON exactly as it was stored at that moment (the bytes the store wrote,
compressed by `emulator.snapshots`) plus `previous_attributes` for `*.updated` events.
Rendering for the API or a webhook endpoint applies that reader's API version.
"""

from __future__ import annotations

from typing import Any

import orjson

from emulator import ids, snapshots
from emulator.context import Ctx

MISSING = object()


def emit(ctx: Ctx, event_type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None,
         created: int | None = None, object_bytes: bytes | None = None) -> str:
    """Record `event_type` for `obj` (its current state) and return the event id."""
    event_id = ids.new_id("evt")
    if ctx.store.discarding:
        return event_id  # a preview's event is rolled back with it
    ctx.store.add_event([ctx.account_id, event_id, event_type, created if created is not None else ctx.now(),
                         obj["id"], ctx.request_id, ctx.idempotency_key,
                         snapshots.pack(object_bytes or orjson.dumps(obj)),
                         _pack_previous(previous_attributes)])
    for listener in _listeners:
        listener(ctx, event_id, event_type)
    return event_id


_listeners: list[Any] = []
# previous_attributes holding a whole list (a subscription's items) are worth compressing; short ones are not.
COMPRESS_PREVIOUS_FROM = 256


def _pack_previous(previous_attributes: dict[str, Any] | None) -> bytes | None:
    if previous_attributes is None:
        return None
    data = orjson.dumps(previous_attributes)
    return snapshots.pack(data) if len(data) >= COMPRESS_PREVIOUS_FROM else data


def on_event(listener: Any) -> Any:
    """Register a callback run inside the transaction after each event (the webhook outbox uses it)."""
    _listeners.append(listener)
    return listener


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the old values of changed keys, nested objects compared key by
    key (only changed sub-keys appear), arrays and lists included whole."""
    changed: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old is new or old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list" \
                and "object" not in old:
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = old
    if after.keys() != before.keys():
        for key in after.keys() - before.keys():
            if after[key] is not None:
                changed[key] = None
    return changed


# The columns row_to_event reads, pending_webhooks counting deliveries not yet succeeded.
EVENT_COLUMNS = ("id, type, created, request_id, idempotency_key, object, previous_attributes, "
                 "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.event = events.id "
                 "AND d.status != 'succeeded')")


def row_to_event(row: tuple[Any, ...], api_version: str) -> dict[str, Any]:
    """Build the event object (newest shape; the reader's Renderer downgrades it, data.object included)
    from a stored row (id, type, created, request_id, idempotency_key, object, previous_attributes,
    pending_webhooks)."""
    event_id, event_type, created, request_id, idempotency_key, object_bytes, previous, pending = row
    data: dict[str, Any] = {"object": orjson.loads(snapshots.unpack(object_bytes))}
    if previous is not None:
        data["previous_attributes"] = orjson.loads(snapshots.unpack(previous))
    return {
        "id": event_id,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def replace_object(ctx: Ctx, event_id: str, obj: dict[str, Any]) -> None:
    """Rewrite the snapshot of an event recorded earlier in the same transaction (nobody has seen it yet):
    Stripe's customer.subscription.created already shows the state the create call ended in."""
    ctx.store.replace_event_object(ctx.account_id, event_id, snapshots.pack(orjson.dumps(obj)))
