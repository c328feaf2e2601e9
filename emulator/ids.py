"""Object ids and secrets.

Object ids look like Stripe's (`cus_` + 14 characters, most others + 24), and like Stripe's they start with
"1" and an increasing part, then random characters: ids made later sort later. That keeps SQLite's id
indexes appending at their end instead of splitting pages all over (random ids make inserts several times
slower once a table holds a few hundred thousand rows). The increasing part is a per-process counter that
starts from the start-up time in milliseconds; the random part comes from a per-process generator seeded
from os.urandom (or from ID_SEED for reproducible runs, with the process id mixed in, the counter then
starting at a fixed value) and reseeded in every forked worker, so gunicorn workers never collide. Secrets (webhook
signing secrets, portal tokens, client secrets) always come from the `secrets` module and are never seeded.
"""

from __future__ import annotations

import base64
import itertools
import os
import random
import secrets
import string
import threading

from emulator import clock

ALPHABET = string.ascii_letters + string.digits

# Stripe's id lengths after the prefix, where they differ from the default.
_LENGTHS = {"cus": 14, "prod": 14, "acct": 16, "req": 14, "clock": 24, "promo": 24}
_DEFAULT_LENGTH = 24

# Ordered characters (ASCII order, so string order is numeric order) and the width of the increasing part.
_ORDERED = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ORDERED_WIDTH = 7  # 62**7 milliseconds is over a century

# Where the increasing part starts in reproducible (ID_SEED) runs: 2026-01-01T00:00:00Z in milliseconds.
SEEDED_START_MS = 1_767_225_600_000

_lock = threading.Lock()
_rng = random.Random(os.urandom(32))
_seeded: int | str | None = None
_sequence = itertools.count(clock.wall_now_ms())


def seed(value: int | str | None) -> None:
    """Make object ids reproducible (None draws a fresh seed from os.urandom)."""
    global _rng, _seeded, _sequence, _pool, _pool_position
    with _lock:
        _seeded = value
        _pool, _pool_position = "", 0
        _rng = random.Random(os.urandom(32)) if value is None else random.Random(f"{value}:{os.getpid()}")
        _sequence = itertools.count(clock.wall_now_ms() if value is None else SEEDED_START_MS)


_ORDERED_PAIRS = [high + low for high in _ORDERED for low in _ORDERED]


def _ordered(number: int) -> str:
    """`number` in _ORDERED_WIDTH (7) base-62 digits: one digit and three pairs."""
    number, low = divmod(number, 3844)
    number, middle = divmod(number, 3844)
    number, high = divmod(number, 3844)
    return _ORDERED[number % 62] + _ORDERED_PAIRS[high] + _ORDERED_PAIRS[middle] + _ORDERED_PAIRS[low]


def _reseed_after_fork() -> None:
    # gunicorn forks workers from one parent: each child needs its own id stream.
    seed(_seeded)


os.register_at_fork(after_in_child=_reseed_after_fork)


_TO_ALPHANUMERIC = bytes.maketrans(b"+/", b"xZ")


_POOL_BYTES = 3 * 1024
_pool = ""
_pool_position = 0


def random_chars(length: int) -> str:
    """`length` random letters and digits, cut from a pool refilled 4 KB at a time (base64 of the generator's
    random bytes with its two symbols replaced): a fraction of a microsecond per id."""
    global _pool, _pool_position
    with _lock:
        if _pool_position + length > len(_pool):
            _pool = base64.b64encode(_rng.randbytes(_POOL_BYTES)).translate(_TO_ALPHANUMERIC).decode()
            _pool_position = 0
        start = _pool_position
        _pool_position += length
        return _pool[start:_pool_position]


def new_id(prefix: str, length: int | None = None) -> str:
    """A new object id with Stripe's prefix, e.g. new_id("sub") -> "sub_1Q2w3E...": "1", the increasing
    part, random letters and digits."""
    size = length or _LENGTHS.get(prefix, _DEFAULT_LENGTH)
    return f"{prefix}_1{_ordered(next(_sequence))}{random_chars(size - 1 - _ORDERED_WIDTH)}"


def new_secret(prefix: str, nbytes: int = 24) -> str:
    """A secret token (whsec_, portal session token, client_secret suffix); never seeded."""
    return f"{prefix}{secrets.token_urlsafe(nbytes).replace('-', 'x').replace('_', 'y')}"


def coupon_code(length: int = 8) -> str:
    """Stripe's generated coupon ids are 8 upper-case letters and digits."""
    with _lock:
        return "".join(_rng.choices(string.ascii_uppercase + string.digits, k=length))


def new_passcode(digits: int = 6) -> str:
    """A one-time passcode of `digits` decimal digits (the portal's email verification); never seeded."""
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"
