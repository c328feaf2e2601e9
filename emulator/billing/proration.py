"""Per-second proration, each line rounded to the cent on its own.

For a change at `t` inside the period [start, end): fraction = (end - t) / (end - start) (seconds), the old
configuration is credited `-round(old_amount * fraction)` ("Unused time on ...") and the new one debited
`round(new_amount * fraction)` ("Remaining time on ..."); a quantity change credits the whole old quantity
and debits the whole new one. Rounding is half away from zero by default (Stripe's tie rule is
unconfirmed; HALF_EVEN is selectable). Arithmetic is exact (Fraction), so ties are real ties.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

HALF_UP = "half_up"
HALF_EVEN = "half_even"


def round_amount(value: Fraction | Decimal | int, mode: str = HALF_UP) -> int:
    """Round an exact amount of minor units to an integer (half away from zero, or half to even)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    rounding = ROUND_HALF_EVEN if mode == HALF_EVEN else ROUND_HALF_UP
    return int(exact.quantize(Decimal(1), rounding=rounding))


def fraction_remaining(start: int, end: int, moment: int) -> Fraction:
    """Share of the period [start, end) left after `moment`, clamped to [0, 1]."""
    if end <= start:
        return Fraction(0)
    remaining = min(max(end - moment, 0), end - start)
    return Fraction(remaining, end - start)


def prorate(amount: Decimal | int, start: int, end: int, moment: int, mode: str = HALF_UP) -> int:
    """`amount` (minor units for the whole period, possibly fractional) for the time left after `moment`."""
    exact = Fraction(Decimal(amount)) * fraction_remaining(start, end, moment)
    return round_amount(exact, mode)
