"""Discount amounts on invoice lines.

Each discount applies to the discountable lines it covers (all, or those of `applies_to.products`), in the
order the discounts are listed. percent_off rounds per line; amount_off is spread over the covered lines in
proportion to their amounts, each share rounded down and the remainder given to the last line (this
reproduces Stripe's published 500 over 1000 / 2000 -> 166 / 334; the exact rule is unconfirmed). A discount
never takes a line below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from emulator.billing.proration import round_amount


@dataclass(frozen=True)
class Coupon:
    discount_id: str
    percent_off: float | None
    amount_off: int | None
    products: frozenset[str] | None = None


@dataclass
class Line:
    amount: int
    discountable: bool
    product: str | None


def allocate(lines: list[Line], coupons: list[Coupon]) -> list[list[tuple[str, int]]]:
    """For each line, the (discount id, amount) pairs taken off it."""
    remaining = [line.amount for line in lines]
    result: list[list[tuple[str, int]]] = [[] for _ in lines]
    for coupon in coupons:
        covered = [i for i, line in enumerate(lines)
                   if line.discountable and remaining[i] > 0
                   and (coupon.products is None or line.product in coupon.products)]
        if not covered:
            continue
        if coupon.percent_off is not None:
            for i in covered:
                share = min(round_amount(Decimal(remaining[i]) * Decimal(str(coupon.percent_off)) / 100),
                            remaining[i])
                if share:
                    result[i].append((coupon.discount_id, share))
                    remaining[i] -= share
        elif coupon.amount_off:
            base = sum(remaining[i] for i in covered)
            total = min(coupon.amount_off, base)
            given = 0
            for position, i in enumerate(covered):
                share = total - given if position == len(covered) - 1 else total * remaining[i] // base
                share = min(share, remaining[i])
                if share:
                    result[i].append((coupon.discount_id, share))
                    remaining[i] -= share
                    given += share
    return result
