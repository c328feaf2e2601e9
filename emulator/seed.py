"""Loading fixture catalogs (fixtures/<name>.json) through the same resource functions the API uses.

A fixture lists objects per resource in creation order; `"ref": "name"` gives an object a local name and
`"@name"` anywhere in a later object's params is replaced by that object's real id. Seeding is skipped
when the account already holds the fixture's first product (so `make run` twice keeps one catalog).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from flask import Flask

from emulator import config as config_module
from emulator.context import Ctx
from emulator.paths import data_dir
from emulator.resources import accounts
from emulator.store import Store, connection_for

# Resource name in the fixture -> module in emulator.resources (each has create(ctx, params)).
ORDER = ("products", "prices", "coupons", "promotion_codes", "customers", "billing_portal_configurations",
         "subscriptions")


def load_fixture(name: str) -> dict[str, Any]:
    path = data_dir("fixtures") / f"{name}.json"
    if not path.exists():
        raise ValueError(f"No fixture named {name!r} in {path.parent}")
    return json.loads(path.read_text())


def seed_fixture(app: Flask, name: str, secret_key: str = config_module.DEMO_SECRET_KEY) -> str:
    """Create the fixture's objects in the account of `secret_key`; returns a one-line summary."""
    fixture = load_fixture(name)
    store = Store(connection_for(app.config["DATABASE"]))
    parsed = accounts.parse_key(secret_key)
    if parsed is None:
        raise ValueError(f"not a test secret key: {secret_key}")
    account = accounts.get_or_create(store, parsed[1], app.config["API_VERSION"])
    ctx = Ctx(store=store, account=account, api_version=account.api_version,
              request_id=None, idempotency_key=None, settings=app.config)
    first_product = (fixture.get("products") or [{}])[0].get("params", {}).get("id")
    if first_product and store.exists(account.id, first_product):
        return f"Demo catalog '{name}' already present under {secret_key}"
    refs: dict[str, str] = {}
    counts: dict[str, int] = {}
    with app.app_context(), store.transaction():
        for resource in ORDER:
            entries = fixture.get(resource) or []
            if not entries:
                continue
            module = importlib.import_module(f"emulator.resources.{resource}")
            for entry in entries:
                params = _resolve(entry.get("params", {}), refs)
                obj = module.create(ctx, params)
                if entry.get("ref"):
                    refs[entry["ref"]] = obj["id"]
                counts[resource] = counts.get(resource, 0) + 1
    listing = ", ".join(f"{count} {resource}" for resource, count in counts.items())
    return f"Seeded '{name}' under {secret_key}: {listing}"


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return refs[value[1:]]
    if isinstance(value, dict):
        return {key: _resolve(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, refs) for item in value]
    return value
