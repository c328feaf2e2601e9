"""The customer portal's payment methods, billing information and invoice history in real Chromium: adding a
card through a SetupIntent (a success, a declined number, a 3-D Secure card), making a card the default,
removing cards (and the refusal for the last one), a past_due subscription paid by a new card, billing
details and tax IDs saved through the customer API, and the invoice history's rows and hosted links."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import stripe

from tests.api.test_subscriptions import advance, clock_customer, setup_catalog, ts
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser


def billing_configuration(client: stripe.StripeClient) -> str:
    configuration = client.v1.billing_portal.configurations.create(params={
        "business_profile": {"headline": "Acme billing", "terms_of_service_url": "https://acme.test/terms"},
        "default_return_url": "https://acme.test/account",
        "features": {
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "customer_update": {"enabled": True, "allowed_updates": ["name", "email", "address", "phone",
                                                                     "shipping", "tax_id"]}}})
    assert_shape(configuration.to_dict())
    return configuration.id


def subscribed_customer(client: stripe.StripeClient, token: str = "pm_card_visa", amount: int = 2000,
                        **extra: Any) -> tuple[str, str, Any]:
    prices = setup_catalog(client, {"Pro": amount})
    clock, customer = clock_customer(client, ts(2026, 4, 1), token=token)
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Pro"]}],
                                                          **extra})
    return clock, customer, subscription


def open_portal(client: stripe.StripeClient, page: Any, customer: str, configuration: str) -> None:
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration})
    page.goto(session.url)
    assert page.get_by_test_id("portal-home").is_visible()


def text(page: Any, hook: str) -> str:
    return page.get_by_test_id(hook).inner_text().strip()


def add_card(page: Any, number: str, expiry: str = "12 / 34", cvc: str = "123", name: str = "Jenny Rosen",
             postal_code: str = "94107") -> None:
    page.get_by_test_id("add-payment-method").click()
    fill_card(page, number, expiry, cvc, name, postal_code)


def fill_card(page: Any, number: str, expiry: str = "12 / 34", cvc: str = "123", name: str = "Jenny Rosen",
              postal_code: str = "94107") -> None:
    page.get_by_test_id("card-number").fill(number)
    page.get_by_test_id("card-expiry").fill(expiry)
    page.get_by_test_id("card-cvc").fill(cvc)
    page.get_by_test_id("card-name").fill(name)
    page.get_by_test_id("card-postal-code").fill(postal_code)
    page.get_by_test_id("payment-method-submit").click()


def event_types(client: stripe.StripeClient, limit: int = 30) -> list[str]:
    return [event.type for event in client.v1.events.list(params={"limit": limit}).data]


def card(page: Any, pm_id: str) -> Any:
    return page.locator(f'[data-testid="payment-method"][data-payment-method="{pm_id}"]')


def test_add_card_becomes_default_and_a_declined_number_shows_its_error(client: stripe.StripeClient,
                                                                        page: Any) -> None:
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    old_default = client.v1.customers.retrieve(customer).invoice_settings.default_payment_method
    open_portal(client, page, customer, configuration)
    assert text(page, "payment-method-label") == "Visa •••• 4242"
    assert text(page, "payment-method-default") == "Default"
    add_card(page, "5555 5555 5555 4444")
    assert text(page, "portal-message") == "Mastercard •••• 4444 was added as your default payment method."
    updated = client.v1.customers.retrieve(customer)
    new_pm = client.v1.payment_methods.retrieve(updated.invoice_settings.default_payment_method)
    assert_shape(new_pm.to_dict())
    assert (new_pm.card.brand, new_pm.card.last4, new_pm.card.exp_month, new_pm.card.exp_year) == \
        ("mastercard", "4444", 12, 2034)
    assert new_pm.customer == customer and new_pm.billing_details.name == "Jenny Rosen"
    assert new_pm.billing_details.address.postal_code == "94107"
    assert new_pm.card.checks.cvc_check == "pass" and new_pm.card.checks.address_postal_code_check == "pass"
    assert card(page, new_pm.id).get_by_test_id("payment-method-default").count() == 1
    assert card(page, old_default).get_by_test_id("payment-method-default").count() == 0
    types = event_types(client)
    assert {"payment_method.attached", "setup_intent.created", "setup_intent.succeeded"} <= set(types)
    updated_event = client.v1.events.list(params={"type": "customer.updated"}).data[0]
    assert_shape(updated_event.to_dict())
    assert updated_event.data.previous_attributes["invoice_settings"]["default_payment_method"] == old_default
    intent = client.v1.setup_intents.list(params={"customer": customer}).data[0]
    assert_shape(intent.to_dict())
    assert intent.status == "succeeded" and intent.payment_method == new_pm.id and intent.usage == "off_session"

    add_card(page, "4000 0000 0000 0002")
    assert text(page, "payment-method-error") == "Your card was declined."
    assert "4000 0000 0000 0002" not in page.content() and "4000000000000002" not in page.content()
    assert page.get_by_test_id("card-name").input_value() == "Jenny Rosen"  # kept; the number is not
    failed = client.v1.events.list(params={"type": "setup_intent.setup_failed"}).data
    assert len(failed) == 1
    assert failed[0].data.object.last_setup_error.decline_code == "generic_decline"
    assert client.v1.customers.retrieve(customer).invoice_settings.default_payment_method == new_pm.id
    assert len(client.v1.payment_methods.list(params={"customer": customer}).data) == 2

    fill_card(page, "4242 4242 4242 4241")
    assert text(page, "payment-method-error") == "Your card number is incorrect."
    assert page.get_by_test_id("payment-method-error").get_attribute("data-field") == "number"


def test_a_card_that_authenticates_on_setup_goes_through_3d_secure(client: stripe.StripeClient, page: Any) -> None:
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    open_portal(client, page, customer, configuration)
    add_card(page, "4000002500003155")
    assert page.get_by_test_id("authentication-page").is_visible()
    page.get_by_test_id("fail-authentication").click()
    assert "unable to authenticate" in text(page, "payment-method-error")
    assert len(client.v1.payment_methods.list(params={"customer": customer}).data) == 1

    fill_card(page, "4000002500003155")
    assert page.get_by_test_id("authentication-page").is_visible()
    page.get_by_test_id("complete-authentication").click()
    assert text(page, "portal-message") == "Visa •••• 3155 was added as your default payment method."
    default = client.v1.customers.retrieve(customer).invoice_settings.default_payment_method
    assert client.v1.payment_methods.retrieve(default).card.last4 == "3155"
    intents = client.v1.setup_intents.list(params={"customer": customer}).data
    assert [i.status for i in intents] == ["succeeded", "requires_payment_method"]
    types = event_types(client)
    assert types.count("setup_intent.requires_action") == 2 and "setup_intent.succeeded" in types
    page.reload()  # coming back again does not redo anything
    assert len(client.v1.events.list(params={"type": "customer.updated"}).data) == 1


def test_make_default_remove_and_the_last_card_refusal(client: stripe.StripeClient, page: Any) -> None:
    configuration = billing_configuration(client)
    _, customer, subscription = subscribed_customer(client)
    visa = client.v1.customers.retrieve(customer).invoice_settings.default_payment_method
    mastercard = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer}).id
    client.v1.subscriptions.update(subscription.id, params={"default_payment_method": mastercard})
    open_portal(client, page, customer, configuration)
    assert page.get_by_test_id("payment-method").count() == 2
    assert text(page, "payment-method-override-label") == "Mastercard •••• 4444"
    assert card(page, mastercard).get_by_test_id("payment-method-subscription").inner_text() == \
        "Pays your Pro subscription"

    # With a live subscription the default card offers no Remove (remove_card would refuse it).
    assert card(page, visa).get_by_test_id("payment-method-remove").count() == 0
    card(page, mastercard).get_by_test_id("payment-method-make-default").click()
    assert text(page, "portal-message") == "Mastercard •••• 4444 is now your default payment method."
    customer_object = client.v1.customers.retrieve(customer)
    assert_shape(customer_object.to_dict())
    assert customer_object.invoice_settings.default_payment_method == mastercard
    event = client.v1.events.list(params={"type": "customer.updated"}).data[0]
    assert event.data.object.invoice_settings.default_payment_method == mastercard
    assert event.data.previous_attributes["invoice_settings"]["default_payment_method"] == visa

    page.get_by_test_id("payment-method-override-reset").click()
    assert text(page, "portal-message") == "Your Pro subscription now uses your default payment method."
    assert client.v1.subscriptions.retrieve(subscription.id).default_payment_method is None
    assert page.get_by_test_id("payment-method-override").count() == 0

    card(page, visa).get_by_test_id("payment-method-remove").click()
    assert text(page, "portal-message") == "Visa •••• 4242 was removed."
    assert client.v1.payment_methods.retrieve(visa).customer is None
    detached = client.v1.events.list(params={"type": "payment_method.detached"}).data
    assert [e.data.object.id for e in detached] == [visa]

    assert card(page, mastercard).get_by_test_id("payment-method-remove").count() == 0  # the only card
    assert client.v1.payment_methods.retrieve(mastercard).customer == customer
    assert client.v1.customers.retrieve(customer).invoice_settings.default_payment_method == mastercard


def test_past_due_subscription_is_paid_by_a_new_card(client: stripe.StripeClient, page: Any) -> None:
    configuration = billing_configuration(client)
    clock, customer, subscription = subscribed_customer(client, token="pm_card_chargeCustomerFail",
                                                        trial_period_days=7)
    advance(client, clock, ts(2026, 4, 8, 2))
    past_due = client.v1.subscriptions.retrieve(subscription.id)
    assert past_due.status == "past_due"
    invoice = client.v1.invoices.retrieve(past_due.latest_invoice)
    assert (invoice.status, invoice.amount_due, invoice.attempt_count) == ("open", 2000, 1)
    open_portal(client, page, customer, configuration)
    assert "Past due" in text(page, "subscription-status")
    rows = page.get_by_test_id("invoice-history-row")
    assert rows.count() == 2  # the $0 trial invoice and the open renewal, newest first
    assert rows.nth(0).get_by_test_id("invoice-history-status").inner_text() == "Open"
    assert rows.nth(0).get_by_test_id("invoice-history-link").inner_text() == "$20.00"
    assert rows.nth(1).get_by_test_id("invoice-history-status").inner_text() == "Paid"

    add_card(page, "4242424242424242")
    assert text(page, "portal-message") == \
        "Visa •••• 4242 was added as your default payment method. Your overdue invoice was paid."
    paid = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert_shape(paid.to_dict())
    assert (paid.status, paid.amount_paid, paid.amount_remaining, paid.attempt_count) == ("paid", 2000, 0, 2)
    # One PaymentIntent per invoice: the retry with the new card confirmed the one that was declined.
    assert [p.status for p in paid.payments.data] == ["paid"]
    settled = next(p for p in paid.payments.data if p.status == "paid")
    intent = client.v1.payment_intents.retrieve(settled.payment.payment_intent)
    assert intent.status == "succeeded" and intent.amount == 2000
    assert client.v1.payment_methods.retrieve(intent.payment_method).card.last4 == "4242"
    active = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(active.to_dict())
    assert active.status == "active"
    assert "invoice.paid" in event_types(client)
    assert rows.nth(0).get_by_test_id("invoice-history-status").inner_text() == "Paid"
    assert "Renews on" in text(page, "subscription-status")

    link = rows.nth(0).get_by_test_id("invoice-history-link")
    assert link.get_attribute("href") == paid.hosted_invoice_url
    link.click()
    assert text(page, "invoice-number") == paid.number and text(page, "invoice-status") == "Paid"
    assert page.get_by_test_id("invoice-status").get_attribute("data-status") == "paid"
    assert text(page, "invoice-total") == "$20.00"


def test_billing_details_and_tax_ids_are_saved(client: stripe.StripeClient, page: Any) -> None:
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    open_portal(client, page, customer, configuration)
    page.get_by_test_id("billing-update").click()
    page.get_by_test_id("billing-input-name").fill("Jenny Rosen")
    page.get_by_test_id("billing-input-email").fill("jenny@example.test")
    page.get_by_test_id("billing-input-phone").fill("+15555550100")
    page.get_by_test_id("billing-input-address-line1").fill("510 Townsend St")
    page.get_by_test_id("billing-input-address-city").fill("San Francisco")
    page.get_by_test_id("billing-input-address-state").fill("CA")
    page.get_by_test_id("billing-input-address-postal-code").fill("94103")
    page.get_by_test_id("billing-input-address-country").fill("US")
    page.get_by_test_id("billing-input-shipping-name").fill("Jenny's office")
    page.get_by_test_id("billing-input-shipping-line1").fill("1 Market St")
    page.get_by_test_id("billing-input-shipping-city").fill("San Francisco")
    page.get_by_test_id("billing-input-shipping-country").fill("US")
    page.get_by_test_id("billing-save").click()
    assert text(page, "portal-message") == "Your billing information was updated."
    assert text(page, "billing-name") == "Jenny Rosen" and text(page, "billing-email") == "jenny@example.test"
    assert text(page, "billing-address") == "510 Townsend St, San Francisco, CA, 94103, US"
    saved = client.v1.customers.retrieve(customer)
    assert_shape(saved.to_dict())
    assert (saved.name, saved.email, saved.phone) == ("Jenny Rosen", "jenny@example.test", "+15555550100")
    assert saved.address.to_dict() == {"city": "San Francisco", "country": "US", "line1": "510 Townsend St",
                                       "line2": None, "postal_code": "94103", "state": "CA"}
    assert saved.shipping.name == "Jenny's office" and saved.shipping.address.line1 == "1 Market St"
    updated = client.v1.events.list(params={"type": "customer.updated"}).data
    assert len(updated) == 1
    assert set(updated[0].data.previous_attributes.to_dict()) >= {"name", "email", "phone", "address", "shipping"}

    page.get_by_test_id("billing-update").click()
    page.get_by_test_id("tax-id-input-type").select_option("eu_vat")
    page.get_by_test_id("tax-id-input-value").fill("123")
    page.get_by_test_id("tax-id-add").click()
    assert text(page, "billing-error") == "123 isn't a valid tax ID of this type."
    page.get_by_test_id("tax-id-input-type").select_option("eu_vat")
    page.get_by_test_id("tax-id-add").click()
    assert text(page, "billing-error") == "Enter the tax ID."
    page.get_by_test_id("tax-id-input-type").select_option("eu_vat")
    page.get_by_test_id("tax-id-input-value").fill("DE123456789")
    page.get_by_test_id("tax-id-add").click()
    assert text(page, "portal-message") == "Tax ID DE123456789 was added."
    assert text(page, "tax-id-value") == "DE123456789"
    assert (text(page, "tax-id-type"), page.get_by_test_id("tax-id-type").get_attribute("data-type")) == \
        ("EU VAT", "eu_vat")
    assert page.locator("[data-testid=tax-id-input-type] option[value=ca_gst_hst]").inner_text() == "CA GST/HST"
    tax_ids = client.v1.customers.tax_ids.list(customer).data
    assert_shape(tax_ids[0].to_dict())
    assert [(t.type, t.value, t.verification.status) for t in tax_ids] == [("eu_vat", "DE123456789", "verified")]
    types = event_types(client)
    assert "customer.tax_id.created" in types and "customer.tax_id.updated" in types
    page.get_by_test_id("tax-id-delete").click()
    assert text(page, "portal-message") == "Tax ID DE123456789 was removed."
    assert page.get_by_test_id("tax-id-row").count() == 0
    assert client.v1.customers.tax_ids.list(customer).data == []
    deleted = client.v1.events.list(params={"type": "customer.tax_id.deleted"}).data
    assert [e.data.object.id for e in deleted] == [tax_ids[0].id]


def test_sections_follow_the_configuration(client: stripe.StripeClient, page: Any) -> None:
    configuration = client.v1.billing_portal.configurations.create(params={
        "features": {"customer_update": {"enabled": True, "allowed_updates": ["name"]},
                     "invoice_history": {"enabled": False}, "payment_method_update": {"enabled": False}},
        "default_return_url": "https://acme.test/account"}).id
    _, customer, _ = subscribed_customer(client)
    open_portal(client, page, customer, configuration)
    assert page.get_by_test_id("payment-methods").count() == 0
    assert page.get_by_test_id("invoice-history").count() == 0
    assert page.get_by_test_id("billing-email").count() == 0 and page.get_by_test_id("billing-name").count() == 1
    page.get_by_test_id("billing-update").click()
    assert page.get_by_test_id("billing-input-email").count() == 0
    assert page.get_by_test_id("tax-id-form").count() == 0
    page.goto(page.url.replace("/billing", "/payment-methods/new"))
    assert text(page, "portal-error-message") == "This portal does not offer payment method changes."


def test_bad_input_gets_an_inline_error_or_the_portal_error_page(client: stripe.StripeClient) -> None:
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration})
    http = requests.Session()
    form_page = http.get(session.url + "/payment-methods/new")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form_page.text).group(1)  # type: ignore[union-attr]
    card = {"csrf_token": csrf, "number": "4242424242424242", "expiry": "12/34", "cvc": "123"}
    cases = [({"expiry": "13/34"}, 402, "Your card's expiration month is invalid.", "expiry"),
             ({"expiry": "12/20"}, 402, "Your card's expiration year is invalid.", "expiry"),
             ({"expiry": "123"}, 400, "Your card's expiration date is incomplete.", "expiry"),
             ({"cvc": ""}, 400, "Your card's security code is incomplete.", "cvc"),
             ({"cvc": "12a"}, 402, "Your card's security code is invalid.", "cvc"),
             ({"number": "4242abcd"}, 402, "Your card number is invalid.", "number"),
             ({"number": ""}, 400, "Your card number is incomplete.", "number")]
    for change, status, message, field in cases:
        answer = http.post(session.url + "/payment-methods/new", data={**card, **change})
        shown = re.search(r'data-testid="payment-method-error" data-field="(\w*)">([^<]*)<', answer.text)
        assert shown is not None, change
        assert (answer.status_code, shown.group(1), html.unescape(shown.group(2))) == (status, field, message)
        assert "4242424242424242" not in answer.text and 'name="number" value' not in answer.text
    # Typed without the slash Stripe's field inserts, or with a dash, the expiry is understood.
    for typed in ("1234", "12-34"):
        saved = http.post(session.url + "/payment-methods/new", data={**card, "expiry": typed}, allow_redirects=False)
        assert saved.status_code in (302, 303), typed
    refused = [
        (http.post(session.url + "/payment-methods/new", data={**card, "csrf_token": "x"}), 403),
        (http.post(session.url + "/payment-methods/pm_unknown/default", data={"csrf_token": csrf}), 404),
        (http.post(session.url + "/payment-methods/pm_unknown/remove", data={"csrf_token": csrf}), 404),
        (http.get(session.url + "/payment-methods/return?setup_intent=seti_unknown"), 404),
        (http.post(session.url + "/tax-ids/txi_unknown/delete", data={"csrf_token": csrf}), 404),
        (http.post(session.url + "/subscriptions/sub_unknown/payment-method/reset", data={"csrf_token": csrf}), 404),
    ]
    for answer, status in refused:
        assert answer.status_code == status and 'data-testid="portal-error"' in answer.text
    bad_tax = http.post(session.url + "/tax-ids", data={"csrf_token": csrf, "type": "nope", "value": "1"})
    assert bad_tax.status_code == 400 and "Choose a tax ID type." in bad_tax.text
    saved = client.v1.payment_methods.list(params={"customer": customer}).data
    assert [method.card.last4 for method in saved] == ["4242"] * 3  # the subscription's card, then the two above
    assert {(method.card.exp_month, method.card.exp_year) for method in saved[:2]} == {(12, 2034)}


def test_customer_update_deep_link(client: stripe.StripeClient, page: Any) -> None:
    """`flow_data[type]=customer_update` opens the billing-information page alone; saving follows
    `after_completion`."""
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    session = client.v1.billing_portal.sessions.create(params={
        "customer": customer, "configuration": configuration, "return_url": "https://acme.test/back",
        "flow_data": {"type": "customer_update", "after_completion": {
            "type": "hosted_confirmation", "hosted_confirmation": {"custom_message": "Thanks for updating!"}}}})
    assert_shape(session.to_dict())
    assert (session.flow.type, session.flow.customer_update) == ("customer_update", None)
    page.goto(session.url)
    assert page.get_by_test_id("billing-form-page").is_visible()
    assert page.get_by_test_id("billing-back").get_attribute("href") == "https://acme.test/back"
    page.get_by_test_id("billing-input-name").fill("Flow Name")
    page.get_by_test_id("billing-input-email").fill("flow@example.com")  # required, as in Stripe's form
    page.get_by_test_id("billing-save").click()
    assert page.get_by_test_id("flow-confirmation").is_visible()
    assert text(page, "flow-custom-message") == "Thanks for updating!"
    assert client.v1.customers.retrieve(customer).name == "Flow Name"
    # The rest of the portal stays out of reach of this link.
    page.goto(session.url.split("?")[0] + "/payment-methods/new")
    assert page.get_by_test_id("flow-confirmation").is_visible()


def test_card_errors_are_shown_in_the_page_language(client: stripe.StripeClient, page: Any) -> None:
    """Declines and refused card details on the portal's card form speak the session's language; the API's own
    error (the SetupIntent's last_setup_error) keeps Stripe's English message and codes."""
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                               "locale": "de"})
    page.goto(session.url)
    for number, german in (("4000 0000 0000 9995", "Ihre Karte ist nicht ausreichend gedeckt."),
                           ("4000 0000 0000 0069", "Ihre Karte ist abgelaufen."),
                           ("4000 0000 0000 0002", "Ihre Karte wurde abgelehnt.")):
        page.goto(session.url)
        add_card(page, number)
        assert text(page, "payment-method-error") == german
    intents = client.v1.setup_intents.list(params={"customer": customer}).data
    assert intents[0].last_setup_error.message == "Your card was declined."
    assert intents[0].last_setup_error.decline_code == "generic_decline"
    assert intents[1].last_setup_error.code == "expired_card"


def test_billing_details_are_checked_like_stripes_form(client: stripe.StripeClient) -> None:
    """An email address, a country among ISO 3166 codes and a name for a shipping address; the refusal is shown
    on the form, in the page's language, and nothing is saved."""
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                              "locale": "de"})
    http = requests.Session()
    form_page = http.get(session.url + "/billing")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form_page.text).group(1)  # type: ignore[union-attr]
    base = {"csrf_token": csrf, "name": "Jenny", "email": "jenny@example.com", "address_line1": "1 Main St",
            "address_country": "US", "shipping_name": "", "shipping_line1": "", "shipping_country": ""}
    from emulator.portal.i18n import Translator

    for change, key in (({"email": "not-an-email"}, "login.invalid_email"),
                        ({"email": ""}, "login.invalid_email"),  # the login page signs in by it: required
                        ({"address_country": "XX"}, "refusal.invalid_country"),
                        ({"shipping_line1": "2 Dock Rd", "shipping_country": "US"}, "refusal.shipping_name_required")):
        answer = http.post(session.url + "/billing", data={**base, **change})
        assert answer.status_code == 400, change
        assert Translator("de").text(key, country="XX") in html.unescape(answer.text), change
    assert client.v1.customers.retrieve(customer).email != "not-an-email"
    saved = http.post(session.url + "/billing", data={**base, "address_country": "de"}, allow_redirects=False)
    assert saved.status_code in (302, 303)
    assert client.v1.customers.retrieve(customer).address.country == "DE"


def test_other_addresses_in_a_session_lead_home(client: stripe.StripeClient) -> None:
    """A mistyped address, or a form's address reopened after its answer, opens the session's home page (no
    framework 404 or 405 page)."""
    configuration = billing_configuration(client)
    _, customer, _ = subscribed_customer(client)
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                              "locale": "de"})
    home = urlsplit(session.url).path
    for path in ("/nonexistent", "/tax-ids", "/subscriptions/sub_x/bogus"):
        answer = requests.get(session.url + path, allow_redirects=False)
        assert (answer.status_code, urlsplit(answer.headers["Location"]).path) == (303, home), path
    assert requests.get(session.url + "/tax-ids").url == session.url
