"""Manual tax rates on subscription invoices and invoice items."""

from __future__ import annotations

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts
from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape


def test_tax_rate_crud(client: stripe.StripeClient) -> None:
    rate = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False,
                                              "country": "FR", "jurisdiction": "FR", "tax_type": "vat"})
    assert rate.id.startswith("txr_") and rate.percentage == 20.0 and rate.effective_percentage == 20.0
    assert_shape(rate.to_dict())
    updated = client.v1.tax_rates.update(rate.id, params={"active": False, "description": "old"})
    assert updated.active is False
    assert [r.id for r in client.v1.tax_rates.list(params={"active": False}).data] == [rate.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_rates.create(params={"display_name": "Bad", "percentage": 120, "inclusive": False})
    assert info.value.param == "percentage"


def test_exclusive_and_inclusive_taxes_on_subscription_invoices(client: stripe.StripeClient,
                                                                 http: RawHttp) -> None:
    prices = setup_catalog(client, {"Pro": 1000, "Addon": 500})
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False})
    included = client.v1.tax_rates.create(params={"display_name": "GST", "percentage": 20, "inclusive": True})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "default_tax_rates": [vat.id], "discounts": [{"coupon": coupon.id}],
        "items": [{"price": prices["Pro"]}, {"price": prices["Addon"], "tax_rates": [included.id]}],
        "automatic_tax": {"enabled": False}})
    assert [r.id for r in subscription.default_tax_rates] == [vat.id]
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    # Pro: 1000 - 100 discount = 900 taxable, +180 exclusive VAT; Addon: 500 - 50 = 450 incl. 75 GST.
    assert invoice.subtotal == 1500
    assert invoice.total == 1500 - 150 + 180
    assert sorted((t.amount, t.tax_behavior) for t in invoice.total_taxes) == [(75, "inclusive"), (180, "exclusive")]
    assert invoice.total_excluding_tax == 1350 - 75
    assert invoice.amount_paid == invoice.total
    assert_shape(invoice.to_dict())
    old = http.get(f"/v1/invoices/{invoice.id}", headers={"Stripe-Version": "2023-08-16"}).json()
    assert sorted(t["amount"] for t in old["total_tax_amounts"]) == [75, 180]
    assert_shape(old, version="2023-08-16")
    advance(client, clock, ts(2026, 1, 16))
    client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "quantity": 2}]})
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    assert all([r.id for r in item.tax_rates] == [vat.id] for item in pending)


def test_invoice_item_tax_rates(client: stripe.StripeClient) -> None:
    rate = client.v1.tax_rates.create(params={"display_name": "Sales tax", "percentage": 8.875, "inclusive": False})
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    client.v1.invoice_items.create(params={"customer": customer.id, "amount": 10000, "currency": "usd",
                                           "tax_rates": [rate.id], "description": "Setup fee"})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "pending_invoice_items_behavior": "include"})
    assert invoice.total == 10000 + 888
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 10888
    assert_shape(paid.to_dict())
