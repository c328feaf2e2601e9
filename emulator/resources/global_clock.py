"""The account's global clock: objects not on a test clock live at wall time plus a per-account shift that
the dashboard and `stripe-portal-emulator advance` move forward (never back)."""

from __future__ import annotations

import re

from emulator import clock
from emulator.context import Ctx
from emulator.errors import InvalidRequestError

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """'30d', '12h', '2w', '90m', '45s' -> seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InvalidRequestError(f"Invalid duration: {text!r} (use e.g. 30d, 12h, 2w).", param="by")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


# At most two years per move (a test clock without subscriptions has the same limit): a mistyped "3000000d"
# would otherwise run renewals for hours and leave the account past year 9999.
MAX_SHIFT = 730 * 86400


def shift_to(ctx: Ctx, target: int) -> int:
    """Move the account's clock to `target` (Unix seconds); returns the new offset. Forward only, at most two
    years at a time."""
    current = ctx.now()
    if target <= current:
        raise InvalidRequestError(f"The account's clock is already at {current}; it only moves forward.",
                                  param="to")
    if target - current > MAX_SHIFT:
        raise InvalidRequestError("The account's clock moves at most two years (730 days) at a time; advance in "
                                  "several steps.", param="to")
    offset = target - clock.wall_now()
    ctx.store.execute("UPDATE accounts SET clock_offset = ? WHERE id = ?", (offset, ctx.account_id))
    ctx.account.clock_offset = offset
    return offset
