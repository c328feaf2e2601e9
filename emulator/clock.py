"""The only reader of wall time.

`time.time()` is looked up at call time so freezegun / time-machine move the emulator in-process.
An account's global shift (the dashboard's or CLI's "advance") is an offset in seconds stored in SQLite;
test clocks carry their own frozen time.
"""

from __future__ import annotations

import time


def wall_now() -> int:
    """Real (or test-frozen) Unix time in whole seconds."""
    return int(time.time())


def wall_now_ms() -> int:
    """Real (or test-frozen) Unix time in milliseconds (where ids start counting)."""
    return int(time.time() * 1000)


def wall_now_float() -> float:
    """Real (or test-frozen) Unix time with sub-second precision (webhook signatures, durations)."""
    return time.time()


def now(offset_seconds: int = 0) -> int:
    """The account's current time: wall time plus the account's global shift."""
    return int(time.time()) + offset_seconds
