from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import accounts


@operation("GET", "/v1/account")
def retrieve_account(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return accounts.retrieve(ctx)
