"""What a price charges for a quantity: per unit (unit_amount_decimal × quantity) or tiered.

Tiered prices (Stripe's `billing_scheme=tiered`): `volume` charges every unit at the tier the whole quantity
falls in (plus that tier's flat amount); `graduated` charges each unit at the tier it falls in, adding the
flat amount of every tier that has units. Amounts are exact decimals of minor units; callers round."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from emulator.billing.proration import round_amount


def _tier_values(tier: dict[str, Any]) -> tuple[Decimal, Decimal]:
    unit = Decimal(str(tier.get("unit_amount_decimal") or tier.get("unit_amount") or 0))
    flat = Decimal(str(tier.get("flat_amount_decimal") or tier.get("flat_amount") or 0))
    return unit, flat


def exact_amount(price: dict[str, Any], quantity: int) -> Decimal:
    """The price's amount for `quantity` units, unrounded."""
    if price.get("billing_scheme") != "tiered":
        return Decimal(price["unit_amount_decimal"]) * quantity
    tiers = price.get("tiers") or []
    if price.get("tiers_mode") == "volume":
        for tier in tiers:
            if tier["up_to"] is None or quantity <= tier["up_to"]:
                unit, flat = _tier_values(tier)
                return unit * quantity + (flat if quantity > 0 else 0)
        return Decimal(0)
    total = Decimal(0)
    lower = 0
    for tier in tiers:
        upper = tier["up_to"]
        units = max(0, min(quantity, upper if upper is not None else quantity) - lower)
        if units:
            unit, flat = _tier_values(tier)
            total += unit * units + flat
        if upper is None or quantity <= upper:
            break
        lower = upper
    return total


def amount(price: dict[str, Any], quantity: int) -> int:
    """The price's amount for `quantity`, in whole minor units: a fractional amount (decimal prices) is
    rounded half up, as Stripe's decimal pricing rounds each line ("1.5 rounded up to 2 cents")."""
    return round_amount(exact_amount(price, quantity))


def tier_for(price: dict[str, Any], quantity: int) -> int | None:
    """1-based index of the tier a volume-tiered quantity falls in (for line descriptions)."""
    for index, tier in enumerate(price.get("tiers") or [], start=1):
        if tier["up_to"] is None or quantity <= tier["up_to"]:
            return index
    return None
