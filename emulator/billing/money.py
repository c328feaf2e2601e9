"""Currency facts: zero-decimal currencies and Stripe's minimum charge amounts (in minor units)."""

from __future__ import annotations

from functools import lru_cache

ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
                          "vuv", "xaf", "xof", "xpf"})
# Stripe's documented minimum charge amounts; below them nothing is charged and the amount is carried to the
# customer's balance.
MINIMUM_CHARGE = {"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
                  "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
                  "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000}


def minimum_charge(currency: str) -> int:
    """The smallest amount Stripe charges in `currency` (50 minor units when undocumented here)."""
    return MINIMUM_CHARGE.get(currency.lower(), 50)


@lru_cache(maxsize=4096)
def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """`$32.52`-style display used in line descriptions (en), or in a Babel `locale` (`10,00 €` in de)."""
    from babel.numbers import format_currency

    value = amount if currency.lower() in ZERO_DECIMAL else amount / 100
    return format_currency(value, currency.upper(), locale=locale)
