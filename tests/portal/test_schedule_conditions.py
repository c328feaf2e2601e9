"""The `schedule_at_period_end` conditions as a table (the rule itself; the pages are tested in Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.resources.portal_updates import schedules_change


def price(amount: int, interval: str = "month", count: int = 1) -> dict[str, Any]:
    return {"billing_scheme": "per_unit", "unit_amount": amount, "unit_amount_decimal": str(amount),
            "recurring": {"interval": interval, "interval_count": count}}


def configuration(*conditions: str) -> dict[str, Any]:
    return {"features": {"subscription_update": {"schedule_at_period_end": {
        "conditions": [{"type": condition} for condition in conditions]}}}}


BOTH = ("decreasing_item_amount", "shortening_interval")


@pytest.mark.parametrize(("conditions", "old", "old_qty", "new", "new_qty", "scheduled"), [
    (BOTH, price(5000), 1, price(2000), 1, True),  # cheaper price
    (BOTH, price(2000), 3, price(2000), 2, True),  # fewer units
    (BOTH, price(2000), 1, price(5000), 1, False),  # upgrade
    (BOTH, price(2000), 1, price(2000), 2, False),  # more units
    (BOTH, price(1500), 1, price(15000, "year"), 1, True),  # a year costs less than 12 months
    (BOTH, price(1500), 1, price(18000, "year"), 1, False),  # a year costs more than 12 months
    (BOTH, price(15000, "year"), 1, price(1500), 1, True),  # shorter interval, even though dearer per month
    (("decreasing_item_amount",), price(15000, "year"), 1, price(1500), 1, False),
    (("shortening_interval",), price(5000), 1, price(2000), 1, False),
    (("shortening_interval",), price(3000, "month", 3), 1, price(1000), 1, True),
    ((), price(5000), 1, price(2000), 1, False),  # no conditions: everything applies now
])
def test_conditions(conditions: tuple[str, ...], old: dict[str, Any], old_qty: int, new: dict[str, Any],
                    new_qty: int, scheduled: bool) -> None:
    assert schedules_change(configuration(*conditions), old, old_qty, new, new_qty) is scheduled
