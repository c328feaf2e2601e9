"""Usage-based (metered) subscription items: what they bill, in arrears.

A metered price (`recurring.usage_type=metered`) names a billing meter. Its subscription item has no
quantity; it bills nothing in advance (a $0 line on the first invoice) and, at each period end, the
customer's aggregated meter usage of the period that just ended, beside the licensed items billed for the
next period. Metered items are never prorated. When a metered price leaves an item mid-period, flexible
billing mode bills the usage so far with an invoice item (unless `proration_behavior=none`); classic mode
drops it. Either way the item only counts usage from the change on, which is remembered as an internal mark
(Stripe keeps it internally; it is not part of the object).
"""

from __future__ import annotations

from typing import Any

from emulator.context import Ctx
from emulator.resources import billing_meters, common, invoice_items, invoices


def is_metered(price: dict[str, Any] | None) -> bool:
    """Whether the price bills metered usage."""
    return bool(price and (price.get("recurring") or {}).get("usage_type") == "metered")


def usage_from(ctx: Ctx, item: dict[str, Any]) -> int:
    """Where the item's unbilled usage starts: its period start, or a later price change / addition."""
    mark = common.mark_of(ctx, item["id"], "usage_from")
    start = item["current_period_start"]
    return max(start, int(mark)) if mark else start


def mark_usage_from(ctx: Ctx, item_id: str, moment: int) -> None:
    """Usage before `moment` no longer belongs to the item (billed or dropped at a price change)."""
    common.set_mark(ctx, item_id, "usage_from", str(moment))


def quantity_of(ctx: Ctx, customer_id: str, item: dict[str, Any], start: int, end: int) -> int:
    """The meter's aggregate of the customer's usage in [start, end) for the item's price."""
    return billing_meters.usage_for(ctx, item["price"]["recurring"]["meter"], customer_id, start, end)


def usage_lines(ctx: Ctx, subscription: dict[str, Any], end: int, *, preview: bool = False,
                final: bool = False) -> list[dict[str, Any]]:
    """Lines billing each metered item's usage from its unbilled start to `end`; the line's period is
    [unbilled start, end). `final` (the subscription ends at `end`) also counts events stamped at `end`."""
    from emulator.resources import subscriptions

    lines = []
    for item in subscription["items"]["data"]:
        if not is_metered(item["price"]):
            continue
        start = usage_from(ctx, item)
        quantity = quantity_of(ctx, subscription["customer"], item, start, end + 1 if final else end)
        lines.append(invoices.subscription_line(
            invoice_id=None, subscription=subscription["id"], item=item["id"], price=item["price"],
            quantity=quantity, amount=subscriptions.item_amount(item["price"], quantity), period=(start, end),
            description=subscriptions.line_description(ctx, item["price"], quantity),
            tax_rates=subscriptions.line_tax_rates(subscription, item), preview=preview))
    return lines


def zero_line(ctx: Ctx, subscription: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """A metered item on an invoice that bills in advance: quantity 0, amount 0, the item's period."""
    from emulator.resources import subscriptions

    return invoices.subscription_line(
        invoice_id=None, subscription=subscription["id"], item=item["id"], price=item["price"], quantity=0,
        amount=0, period=(item["current_period_start"], item["current_period_end"]),
        description=subscriptions.line_description(ctx, item["price"], 0),
        tax_rates=subscriptions.line_tax_rates(subscription, item))


def bill_usage_so_far(ctx: Ctx, customer: dict[str, Any], subscription: dict[str, Any], item: dict[str, Any],
                      moment: int) -> None:
    """flexible mode: a metered price leaves the item at `moment`; its usage so far becomes a pending
    invoice item for the next invoice."""
    from emulator.resources import subscriptions

    start = usage_from(ctx, item)
    quantity = quantity_of(ctx, customer["id"], item, start, moment)
    price = item["price"]
    invoice_items.store(ctx, invoice_items.build(
        ctx, customer=customer, amount=subscriptions.item_amount(price, quantity), currency=price["currency"],
        description=subscriptions.line_description(ctx, price, quantity), period=(start, moment),
        quantity=quantity, price=price, subscription=subscription["id"], subscription_item=item["id"],
        tax_rates=subscriptions.line_tax_rates(subscription, item)))
