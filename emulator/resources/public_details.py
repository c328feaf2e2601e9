"""The account's public details, which Stripe keeps in the Dashboard (Settings → Public details) and shows to
customers: the business name (the customer portal's header and return link, invoices' `account_name`, the
account's `business_profile.name`), the support email, phone and URL, the website, and the terms of service
and privacy policy links the portal falls back to when its configuration has none. Stored as an internal
mark of the account; set through the control API and the emulator's dashboard."""

from __future__ import annotations

import re
from typing import Any

import orjson

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

DEFAULT_BUSINESS_NAME = "Stripe Portal Emulator"
URL_FIELDS = ("support_url", "url", "terms_of_service_url", "privacy_policy_url")
FIELDS = ("business_name", "support_email", "support_phone", *URL_FIELDS)
MAX_NAME_LENGTH = 100
_MARK = "public_details"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,20}$")


def settings(ctx: Ctx) -> dict[str, Any]:
    """Every public detail (None when unset; the business name defaults to the emulator's). Read once per
    transaction: invoices copy the name into `account_name`."""
    key = f"public_details:{ctx.account_id}"
    cached = ctx.store.memo.get(key)
    if cached is None:
        stored = orjson.loads(common.mark_of(ctx, ctx.account_id, _MARK) or "{}")
        cached = {field: stored.get(field) for field in FIELDS}
        cached["business_name"] = cached["business_name"] or DEFAULT_BUSINESS_NAME
        if ctx.store.in_transaction:
            ctx.store.memo[key] = cached
    return dict(cached)


def business_name(ctx: Ctx) -> str:
    return str(settings(ctx)["business_name"])


def update(ctx: Ctx, params: dict[str, str]) -> dict[str, Any]:
    """Change the public details: only the given fields change; an empty value clears one (the business name
    returns to the default). URLs are http(s), the email an address, the phone digits and separators."""
    unknown = sorted(set(params) - set(FIELDS))
    if unknown:
        raise InvalidRequestError(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    stored = orjson.loads(common.mark_of(ctx, ctx.account_id, _MARK) or "{}")
    for field, raw in params.items():
        stored[field] = _checked(field, raw.strip())
    common.set_mark(ctx, ctx.account_id, _MARK, orjson.dumps(stored).decode())
    ctx.store.memo.pop(f"public_details:{ctx.account_id}", None)
    return settings(ctx)


def _checked(field: str, value: str) -> str | None:
    if not value:
        return None
    if field == "business_name" and len(value) > MAX_NAME_LENGTH:
        raise InvalidRequestError(f"The business name must be at most {MAX_NAME_LENGTH} characters.", param=field)
    if field in URL_FIELDS and not re.match(r"^https?://[^\s]+$", value):
        raise InvalidRequestError(f"Invalid URL for {field}: {value!r}. Use an http:// or https:// address.",
                                  param=field)
    if field == "support_email" and not _EMAIL.match(value):
        raise InvalidRequestError(f"Invalid email address: {value!r}.", param=field)
    if field == "support_phone" and not _PHONE.match(value):
        raise InvalidRequestError(f"Invalid phone number: {value!r}.", param=field)
    return value
