"""The hosted invoice page and its printable version, paid from real Chromium."""

from __future__ import annotations

import pytest
import requests
import stripe


def open_invoice(client: stripe.StripeClient) -> stripe.Invoice:
    product = client.v1.products.create(params={"name": "Hosted"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 4200,
                                            "recurring": {"interval": "month"}})
    customer = client.v1.customers.create(params={"name": "Ada", "email": "ada@example.com",
                                                  "payment_method": "pm_card_chargeCustomerFail",
                                                  "invoice_settings": {"default_payment_method":
                                                                       "pm_card_chargeCustomerFail"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    assert subscription.status == "incomplete"
    return client.v1.invoices.retrieve(subscription.latest_invoice)


def test_printable_invoice(client: stripe.StripeClient) -> None:
    invoice = open_invoice(client)
    assert invoice.hosted_invoice_url and invoice.invoice_pdf
    page = requests.get(invoice.invoice_pdf)
    assert page.status_code == 200
    assert invoice.number in page.text and "$42.00" in page.text and "1 × Hosted (at $42.00 / month)" in page.text


@pytest.mark.browser
def test_pay_open_invoice_in_chromium(client: stripe.StripeClient, page: object) -> None:
    invoice = open_invoice(client)
    page.goto(invoice.hosted_invoice_url)  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-status").inner_text() == "open"  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-amount-due").inner_text() == "$42.00"  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_chargeCustomerFail")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    assert "declined" in page.get_by_test_id("invoice-message").inner_text()  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_visa")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-status").inner_text() == "paid"  # type: ignore[attr-defined]
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.list(params={"status": "active"}).data[0].latest_invoice == invoice.id
