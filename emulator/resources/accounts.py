"""Accounts: each distinct secret key `sk_test_<suffix>` is its own isolated Stripe account, created on
first use; `pk_test_<suffix>` is its publishable key. `GET /v1/account` answers with an account object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator import clock, ids
from emulator.context import Account, Ctx
from emulator.resources import public_details
from emulator.store import Store

KEY_PATTERN = re.compile(r"^(sk|pk|rk)_test_([A-Za-z0-9_]{1,247})$")


def parse_key(key: str) -> tuple[str, str] | None:
    """("sk"|"pk"|"rk", suffix) for a test-mode key, else None."""
    match = KEY_PATTERN.match(key)
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class RequestFacts:
    """What every API request needs to know about its account, read in one statement."""

    account: Account
    has_due_transitions: bool  # clock-less timers due now: the request catches them up first
    has_webhook_endpoints: bool  # else no event needs a delivery and the outbox need not look


def facts_for_request(store: Store, suffix: str, default_version: str) -> RequestFacts:
    """The account of `sk_test_<suffix>` (created on first use) with the facts a request needs."""
    row = store.execute(
        "SELECT id, secret_key, publishable_key, api_version, clock_offset, created, "
        "EXISTS (SELECT 1 FROM timers t WHERE t.account = a.id AND t.clock IS NULL "
        "AND t.due_at <= ? + a.clock_offset), "
        "EXISTS (SELECT 1 FROM objects o WHERE o.account = a.id AND o.object = 'webhook_endpoint' "
        "AND o.deleted = 0) FROM accounts a WHERE secret_key = ?", (clock.wall_now(), f"sk_test_{suffix}")).fetchone()
    if row is None:
        return RequestFacts(get_or_create(store, suffix, default_version), False, False)
    return RequestFacts(Account(*row[:6]), bool(row[6]), bool(row[7]))


def get_or_create(store: Store, suffix: str, default_version: str) -> Account:
    """The account owning `sk_test_<suffix>`, created (in its own transaction) when first seen."""
    secret = f"sk_test_{suffix}"
    row = store.execute(
        "SELECT id, secret_key, publishable_key, api_version, clock_offset, created FROM accounts "
        "WHERE secret_key = ?", (secret,)).fetchone()
    if row is None:
        with store.transaction():
            store.execute(
                "INSERT OR IGNORE INTO accounts (id, secret_key, publishable_key, api_version, clock_offset, "
                "created) VALUES (?, ?, ?, ?, 0, ?)",
                (ids.new_id("acct"), secret, f"pk_test_{suffix}", default_version, clock.wall_now()))
        row = store.execute(
            "SELECT id, secret_key, publishable_key, api_version, clock_offset, created FROM accounts "
            "WHERE secret_key = ?", (secret,)).fetchone()
    return Account(*row)


def retrieve(ctx: Ctx) -> dict[str, Any]:
    """`GET /v1/account`: the account object for the key (integrations call it to check their keys)."""
    account = ctx.account
    details = public_details.settings(ctx)
    return {
        "id": account.id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None, "estimated_worker_count": None, "mcc": None,
            "minority_owned_business_designation": None, "monthly_estimated_revenue": {"amount": 0, "currency": "usd"},
            "name": details["business_name"], "product_description": None,
            "specified_commercial_transactions_act_url": None, "support_address": None,
            "support_email": details["support_email"], "support_phone": details["support_phone"],
            "support_url": details["support_url"], "url": details["url"],
        },
        "business_type": None,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": account.created,
        "default_currency": "usd",
        "details_submitted": True,
        "email": "emulator@example.com",
        "external_accounts": {"object": "list", "data": [], "has_more": False,
                              "url": f"/v1/accounts/{account.id}/external_accounts"},
        "metadata": {},
        "payouts_enabled": True,
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": "standard",
    }


def load(store: Store, account_id: str) -> Account:
    """The account by id (background work such as webhook delivery has no key to start from)."""
    row = store.execute("SELECT id, secret_key, publishable_key, api_version, clock_offset, created FROM accounts "
                        "WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        raise LookupError(account_id)
    return Account(*row)
