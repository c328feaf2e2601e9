"""Configuration defaults. Every key can be overridden by create_app(config) or STRIPE_EMULATOR_* env vars."""

from __future__ import annotations

import os
from typing import Any

LATEST_API_VERSION = "2026-10-28.endive"
DEMO_SECRET_KEY = "sk_test_demo"

DEFAULTS: dict[str, Any] = {
    "DATABASE": "./stripe-emulator.sqlite3",
    "HOST": "127.0.0.1",
    "PORT": 12111,
    # The API version an account gets when it is created on first use of its key.
    "API_VERSION": LATEST_API_VERSION,
    # Seed for object ids (reproducible runs); None draws from os.urandom. Secrets are never seeded.
    "ID_SEED": None,
    # Apply Stripe's test-clock complexity limits (3 customers per clock, 3 subscriptions per customer).
    "STRIPE_LIMITS": False,
    # Idempotency keys are kept this long, as Stripe prunes them after at least 24 hours.
    "IDEMPOTENCY_TTL_SECONDS": 24 * 3600,
    # The base URL put into hosted pages links (portal sessions, hosted invoices); None = from the request.
    "PUBLIC_URL": None,
}


def from_environment() -> dict[str, Any]:
    """Read STRIPE_EMULATOR_<KEY> environment variables for every default key."""
    found: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"STRIPE_EMULATOR_{key}")
        if raw is None:
            continue
        if isinstance(default, bool):
            found[key] = raw.lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, int):
            found[key] = int(raw)
        else:
            found[key] = raw
    return found
