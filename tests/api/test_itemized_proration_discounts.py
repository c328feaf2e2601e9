"""billing_mode[flexible][proration_discounts]: `itemized` prorations are gross with discount_amounts;
`included` (the default) bakes the discount into the amount. Reference worked example H."""

from __future__ import annotations

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts
from tests.shape_oracle import assert_shape


@pytest.mark.parametrize("discounts_mode,expected", [
    # (amount, [discount amounts]) of the credit and the debit, then the invoice's total discount and total.
    ("itemized", ([(-500, [-100]), (1000, [200])], 100, 400)),
    ("included", ([(-400, []), (800, [])], 0, 400)),
])
def test_example_h_twenty_percent_off_ten_to_twenty_halfway(client: stripe.StripeClient, discounts_mode: str,
                                                           expected: tuple[list[tuple[int, list[int]]], int, int]
                                                           ) -> None:
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    billing_mode = {"type": "flexible", "flexible": {"proration_discounts": discounts_mode}}
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Ten"]}], "discounts": [{"coupon": coupon.id}],
        "billing_mode": billing_mode})
    assert subscription.billing_mode.flexible.proration_discounts == discounts_mode
    assert_shape(subscription.to_dict())
    assert client.v1.invoices.retrieve(subscription.latest_invoice).total == 800
    advance(client, clock, ts(2026, 4, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Twenty"]}],
        "proration_behavior": "always_invoice"})
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    lines, total_discount, total = expected
    got = sorted(((line.amount, [d.amount for d in line.discount_amounts]) for line in invoice.lines.data))
    assert got == lines
    for line in invoice.lines.data:
        assert line.discountable is False and line.parent.subscription_item_details.proration is True
    assert sum(d.amount for d in invoice.total_discount_amounts) == total_discount
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (sum(a for a, _ in lines), total, total)
    assert_shape(invoice.to_dict())
    items = client.v1.invoice_items.list(params={"customer": customer}).data
    for item in items:
        assert_shape(item.to_dict())
        if discounts_mode == "itemized":
            assert item.discounts == [updated.discounts[0]]
            assert len(item.proration_details.discount_amounts) == 1


def test_proration_discounts_need_flexible_mode(client: stripe.StripeClient) -> None:
    prices = setup_catalog(client, {"Ten": 1000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create(params={
            "customer": customer, "items": [{"price": prices["Ten"]}],
            "billing_mode": {"type": "classic", "flexible": {"proration_discounts": "itemized"}}})
    assert error.value.param == "billing_mode[flexible]"
    default = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Ten"]}],
                                                     "billing_mode": {"type": "flexible"}})
    assert default.billing_mode.flexible.proration_discounts == "included"


@pytest.mark.parametrize("mode,credit", [("classic", -250), ("flexible", -417)])
def test_example_e_amount_off_is_baked_into_the_credit(client: stripe.StripeClient, mode: str, credit: int) -> None:
    """Reference example E: $10 and $20 items with $5 off; the $10 item deleted halfway. classic credits
    0.5 x (10 - 5); flexible credits half of what the item was billed (1000 - 166)."""
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd", "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Ten"]}, {"price": prices["Twenty"]}],
        "discounts": [{"coupon": coupon.id}], "billing_mode": {"type": mode}})
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 2500
    assert sorted(line.discount_amounts[0].amount for line in first.lines.data) == [166, 334]
    advance(client, clock, ts(2026, 4, 16))
    ten = next(item for item in subscription["items"].data if item.price.id == prices["Ten"])
    client.v1.subscription_items.delete(ten.id, params={"proration_behavior": "create_prorations"})
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert [item.amount for item in pending] == [credit]


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_amount_off_is_prorated_on_both_sides_of_an_upgrade(client: stripe.StripeClient, mode: str) -> None:
    """$10 -> $20 halfway with $5 off forever: credit 0.5 x (10 - 5), debit 0.5 x (20 - 5)."""
    prices = setup_catalog(client, {"Ten": 1000, "Twenty": 2000})
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd", "duration": "forever"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": prices["Ten"]}], "discounts": [{"coupon": coupon.id}],
        "billing_mode": {"type": mode}})
    advance(client, clock, ts(2026, 4, 16))
    updated = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": prices["Twenty"]}],
        "proration_behavior": "always_invoice"})
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert sorted(line.amount for line in invoice.lines.data) == [-250, 750]
    assert invoice.total == 500
