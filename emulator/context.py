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
    # Set while the lifecycle engine runs a transition: the emulated moment it happens at.
    frozen_now: int | None = None
    # Per-request scratch space (e.g. which PaymentMethod a test token became in this request).
    memo: dict[str, Any] = field(default_factory=dict)
    # The kind of API key the request used: "sk" (secret) or "pk" (publishable, for Stripe.js calls).
    key_kind: str = "sk"

    @property
    def account_id(self) -> str:
        return self.account.id

    def now(self) -> int:
        """The current time: the transition's moment inside the engine, else wall time plus the
        account's global shift."""
        if self.frozen_now is not None:
            return self.frozen_now
        return clock.now(self.account.clock_offset)

    def at(self, moment: int) -> "Ctx":
        """A copy of this context living at `moment` (no request: events get request id null)."""
        return self._moved(frozen_now=moment, request_id=None, idempotency_key=None)

    def _moved(self, **changes: Any) -> "Ctx":
        # dataclasses.replace re-runs __init__, several times slower; this runs at least once per transition.
        moved = object.__new__(Ctx)
        moved.__dict__.update(self.__dict__, **changes)
        return moved

    def on_clock(self, test_clock: str | None) -> "Ctx":
        """This request's context living at the test clock's frozen time (objects of customers on a clock
        are created, changed and evented at the clock's time); unchanged without a clock."""
        if not test_clock or self.frozen_now is not None:
            return self
        return self._moved(frozen_now=self.time_for(test_clock))

    def on_customer_clock(self, customer_id: str | None) -> "Ctx":
        """`on_clock` for whatever belongs to a customer (its PaymentIntents, refunds, tax IDs...)."""
        if not customer_id or self.frozen_now is not None:
            return self
        customer = self.store.get(self.account_id, customer_id, "customer") or {}
        return self.on_clock(customer.get("test_clock"))

    def time_for(self, test_clock: str | None) -> int:
        """Now for an object on `test_clock` (its frozen time) or on the account's clock."""
        if test_clock and self.frozen_now is None:
            clock_object = self.store.get(self.account_id, test_clock)
            if clock_object is not None and "frozen_time" in clock_object:
                return int(clock_object["frozen_time"])
        return self.now()
