"""Table-driven tests of the pure billing maths: periods, per-second proration, discounts. Every worked example
of the reference (A-J) plus cases of our own; no database, no clock."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from emulator.billing import discounts, periods, proration
from emulator.billing.money import format_amount, minimum_charge


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def day(moment: int) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M")


# -- periods ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("anchor,interval,count,n,expected", [
    (ts(2027, 1, 31, 10), "month", 1, 1, "2027-02-28 10:00"),
    (ts(2027, 1, 31, 10), "month", 1, 2, "2027-03-31 10:00"),
    (ts(2027, 1, 31, 10), "month", 1, 3, "2027-04-30 10:00"),
    (ts(2028, 1, 31, 0), "month", 1, 1, "2028-02-29 00:00"),
    (ts(2028, 2, 29, 0), "year", 1, 1, "2029-02-28 00:00"),
    (ts(2028, 2, 29, 0), "year", 1, 4, "2032-02-29 00:00"),
    (ts(2026, 8, 31, 0), "month", 3, 1, "2026-11-30 00:00"),
    (ts(2026, 8, 31, 0), "month", 3, 2, "2027-02-28 00:00"),
    (ts(2026, 1, 1, 12), "week", 1, 2, "2026-01-15 12:00"),
    (ts(2026, 1, 1, 12), "day", 10, 1, "2026-01-11 12:00"),
    (ts(2026, 3, 15, 8), "month", 1, -1, "2026-02-15 08:00"),
], ids=lambda value: str(value))
def test_boundaries_from_the_anchor(anchor: int, interval: str, count: int, n: int, expected: str) -> None:
    assert day(periods.boundary(anchor, interval, count, n)) == expected


def test_no_drift_over_a_year_anchored_on_the_31st() -> None:
    anchor = ts(2027, 1, 31, 10)
    ends = [day(periods.boundary(anchor, "month", 1, n))[:10] for n in range(1, 13)]
    assert ends == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31",
                    "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31", "2028-01-31"]


@pytest.mark.parametrize("moment,expected", [
    (ts(2027, 2, 28, 9), ("2027-01-31 10:00", "2027-02-28 10:00")),
    (ts(2027, 2, 28, 10), ("2027-02-28 10:00", "2027-03-31 10:00")),
    (ts(2027, 4, 15), ("2027-03-31 10:00", "2027-04-30 10:00")),
])
def test_period_containing(moment: int, expected: tuple[str, str]) -> None:
    start, end = periods.period_containing(ts(2027, 1, 31, 10), "month", 1, moment)
    assert (day(start), day(end)) == expected


# -- proration: the reference's worked examples -------------------------------------------------------------
def test_example_a_halfway_upgrade() -> None:
    start, end = ts(2026, 4, 1), ts(2026, 5, 1)
    half = start + (end - start) // 2
    assert -proration.prorate(1000, start, end, half) + proration.prorate(2000, start, end, half) == 500


def test_example_b_stripe_preview() -> None:
    start, end, moment = 1596749288, 1599427688, 1598982148
    assert proration.prorate(1000, start, end, moment) == 166
    assert proration.prorate(3252, start, end, moment) == 541
    assert -166 + 541 + 3252 == 3627


def test_example_c_test_clock_upgrade() -> None:
    start, end, moment = ts(2026, 1, 1), ts(2026, 2, 1), ts(2026, 1, 16)
    credit, debit = proration.prorate(5000, start, end, moment), proration.prorate(10000, start, end, moment)
    assert (credit, debit) == (2581, 5161)
    assert -credit + debit + 10000 == 12580


def test_example_d_classic_vs_flexible_credit() -> None:
    start, end = 0, 3 * 86400 * 10  # a 30-day month in thirds
    moment = end - (end - start) // 3
    classic = -proration.prorate(2000, start, end, moment) + proration.prorate(1000, start, end, moment)
    flexible = -proration.prorate(1000, start, end, moment) + proration.prorate(1000, start, end, moment)
    assert (classic, flexible) == (-334, 0)


def test_example_e_amount_off_split_and_credits() -> None:
    lines = [discounts.Line(1000, True, "prod_a"), discounts.Line(2000, True, "prod_b")]
    allocated = discounts.allocate(lines, [discounts.Coupon("di_5", None, 500)])
    assert [amount for (_, amount), in allocated] == [166, 334]
    start, end = 0, 30 * 86400
    half = 15 * 86400
    classic = -proration.prorate(Decimal(1000 - 500), start, end, half)
    flexible = -proration.prorate(Decimal(1000 - 166), start, end, half)
    assert (classic, flexible) == (-250, -417)


def test_example_f_quantity_one_to_two_yearly() -> None:
    start, end = 1547426761, 1578962761
    moment = start + 144
    assert (-proration.prorate(10000 * 1, start, end, moment), proration.prorate(10000 * 2, start, end, moment)) == \
        (-10000, 20000)


def test_example_g_seats() -> None:
    start, end = 0, 30 * 86400
    half = 15 * 86400
    assert -proration.prorate(1000 * 5, start, end, half) + proration.prorate(1000 * 10, start, end, half) == 2500


def test_example_h_discount_included_vs_itemized() -> None:
    start, end, half = 0, 30 * 86400, 15 * 86400
    included = (-proration.prorate(Decimal(1000) * Decimal("0.8"), start, end, half),
                proration.prorate(Decimal(2000) * Decimal("0.8"), start, end, half))
    itemized = (-proration.prorate(1000, start, end, half), proration.prorate(2000, start, end, half))
    assert included == (-400, 800)
    assert itemized == (-500, 1000)
    discount_amounts = discounts.allocate([discounts.Line(500, True, None), discounts.Line(1000, True, None)],
                                          [discounts.Coupon("di_20", 20.0, None)])
    assert [amount for (_, amount), in discount_amounts] == [100, 200]


def test_example_i_monthly_to_yearly() -> None:
    start, end = 0, 30 * 86400
    assert -proration.prorate(1000, start, end, 15 * 86400) + 10000 == 9500


def test_example_j_trial_change_is_free() -> None:
    # Adding a trial with proration_behavior=none bills nothing until the trial ends.
    assert proration.prorate(0, ts(2026, 7, 1), ts(2026, 8, 1), ts(2026, 7, 15)) == 0


# -- proration: our own cases -------------------------------------------------------------------------------
@pytest.mark.parametrize("amount,start,end,moment,expected", [
    (1000, 0, 100, 0, 1000),          # whole period left
    (1000, 0, 100, 100, 0),           # nothing left
    (1000, 0, 100, 150, 0),           # after the end: clamped
    (1000, 0, 100, -50, 1000),        # before the start: clamped
    (999, 0, 3, 1, 666),
    (1, 0, 2, 1, 1),                  # half a cent rounds away from zero
    (3, 0, 2, 1, 2),                  # 1.5 -> 2
    (Decimal("0.5"), 0, 1, 0, 1),     # fractional unit amounts
    (100000, ts(2028, 2, 1), ts(2028, 3, 1), ts(2028, 2, 15), 51724),  # 29-day leap February
    (100000, ts(2027, 2, 1), ts(2027, 3, 1), ts(2027, 2, 15), 50000),  # 28-day February
    (120000, ts(2026, 1, 1), ts(2027, 1, 1), ts(2026, 7, 2, 12), 60000),  # 182.5 of 365 days
])
def test_prorate(amount: object, start: int, end: int, moment: int, expected: int) -> None:
    assert proration.prorate(amount, start, end, moment) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value,half_up,half_even", [
    (Fraction(5, 2), 3, 2), (Fraction(7, 2), 4, 4), (Fraction(-5, 2), -3, -2), (Fraction(1, 3), 0, 0),
])
def test_rounding_modes(value: Fraction, half_up: int, half_even: int) -> None:
    assert proration.round_amount(value) == half_up
    assert proration.round_amount(value, proration.HALF_EVEN) == half_even


# -- discounts ----------------------------------------------------------------------------------------------
def test_percent_discount_rounds_per_line_and_skips_prorations() -> None:
    lines = [discounts.Line(333, True, "p"), discounts.Line(-200, False, "p"), discounts.Line(1001, True, "q")]
    allocated = discounts.allocate(lines, [discounts.Coupon("di", 33.33, None)])
    assert allocated == [[("di", 111)], [], [("di", 334)]]


def test_amount_off_never_exceeds_the_lines() -> None:
    allocated = discounts.allocate([discounts.Line(300, True, None)], [discounts.Coupon("di", None, 1000)])
    assert allocated == [[("di", 300)]]


def test_applies_to_products() -> None:
    lines = [discounts.Line(1000, True, "prod_a"), discounts.Line(1000, True, "prod_b")]
    allocated = discounts.allocate(lines, [discounts.Coupon("di", 50.0, None, frozenset({"prod_b"}))])
    assert allocated == [[], [("di", 500)]]


def test_stacked_discounts_apply_in_order() -> None:
    lines = [discounts.Line(10000, True, None)]
    percent_then_amount = discounts.allocate(lines, [discounts.Coupon("p", 20.0, None),
                                                     discounts.Coupon("a", None, 500)])
    amount_then_percent = discounts.allocate(lines, [discounts.Coupon("a", None, 500),
                                                     discounts.Coupon("p", 20.0, None)])
    assert percent_then_amount == [[("p", 2000), ("a", 500)]]
    assert amount_then_percent == [[("a", 500), ("p", 1900)]]


# -- money --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount,currency,text", [
    (3252, "usd", "$32.52"), (5000, "eur", "€50.00"), (1200, "gbp", "£12.00"), (500, "jpy", "¥500"),
])
def test_format_amount(amount: int, currency: str, text: str) -> None:
    assert format_amount(amount, currency) == text


def test_minimum_charges() -> None:
    assert (minimum_charge("usd"), minimum_charge("gbp"), minimum_charge("jpy"), minimum_charge("xyz")) == \
        (50, 30, 50, 50)


# -- tiered prices ------------------------------------------------------------------------------------------
TIERS = [{"up_to": 5, "unit_amount_decimal": "1000", "flat_amount_decimal": None},
         {"up_to": 10, "unit_amount_decimal": "800", "flat_amount_decimal": "500"},
         {"up_to": None, "unit_amount_decimal": "500", "flat_amount_decimal": None}]


@pytest.mark.parametrize("mode,quantity,expected", [
    ("volume", 0, 0), ("volume", 5, 5000), ("volume", 6, 6 * 800 + 500), ("volume", 11, 5500),
    ("graduated", 0, 0), ("graduated", 5, 5000), ("graduated", 6, 5000 + 800 + 500),
    ("graduated", 12, 5000 + 4000 + 500 + 1000),
])
def test_tiered_amounts(mode: str, quantity: int, expected: int) -> None:
    from emulator.billing import pricing

    price = {"billing_scheme": "tiered", "tiers_mode": mode, "tiers": TIERS}
    assert pricing.amount(price, quantity) == expected
