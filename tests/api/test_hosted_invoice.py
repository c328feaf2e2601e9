"""The hosted invoice page and its printable version, paid from real Chromium, in the customer's language."""

from __future__ import annotations

import pytest
import requests
import stripe


def open_invoice(client: stripe.StripeClient, **customer: object) -> stripe.Invoice:
    product = client.v1.products.create(params={"name": "Hosted"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 4200,
                                            "recurring": {"interval": "month"}})
    customer = client.v1.customers.create(params={"name": "Ada", "email": "ada@example.com",
                                                  "payment_method": "pm_card_chargeCustomerFail",
                                                  "invoice_settings": {"default_payment_method":
                                                                       "pm_card_chargeCustomerFail"},
                                                  **customer})
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
    status = page.get_by_test_id("invoice-status")  # type: ignore[attr-defined]
    assert (status.inner_text(), status.get_attribute("data-status")) == ("Open", "open")
    assert page.get_by_test_id("invoice-amount-due").inner_text() == "$42.00"  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_chargeCustomerFail")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    assert "declined" in page.get_by_test_id("invoice-message").inner_text()  # type: ignore[attr-defined]
    assert "error" in page.get_by_test_id("invoice-message").get_attribute("class")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_visa")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-status").get_attribute("data-status") == "paid"  # type: ignore[attr-defined]
    assert "error" not in page.get_by_test_id("invoice-message").get_attribute("class")  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-message").inner_text() == "Payment succeeded."  # type: ignore[attr-defined]
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.list(params={"status": "active"}).data[0].latest_invoice == invoice.id


@pytest.mark.browser
def test_invoice_page_speaks_the_customers_language(client: stripe.StripeClient, page: object) -> None:
    """The customer's preferred_locales choose the page's language (texts, money, dates, card errors)."""
    invoice = open_invoice(client, preferred_locales=["fr-FR"])
    page.goto(invoice.hosted_invoice_url)  # type: ignore[attr-defined]
    assert page.locator("html").get_attribute("lang") == "fr-FR"  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-status").inner_text() == "Ouverte"  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-amount-due").inner_text() == "42,00\xa0$US"  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-pay").inner_text() == "Payer 42,00\xa0$US"  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_chargeCustomerFail")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    assert page.get_by_test_id("invoice-message").inner_text() == \
        "Votre carte a été refusée."  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay-method").select_option("pm_card_visa")  # type: ignore[attr-defined]
    page.get_by_test_id("invoice-pay").click()  # type: ignore[attr-defined]
    status = page.get_by_test_id("invoice-status")  # type: ignore[attr-defined]
    assert (status.inner_text(), status.get_attribute("data-status")) == ("Payée", "paid")


def test_printable_invoice_follows_the_browser_without_preferred_locales(client: stripe.StripeClient) -> None:
    invoice = open_invoice(client)
    german = requests.get(invoice.invoice_pdf, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de-DE">' in german.text and "42,00\xa0$" in german.text
    assert "Rechnung" in german.text
    english = requests.get(invoice.invoice_pdf, headers={"Accept-Language": "is"})
    assert '<html lang="en">' in english.text and "Amount due" in english.text


def test_an_invoice_without_a_payment_method_to_charge(client: stripe.StripeClient) -> None:
    """No saved payment method: invoices.pay answers Stripe's error (nothing attempted) and the hosted page
    offers only the test cards."""
    product = client.v1.products.create(params={"name": "Manual"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1500,
                                            "recurring": {"interval": "month"}})
    customer = client.v1.customers.create(params={"email": "nocard@example.com"})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}],
                                                          "collection_method": "send_invoice",
                                                          "days_until_due": 30})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoices.pay(subscription.latest_invoice)
    assert "no attached payment source or default payment method" in str(refused.value.user_message)
    assert client.v1.invoices.retrieve(subscription.latest_invoice).attempt_count == 0
    page = requests.get(client.v1.invoices.retrieve(subscription.latest_invoice).hosted_invoice_url).text
    assert "the saved default payment method" not in page and "test card Visa 4242" in page


def test_pages_list_exclusive_taxes(client: stripe.StripeClient) -> None:
    """Subtotal, discount, each exclusive tax ("VAT (20%)") and total add up on the hosted page and its
    printable version, in the customer's language."""
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False})
    customer = client.v1.customers.create(params={"preferred_locales": ["de"]})
    client.v1.invoice_items.create(params={"customer": customer.id, "amount": 2000, "currency": "usd",
                                           "tax_rates": [vat.id]})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "pending_invoice_items_behavior": "include",
                                                "collection_method": "send_invoice", "days_until_due": 30})
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert (finalized.subtotal, finalized.total) == (2000, 2400)
    for url in (finalized.hosted_invoice_url, finalized.invoice_pdf):
        html = requests.get(url).text
        assert "VAT (20\xa0%)" in html and "4,00\xa0$" in html and "24,00\xa0$" in html
