"""Billing periods: boundaries counted from the billing cycle anchor with month-end clamping.

Stripe computes every period boundary from the anchor, not from the previous boundary, so an anchor on the
31st bills Jan 31 -> Feb 28 (29 in leap years) -> Mar 31 -> Apr 30 without drifting; the anchor's UTC time
of day is kept. Day and week intervals are fixed lengths (86400 s, 7 x 86400 s).
"""

from __future__ import annotations

from datetime import datetime, timezone

from dateutil.relativedelta import relativedelta

DAY = 86400
INTERVAL_MONTHS = {"month": 1, "year": 12}
INTERVAL_SECONDS = {"day": DAY, "week": 7 * DAY}


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """The n-th period boundary after `anchor` (n may be negative) for `count` x `interval`."""
    if interval in INTERVAL_SECONDS:
        return anchor + n * count * INTERVAL_SECONDS[interval]
    start = datetime.fromtimestamp(anchor, timezone.utc)
    return int((start + relativedelta(months=n * count * INTERVAL_MONTHS[interval])).timestamp())


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


def interval_seconds_estimate(interval: str, count: int) -> int:
    """Nominal length (for comparing intervals): months as 30 days, years as 365."""
    if interval in INTERVAL_SECONDS:
        return count * INTERVAL_SECONDS[interval]
    return count * INTERVAL_MONTHS[interval] * 30 * DAY


def same_interval(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two `recurring` hashes bill on the same cycle (interval and interval_count)."""
    return (a["interval"], a["interval_count"]) == (b["interval"], b["interval_count"])
