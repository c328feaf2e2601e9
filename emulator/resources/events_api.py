"""`/v1/events`: list (type, types, created, delivery_success filters) and retrieve, rendered in the reader's
API version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError, ResourceMissingError
from emulator.events import EVENT_COLUMNS, row_to_event
from emulator.resources.common import CREATED_OPS

MAX_TYPES = 20


def retrieve(ctx: Ctx, event_id: str) -> dict[str, Any]:
    """`GET /v1/events/{id}`."""
    row = ctx.store.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE account = ? AND id = ?",
                            (ctx.account_id, event_id)).fetchone()
    if row is None:
        raise ResourceMissingError("event", event_id)
    return row_to_event(row, ctx.api_version)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/events`: newest first; `type` accepts Stripe's `*` wildcard (`customer.*`)."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequestError("Invalid limit: must be an integer between 1 and 100", param="limit")
    if params.get("type") and params.get("types"):
        raise InvalidRequestError("You may only specify one of these parameters: type, types.", param="types")
    if len(params.get("types") or ()) > MAX_TYPES:
        raise InvalidRequestError(f"Invalid array: types may contain at most {MAX_TYPES} event types.",
                                  param="types")
    clauses, args = ["account = ?"], [ctx.account_id]
    if "delivery_success" in params:
        # false: events some endpoint has not received (yet: pending; or never: failed, or stopped because the
        # endpoint was disabled or deleted); true: the others.
        undelivered = "EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event = events.id " \
                      "AND d.status != 'succeeded')"
        clauses.append(f"NOT {undelivered}" if params["delivery_success"] else undelivered)
    if params.get("type"):
        pattern = params["type"]
        if "*" in pattern:
            clauses.append("type GLOB ?")
        else:
            clauses.append("type = ?")
        args.append(pattern)
    if params.get("types"):
        clauses.append(f"type IN ({','.join('?' * len(params['types']))})")
        args.extend(params["types"])
    created = params.get("created")
    if isinstance(created, Mapping):
        for op, value in created.items():
            clauses.append(f"created {CREATED_OPS[op]} ?")
            args.append(value)
    elif created is not None:
        clauses.append("created = ?")
        args.append(created)
    order = "DESC"
    for cursor, comparison in (("starting_after", "<"), ("ending_before", ">")):
        if params.get(cursor):
            row = ctx.store.execute("SELECT seq FROM events WHERE account = ? AND id = ?",
                                    (ctx.account_id, params[cursor])).fetchone()
            if row is None:
                raise ResourceMissingError("event", params[cursor], param=cursor)
            clauses.append(f"seq {comparison} ?")
            args.append(row[0])
            if cursor == "ending_before":
                order = "ASC"
    rows = ctx.store.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY seq {order} LIMIT ?",
        (*args, limit + 1)).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if order == "ASC":
        rows.reverse()
    return {"object": "list", "data": [row_to_event(row, ctx.api_version) for row in rows],
            "has_more": has_more, "url": "/v1/events"}
