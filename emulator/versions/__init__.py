"""API versions: objects are built in the newest shape; older shapes come from a chain of transforms.

Each change is registered with the version that introduced it and the object types it touches. To render
for version V, every change newer than V is undone, newest first. The same chain renders API responses
(the request's Stripe-Version, else the account default) and webhook payloads (the endpoint's version).
Request-side changes (parameters older versions accepted) live beside the resources that accept them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from dataclasses import dataclass
from typing import Any

from emulator.config import LATEST_API_VERSION
from emulator.errors import InvalidRequestError

Resolver = Callable[[str], "dict[str, Any] | None"]
Transform = Callable[[dict[str, Any], Resolver], dict[str, Any]]


@dataclass(frozen=True)
class VersionChange:
    version: str
    object_types: frozenset[str]
    undo: Transform
    description: str


CHANGES: list[VersionChange] = []


def change(version: str, *object_types: str, description: str = "") -> Callable[[Transform], Transform]:
    """Register a transform that turns an object of `object_types` from `version`'s shape into the shape
    of the version just before it."""

    def register(fn: Transform) -> Transform:
        CHANGES.append(VersionChange(version, frozenset(object_types), fn, description or (fn.__doc__ or "")))
        CHANGES.sort(key=lambda c: c.version, reverse=True)
        return fn

    return register


def version_date(version: str) -> str:
    return version[:10]


def _known_versions() -> frozenset[str]:
    # Stripe's list of API versions, as stripe-python enumerates them for webhook endpoints' api_version.
    spec = json.loads(resources.files("emulator").joinpath("spec/params.json").read_text())
    return frozenset(spec["operations"]["POST /v1/webhook_endpoints"]["properties"]["api_version"]["enum"])


KNOWN_VERSIONS = _known_versions()


def validate(version: str) -> str:
    """Accept the API versions Stripe has released (`2023-08-16`, `2025-03-31.basil`, ...); reject others."""
    version = version.strip()
    if version not in KNOWN_VERSIONS:
        raise InvalidRequestError(
            f"Invalid Stripe API version: {version}. Versions look like '{LATEST_API_VERSION}', the newest "
            "this emulator knows.", param="Stripe-Version")
    return version


def _no_resolver(object_id: str) -> None:
    return None


def downgrade(obj: Any, version: str, resolve: Resolver = _no_resolver) -> Any:
    """Render `obj` (newest shape, possibly with nested and expanded objects) in `version`'s shape.
    `resolve` loads an object by id for changes that embedded what newer versions only reference."""
    target = version_date(version)
    pending = [c for c in CHANGES if version_date(c.version) > target]
    if not pending:
        return obj
    return _walk(obj, pending, resolve)


def _walk(value: Any, pending: list[VersionChange], resolve: Resolver) -> Any:
    if isinstance(value, list):
        return [_walk(item, pending, resolve) for item in value]
    if not isinstance(value, dict):
        return value
    # Parents first: a change may read its children in the newer shape (basil reads item periods).
    result = dict(value)
    object_type = result.get("object")
    if isinstance(object_type, str) and not result.get("deleted"):
        for version_change in pending:
            if object_type in version_change.object_types:
                result = version_change.undo(result, resolve)
    return {key: _walk(item, pending, resolve) for key, item in result.items()}


RequestTransform = Callable[[dict[str, Any]], dict[str, Any]]
REQUEST_CHANGES: dict[str, list[tuple[str, RequestTransform]]] = {}


def request_change(version: str, *operations: str) -> Callable[[RequestTransform], RequestTransform]:
    """Register how a request made in a version older than `version` is rewritten into today's parameters
    (e.g. `coupon=X` on promotion codes before clover becomes `promotion[type]=coupon&promotion[coupon]=X`).
    `operations` are "METHOD /v1/path/{}" keys; the transform gets and returns the decoded raw params."""

    def register(fn: RequestTransform) -> RequestTransform:
        for key in operations:
            REQUEST_CHANGES.setdefault(key, []).append((version, fn))
            REQUEST_CHANGES[key].sort(key=lambda item: item[0])
        return fn

    return register


def upgrade_request(operation_key: str, version: str, params: dict[str, Any]) -> dict[str, Any]:
    """Apply, oldest first, every request change newer than the request's version."""
    for change_version, fn in REQUEST_CHANGES.get(operation_key, ()):
        if version_date(version) < version_date(change_version):
            params = fn(params)
    return params


def is_before(version: str, reference: str) -> bool:
    """True when `version` predates `reference` (by date; Stripe versions order by their date)."""
    return version_date(version) < version_date(reference)


# Importing the change modules registers them.
from emulator.versions import changes  # noqa: E402,F401
