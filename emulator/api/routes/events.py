from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import events_api


@operation("GET", "/v1/events", supports=("limit", "starting_after", "ending_before", "created", "type",
                                          "types", "delivery_success"))
def list_events(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return events_api.list_(ctx, params)


@operation("GET", "/v1/events/<id>")
def retrieve_event(ctx: Ctx, params: dict[str, Any], id: str) -> dict[str, Any]:
    return events_api.retrieve(ctx, id)
