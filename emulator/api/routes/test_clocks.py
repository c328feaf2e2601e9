from __future__ import annotations

from typing import Any

from emulator import engine
from emulator.api import Deferred, operation
from emulator.context import Ctx
from emulator.resources import common, test_clocks

BASE = "/v1/test_helpers/test_clocks"


@operation("POST", BASE, supports=("customer", "frozen_time", "name"))
def create_test_clock(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return test_clocks.create(ctx, params)


@operation("GET", BASE, supports=common.LIST_PARAMS)
def list_test_clocks(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return test_clocks.list_(ctx, params)


@operation("GET", BASE + "/<test_clock>")
def retrieve_test_clock(ctx: Ctx, params: dict[str, Any], test_clock: str) -> dict[str, Any]:
    return test_clocks.retrieve(ctx, test_clock)


@operation("DELETE", BASE + "/<test_clock>")
def delete_test_clock(ctx: Ctx, params: dict[str, Any], test_clock: str) -> dict[str, Any]:
    return test_clocks.delete(ctx, test_clock)


@operation("POST", BASE + "/<test_clock>/advance", supports=("frozen_time",))
def advance_test_clock(ctx: Ctx, params: dict[str, Any], test_clock: str) -> Deferred:
    test_clocks.begin_advance(ctx, test_clock, params)
    # The advance completes before the answer returns: the clock is `ready` in the response.
    return Deferred(lambda: engine.finish_advance(ctx, test_clock))
