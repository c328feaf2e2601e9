"""Aggregating billing meter events: what a period (or a summary window) of usage amounts to.

`sum` adds the values, `count` counts the events, `last` takes the value of the latest event (0 without
events). Values are whole numbers; events are given in time order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

FORMULAS = ("count", "last", "sum")
WINDOWS = {"hour": 3600, "day": 86400}


def aggregate(formula: str, values: Sequence[int]) -> int:
    """Stripe's meter aggregation of the values of one window's events (time-ordered)."""
    if formula == "count":
        return len(values)
    if formula == "last":
        return values[-1] if values else 0
    return sum(values)


def group(formula: str, events: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int, int]]:
    """(start, end, aggregate) for each UTC window of `size` seconds that holds at least one of the
    time-ordered (timestamp, value) events."""
    buckets: dict[int, list[int]] = {}
    for timestamp, value in events:
        buckets.setdefault(timestamp - timestamp % size, []).append(value)
    return [(start, start + size, aggregate(formula, values)) for start, values in sorted(buckets.items())]
