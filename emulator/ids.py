"""Object ids and secrets.

Object ids look like Stripe's (`cus_` + 14 characters, most others + 24). They come from a per-process
generator that is either seeded (reproducible runs) or drawn from os.urandom; the process id is mixed in
so gunicorn workers never collide. Secrets (webhook signing secrets, portal tokens, client secrets)
always come from the `secrets` module and are never seeded.
"""

from __future__ import annotations

import os
import random
import secrets
import string
import threading

ALPHABET = string.ascii_letters + string.digits

# Stripe's id lengths after the prefix, where they differ from the default.
_LENGTHS = {"cus": 14, "prod": 14, "acct": 16, "req": 14, "clock": 24, "promo": 24}
_DEFAULT_LENGTH = 24

_lock = threading.Lock()
_rng: random.Random = random.SystemRandom()


def seed(value: int | str | None) -> None:
    """Make object ids reproducible (None restores os.urandom)."""
    global _rng
    with _lock:
        _rng = random.SystemRandom() if value is None else random.Random(f"{value}:{os.getpid()}")


def random_chars(length: int) -> str:
    with _lock:
        return "".join(_rng.choice(ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int | None = None) -> str:
    """A new object id with Stripe's prefix, e.g. new_id("sub") -> "sub_1Q2w3E...".

    Stripe's modern ids start with "1" followed by the account-shard characters; we mimic the look.
    """
    size = length or _LENGTHS.get(prefix, _DEFAULT_LENGTH)
    return f"{prefix}_{random_chars(size)}"


def new_secret(prefix: str, nbytes: int = 24) -> str:
    """A secret token (whsec_, portal session token, client_secret suffix); never seeded."""
    return f"{prefix}{secrets.token_urlsafe(nbytes).replace('-', 'x').replace('_', 'y')}"


def coupon_code(length: int = 8) -> str:
    """Stripe's generated coupon ids are 8 upper-case letters and digits."""
    with _lock:
        return "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(length))
