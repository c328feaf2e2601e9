"""The request context every resource function receives: which account, which store, what time it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator import clock
from emulator.store import Store


@dataclass
class Account:
    id: str
    secret_key: str
    publishable_key: str
    api_version: str
    clock_offset: int
    created: int


@dataclass
class Ctx:
    """What a resource function needs besides its parameters.

    `request_id`/`idempotency_key` end up in events' `request` field; both are None for changes the
    lifecycle engine makes on its own (renewals, clock advances), as in Stripe.
    """

    store: Store
    account: Account
    api_version: str
    request_id: str | None = None
    idempotency_key: str | None = None
    base_url: str = "http://127.0.0.1:12111"
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.account.id

    def now(self) -> int:
        """The account's current time (wall time plus the account's global shift)."""
        return clock.now(self.account.clock_offset)
