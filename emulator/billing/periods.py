"""Billing periods: boundaries counted from the billing cycle anchor with month-end clamping.

Stripe computes every period boundary from the anchor, not from the previous boundary, so an anchor on the
31st bills Jan 31 -> Feb 28 (29 in leap years) -> Mar 31 -> Apr 30 without drifting; the anchor's UTC time
of day is kept. Day and week intervals are fixed lengths (86400 s, 7 x 86400 s).
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from dateutil.relativedelta import relativedelta

DAY = 86400
INTERVAL_MONTHS = {"month": 1, "year": 12}
INTERVAL_SECONDS = {"day": DAY, "week": 7 * DAY}


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """The n-th period boundary after `anchor` (n may be negative) for `count` x `interval`."""
    if interval in INTERVAL_SECONDS:
        return anchor + n * count * INTERVAL_SECONDS[interval]
    return _month_boundary(anchor, n * count * INTERVAL_MONTHS[interval])


@lru_cache(maxsize=65536)
def _month_boundary(anchor: int, months: int) -> int:
    # Renewals ask for the same few boundaries of the same anchors again and again.
    start = datetime.fromtimestamp(anchor, timezone.utc)
    return int((start + relativedelta(months=months)).timestamp())


def period_containing(anchor: int, interval: str, count: int, moment: int) -> tuple[int, int]:
    """The [start, end) period of the cycle anchored at `anchor` that contains `moment`."""
    if interval in INTERVAL_SECONDS:
        length = count * INTERVAL_SECONDS[interval]
        n = (moment - anchor) // length
        return anchor + n * length, anchor + (n + 1) * length
    months = count * INTERVAL_MONTHS[interval]
    start_dt = datetime.fromtimestamp(anchor, timezone.utc)
    moment_dt = datetime.fromtimestamp(moment, timezone.utc)
    n = ((moment_dt.year - start_dt.year) * 12 + moment_dt.month - start_dt.month) // months + 1
    while boundary(anchor, interval, count, n) > moment:
        n -= 1
    while boundary(anchor, interval, count, n + 1) <= moment:
        n += 1
    return boundary(anchor, interval, count, n), boundary(anchor, interval, count, n + 1)


def next_boundary(anchor: int, interval: str, count: int, after: int) -> int:
    """The first boundary strictly after `after`."""
    return period_containing(anchor, interval, count, after)[1]


def same_interval(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two `recurring` hashes bill on the same cycle (interval and interval_count)."""
    return (a["interval"], a["interval_count"]) == (b["interval"], b["interval_count"])


def anchor_from_config(start: int, interval: str, count: int, day_of_month: int, month: int | None = None,
                       hour: int | None = None, minute: int | None = None, second: int | None = None) -> int:
    """Stripe's `billing_cycle_anchor_config`: the first moment after `start` falling on `day_of_month`
    (clamped to the month's length; for yearly prices in `month`), at the given time of day (unset parts
    take the start's UTC time)."""
    import calendar

    origin = datetime.fromtimestamp(start, timezone.utc)
    h = origin.hour if hour is None else hour
    m = origin.minute if minute is None else minute
    s = origin.second if second is None else second
    step = relativedelta(years=1) if interval == "year" else relativedelta(months=1)
    year, mon = origin.year, (month if interval == "year" and month else origin.month)
    for _ in range(40):
        last = calendar.monthrange(year, mon)[1]
        candidate = datetime(year, mon, min(day_of_month, last), h, m, s, tzinfo=timezone.utc)
        if candidate.timestamp() > start:
            return int(candidate.timestamp())
        shifted = datetime(year, mon, 1, tzinfo=timezone.utc) + step
        year, mon = shifted.year, shifted.month
    raise ValueError("no anchor found")
