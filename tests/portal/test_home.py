"""The customer portal's home page in real Chromium: each subscription card's status line (set to cancel,
trialing, paused, incomplete, unpaid), the product's unit label beside the quantity, the promotion code
beside its coupon, and the invoice history's first page (no drafts) with its "View more" control."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts
from tests.conftest import LiveEmulator
from tests.portal.test_plan_changes import open_portal, text
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser


def home_configuration(client: stripe.StripeClient) -> str:
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"invoice_history": {"enabled": True},
                     "subscription_cancel": {"enabled": True, "mode": "at_period_end"}}})
    assert_shape(configuration.to_dict())
    return configuration.id


def status_of(page: Any) -> tuple[str, str | None]:
    return text(page, "subscription-status"), page.get_by_test_id("subscription-status").get_attribute("data-status")


def test_a_trial_set_to_cancel_shows_its_cancel_date(client: stripe.StripeClient, page: Any) -> None:
    configuration = home_configuration(client)
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          "trial_period_days": 14})
    open_portal(client, page, customer, configuration)
    assert status_of(page) == ("Trial ends April 15, 2026", "trialing")
    page.get_by_test_id("cancel-plan").click()
    page.get_by_test_id("cancel-continue").click()
    page.get_by_test_id("cancel-confirm").click()
    assert text(page, "portal-message") == "Your Pro plan will be canceled on April 15, 2026."
    canceling = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(canceling.to_dict())
    assert (canceling.status, canceling.cancel_at_period_end, canceling.cancel_at) == \
        ("trialing", True, ts(2026, 4, 15))
    assert text(page, "subscription-cancels-at") == "April 15, 2026"
    assert status_of(page) == ("Cancels April 15, 2026", "trialing")
    assert page.get_by_test_id("renew-plan").count() == 1


def test_paused_and_incomplete_subscriptions_show_their_status_not_a_renewal(client: stripe.StripeClient,
                                                                            page: Any) -> None:
    configuration = home_configuration(client)
    prices = setup_catalog(client, {"Pro": 3000})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    advance(client, clock, ts(2026, 1, 16))
    paused = client.v1.subscriptions.pause(subscription.id)
    assert paused.status == "paused"
    advance(client, clock, ts(2026, 3, 1))  # past the period end the paused subscription never renewed
    open_portal(client, page, customer, configuration)
    assert status_of(page) == ("Paused", "paused")
    assert text(page, "subscription-status-badge") == "Paused"
    assert page.get_by_test_id("subscription-renewal").count() == 0
    assert page.get_by_test_id("cancel-plan").count() == 0  # read-only

    _, declined = clock_customer(client, ts(2026, 4, 1), token="pm_card_chargeCustomerFail")
    incomplete = client.v1.subscriptions.create(params={"customer": declined, "items": [{"price": prices["Pro"]}]})
    assert incomplete.status == "incomplete"
    open_portal(client, page, declined, configuration)
    assert status_of(page) == ("Incomplete", "incomplete")
    assert page.get_by_test_id("subscription-renewal").count() == 0


def test_an_unpaid_subscription_shows_its_status(tmp_path: Any, page: Any) -> None:
    live = LiveEmulator(str(tmp_path / "unpaid.sqlite3"), env={"STRIPE_EMULATOR_DUNNING_FINAL_ACTION": "unpaid",
                                                               "STRIPE_EMULATOR_DUNNING_RETRY_DAYS": "1"})
    try:
        client = stripe.StripeClient("sk_test_unpaidportal", base_addresses={"api": live.url}, max_network_retries=0)
        configuration = home_configuration(client)
        prices = setup_catalog(client, {"Pro": 2000})
        clock, customer = clock_customer(client, ts(2026, 4, 1), token="pm_card_chargeCustomerFail")
        subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                              "items": [{"price": prices["Pro"]}],
                                                              "trial_period_days": 7})
        advance(client, clock, ts(2026, 4, 10))
        unpaid = client.v1.subscriptions.retrieve(subscription.id)
        assert_shape(unpaid.to_dict())
        assert unpaid.status == "unpaid"
        open_portal(client, page, customer, configuration)
        assert status_of(page) == ("Unpaid", "unpaid")
        assert page.get_by_test_id("subscription-renewal").count() == 0
    finally:
        live.stop()


def test_the_card_shows_the_unit_label_and_the_promotion_code(client: stripe.StripeClient, page: Any) -> None:
    configuration = home_configuration(client)
    product = client.v1.products.create(params={"name": "Team", "unit_label": "seats"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1000,
                                            "recurring": {"interval": "month"}})
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever", "name": "Launch"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                     "code": "LAUNCH25"})
    other = client.v1.coupons.create(params={"amount_off": 100, "currency": "usd", "duration": "forever",
                                             "name": "Loyalty"})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": price.id, "quantity": 2}],
        "discounts": [{"promotion_code": promo.id}, {"coupon": other.id}], "expand": ["discounts"]})
    assert [d.promotion_code for d in subscription.discounts] == [promo.id, None]
    open_portal(client, page, customer, configuration)
    assert page.get_by_test_id("subscription-unit-label").count() == 1
    assert text(page, "subscription-quantity") == "2" and text(page, "subscription-unit-label") == "seats"
    assert "Qty 2 seats" in text(page, "subscription-card")
    names = [n.inner_text() for n in page.get_by_test_id("subscription-discount").all()]
    assert names == ["Launch", "Loyalty"]
    codes = page.get_by_test_id("subscription-discount-code")
    assert codes.count() == 1 and codes.inner_text() == "LAUNCH25"
    assert [t.inner_text() for t in page.get_by_test_id("subscription-discount-terms").all()] == \
        ["25% off forever", "$1.00 off forever"]


def test_invoice_history_hides_drafts_and_pages_with_view_more(client: stripe.StripeClient, page: Any) -> None:
    configuration = home_configuration(client)
    product = client.v1.products.create(params={"name": "Daily"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 100,
                                            "recurring": {"interval": "day"}})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price.id}]})
    for day in range(3, 17, 2):  # the first invoice and 14 daily renewals (a clock moves two periods at a time)
        advance(client, clock, ts(2026, 4, day))
    advance(client, clock, ts(2026, 4, 15, 2))
    for amount in (500, 600, 700):  # drafts made after the others: the newest invoices
        client.v1.invoice_items.create(params={"customer": customer, "amount": amount, "currency": "usd"})
        draft = client.v1.invoices.create(params={"customer": customer, "auto_advance": False,
                                                  "pending_invoice_items_behavior": "include"})
        assert draft.status == "draft"
    listed = client.v1.invoices.list(params={"customer": customer, "limit": 100}).data
    shown = [invoice.hosted_invoice_url for invoice in listed if invoice.status != "draft"]
    assert len(listed) == 18 and len(shown) == 15
    open_portal(client, page, customer, configuration)
    rows = page.get_by_test_id("invoice-history-row")
    assert rows.count() == 10
    assert [link.get_attribute("href") for link in page.get_by_test_id("invoice-history-link").all()] == shown[:10]
    assert {status.inner_text() for status in page.get_by_test_id("invoice-history-status").all()} == {"Paid"}
    assert text(page, "invoice-history-more") == "View more"
    page.get_by_test_id("invoice-history-more").click()
    assert rows.count() == 15
    assert [link.get_attribute("href") for link in page.get_by_test_id("invoice-history-link").all()] == shown
    assert page.get_by_test_id("invoice-history-more").count() == 0
    assert page.get_by_test_id("portal-home").is_visible()


def test_a_subscription_with_several_items_lists_each(client: stripe.StripeClient, page: Any) -> None:
    configuration = home_configuration(client)
    prices = setup_catalog(client, {"Basic": 900, "Extra seats": 500})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    client.v1.subscriptions.create(params={"customer": customer, "items": [
        {"price": prices["Basic"]}, {"price": prices["Extra seats"], "quantity": 3}]})
    open_portal(client, page, customer, configuration)
    assert text(page, "subscription-plan") == "Basic" and text(page, "subscription-price") == "$9.00"
    assert text(page, "subscription-item") == "Extra seats · $15.00 per month · Qty 3"


def test_pages_fit_a_phone_screen(client: stripe.StripeClient, browser: Any) -> None:
    """At 375 px wide no portal page scrolls sideways (fields wrap and shrink, long emails break)."""
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {
            "invoice_history": {"enabled": True}, "payment_method_update": {"enabled": True},
            "customer_update": {"enabled": True, "allowed_updates": ["email", "address", "shipping", "tax_id"]},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end", "cancellation_reason": {
                "enabled": True, "options": ["too_expensive", "other"]}}}}).id
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    client.v1.customers.update(customer, params={"email": "maximilian.mustermann@beispielunternehmen.de"})
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    cancel = f"/subscriptions/{subscription.id}/cancel"
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        phone = context.new_page()
        for locale in ("en", "de"):
            session = client.v1.billing_portal.sessions.create(params={
                "customer": customer, "configuration": configuration, "locale": locale})
            for path in ("", "/billing", "/payment-methods/new", cancel, cancel + "?step=reason&feedback=other"):
                phone.goto(session.url + path)
                assert phone.evaluate("document.documentElement.scrollWidth") <= 375, (locale, path)
    finally:
        context.close()


def test_notices_come_from_the_portal_not_the_link(client: stripe.StripeClient, page: Any) -> None:
    """An outcome is shown once after the action (a reload does not repeat it) and a link cannot carry text of
    its own for the portal to show."""
    configuration = home_configuration(client)
    prices = setup_catalog(client, {"Pro": 2000})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}]})
    open_portal(client, page, customer, configuration)
    home = page.url
    page.goto(f"{home}?message=A+refund+of+%24500+is+on+its+way.")
    assert page.get_by_test_id("portal-message").count() == 0
    page.get_by_test_id("cancel-plan").click()
    page.get_by_test_id("cancel-continue").click()
    page.get_by_test_id("cancel-confirm").click()
    assert "cancel" in text(page, "portal-message").lower() and "message=" not in page.url
    page.reload()
    assert page.get_by_test_id("portal-message").count() == 0
