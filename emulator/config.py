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
    # Webhooks: "background" (a worker thread sends after the API answers), "sync" (sent before the API
    # answer returns; deterministic tests) or "off" (queued and listed, never sent).
    "WEBHOOK_DELIVERY": "background",
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,
    # Retries after a non-2xx answer or a timeout: base * 2^(attempt-1) seconds, capped, at most N attempts.
    "WEBHOOK_RETRY_BASE_SECONDS": 2.0,
    "WEBHOOK_RETRY_MAX_SECONDS": 300.0,
    "WEBHOOK_MAX_ATTEMPTS": 10,
    # Run due transitions of objects not on a test clock in a background thread (also caught up per request).
    "SCHEDULER": True,
    # invoice.upcoming is sent this many days before an automatically charged renewal (a Dashboard setting
    # in Stripe; its default is unconfirmed).
    "UPCOMING_INVOICE_DAYS": 3,
    # Dunning: days between retries of a failed renewal payment, and what happens after the last one.
    "DUNNING_RETRY_DAYS": "3,5,7",
    "DUNNING_FINAL_ACTION": "cancel",
    # Deliver to public internet hosts too (by default only loopback and private networks).
    "ALLOW_PUBLIC_WEBHOOK_URLS": False,
    # A portal session created without `configuration` when the account has no default configuration:
    # "create" saves the Dashboard's default configuration on first use; "error" refuses, as Stripe does in
    # test mode until the portal settings were saved once.
    "PORTAL_DEFAULT_CONFIGURATION": "create",
    # SQLite's `synchronous` pragma. "off": commits never wait for the disk (a killed emulator loses nothing,
    # a power cut could damage the file); "normal" or "full" trade speed for durability across OS crashes.
    "SQLITE_SYNCHRONOUS": "off",
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
        elif isinstance(default, float):
            found[key] = float(raw)
        else:
            found[key] = raw
    return found
