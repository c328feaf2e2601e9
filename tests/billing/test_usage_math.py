"""Table tests of meter aggregation (sum / count / last, grouping windows) and metered price amounts."""

from __future__ import annotations

import pytest

from emulator.billing import pricing, usage


@pytest.mark.parametrize("formula,values,expected", [
    ("sum", [], 0),
    ("sum", [5, 10, 20, 1], 36),
    ("sum", [5, -2], 3),
    ("count", [], 0),
    ("count", [5, 10, 20], 3),
    ("last", [], 0),
    ("last", [5, 10, 3], 3),
])
def test_aggregate(formula: str, values: list[int], expected: int) -> None:
    assert usage.aggregate(formula, values) == expected


@pytest.mark.parametrize("formula,events,size,expected", [
    ("sum", [], 86400, []),
    ("sum", [(3600, 5), (7200, 10), (86460, 20)], 86400, [(0, 86400, 15), (86400, 172800, 20)]),
    ("count", [(3600, 5), (7200, 10), (86460, 20)], 3600, [(3600, 7200, 1), (7200, 10800, 1), (86400, 90000, 1)]),
    ("last", [(10, 5), (20, 9), (90000, 4)], 86400, [(0, 86400, 9), (86400, 172800, 4)]),
])
def test_group(formula: str, events: list[tuple[int, int]], size: int,
               expected: list[tuple[int, int, int]]) -> None:
    assert usage.group(formula, events, size) == expected


GRADUATED = {"billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": [
    {"up_to": 1000, "unit_amount_decimal": "0", "flat_amount_decimal": None},
    {"up_to": 5000, "unit_amount_decimal": "2", "flat_amount_decimal": "500"},
    {"up_to": None, "unit_amount_decimal": "1", "flat_amount_decimal": None}]}
VOLUME = {**GRADUATED, "tiers_mode": "volume"}


@pytest.mark.parametrize("price,quantity,expected", [
    ({"billing_scheme": "per_unit", "unit_amount_decimal": "0.5"}, 1234, 617),
    ({"billing_scheme": "per_unit", "unit_amount_decimal": "3"}, 0, 0),
    (GRADUATED, 0, 0),
    (GRADUATED, 1000, 0),
    (GRADUATED, 1500, 1500),            # 500 flat + 500 units x 2
    (GRADUATED, 6000, 9500),            # 500 + 4000 x 2 + 1000 x 1
    (VOLUME, 1500, 3500),               # every unit at tier 2 + its flat amount
    (VOLUME, 6000, 6000),
])
def test_metered_amounts(price: dict[str, object], quantity: int, expected: int) -> None:
    assert pricing.amount(price, quantity) == expected
