"""The portal's email verification in real Chromium: the shareable login page (a one-time passcode read back
through the control API, the most recent customer with an active subscription, email editing disabled, an
unknown email, wrong / expired / locked codes, a disabled page), the recovery of an expired session created
with `after_expiration`, and the `payment_method_update` deep link with each `after_completion`."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from tests.conftest import LiveEmulator
from tests.portal.test_billing_info import billing_configuration, fill_card, text
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser
EMAIL = "jo@example.com"


def login_configuration(client: stripe.StripeClient, **extra: Any) -> stripe.billing_portal.Configuration:
    configuration = client.v1.billing_portal.configurations.create(params={
        "login_page": {"enabled": True},
        "features": {"invoice_history": {"enabled": True}, "payment_method_update": {"enabled": True},
                     "customer_update": {"enabled": True, "allowed_updates": ["name", "email", "phone"]}},
        **extra})
    assert_shape(configuration.to_dict())
    return configuration


def subscribe(client: stripe.StripeClient, customer: str, amount: int = 1500) -> Any:
    product = client.v1.products.create(params={"name": "Pro"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": amount,
                                            "recurring": {"interval": "month"}})
    return client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price.id}]})


def sent_codes(emulator: LiveEmulator, api_key: str, email: str | None = None) -> list[dict[str, Any]]:
    answer = requests.get(f"{emulator.url}/_emulator/api/billing_portal/login_codes",
                          params={"email": email} if email else {}, auth=(api_key, ""))
    assert answer.status_code == 200
    return answer.json()["data"]


def shift_clock(emulator: LiveEmulator, api_key: str, by: str) -> None:
    answer = requests.post(f"{emulator.url}/_emulator/api/clock/advance", data={"by": by}, auth=(api_key, ""))
    assert answer.status_code == 200


def type_code(page: Any, code: str) -> None:
    page.get_by_test_id("login-code").fill(code)
    page.get_by_test_id("login-code-submit").click()


def test_login_page_opens_the_portal_of_the_most_recent_customer_with_an_active_subscription(
        client: stripe.StripeClient, page: Any, emulator: LiveEmulator, api_key: str) -> None:
    configuration = login_configuration(client, default_return_url="https://acme.test/account")
    active = client.v1.customers.create(params={"email": EMAIL, "name": "Jo Active", "payment_method": "pm_card_visa",
                                                "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    subscribe(client, active.id)
    client.v1.customers.create(params={"email": "JO@example.com", "name": "Jo Newer, no subscription"})
    client.v1.customers.create(params={"email": "someone@example.com", "name": "Someone"})

    page.goto(f"{configuration.login_page.url}?prefilled_email={EMAIL}")
    assert page.get_by_test_id("portal-login").is_visible()
    assert page.get_by_test_id("login-email").input_value() == EMAIL
    assert page.get_by_test_id("portal-return-link").count() == 0
    page.get_by_test_id("login-submit").click()
    assert text(page, "login-code-email") == EMAIL
    codes = sent_codes(emulator, api_key, "Jo@Example.com")
    assert len(codes) == 1 and sent_codes(emulator, api_key) == codes
    sent = codes[0]
    assert (sent["customer"], sent["configuration"], sent["purpose"], sent["status"], sent["session"]) == \
        (active.id, configuration.id, "login_page", "pending", None)
    assert len(sent["code"]) == 6 and sent["code"].isdigit() and sent["expires_at"] == sent["created"] + 600

    type_code(page, sent["code"])
    assert page.get_by_test_id("portal-home").is_visible() and "/p/session/test_" in page.url
    assert text(page, "billing-name") == "Jo Active"
    assert page.get_by_test_id("billing-email").count() == 0  # email editing is disabled in login sessions
    assert page.get_by_test_id("portal-return-link").get_attribute("href") == "https://acme.test/account"
    page.get_by_test_id("billing-update").click()
    assert page.get_by_test_id("billing-input-name").is_visible()
    assert page.get_by_test_id("billing-input-email").count() == 0
    page.get_by_test_id("billing-input-name").fill("Jo Renamed")
    page.get_by_test_id("billing-save").click()
    assert text(page, "portal-message") == "Your billing information was updated."
    renamed = client.v1.customers.retrieve(active.id)
    assert (renamed.name, renamed.email) == ("Jo Renamed", EMAIL)

    created = client.v1.events.list(params={"type": "billing_portal.session.created"}).data
    assert len(created) == 1
    assert_shape(created[0].to_dict())
    session = created[0].data.object
    assert (session.customer, session.configuration, session.return_url, session.flow) == \
        (active.id, configuration.id, "https://acme.test/account", None)
    assert session.after_expiration is None and page.url.startswith(session.url)
    assert sent_codes(emulator, api_key, EMAIL)[0]["status"] == "used"
    # QA can read the "emailed" codes on the emulator's dashboard too.
    account_id = requests.get(f"{emulator.url}/v1/account", auth=(api_key, "")).json()["id"]
    page.goto(f"{emulator.url}/_emulator/accounts/{account_id}")
    assert text(page, "login-code") == sent["code"] and text(page, "login-code-status") == "used"


def test_login_page_unknown_email_wrong_expired_and_locked_codes(client: stripe.StripeClient, page: Any,
                                                                  emulator: LiveEmulator, api_key: str) -> None:
    configuration = login_configuration(client)
    customer = client.v1.customers.create(params={"email": EMAIL, "name": "Jo"})
    url = configuration.login_page.url

    page.goto(url)
    page.get_by_test_id("login-email").fill("not an email")
    page.get_by_test_id("login-submit").click()
    assert text(page, "login-error") == "Enter a valid email address."
    page.get_by_test_id("login-email").fill("nobody@example.com")
    page.get_by_test_id("login-submit").click()
    assert text(page, "login-code-email") == "nobody@example.com"  # the same screen, and nothing is sent
    assert sent_codes(emulator, api_key) == []
    type_code(page, "123456")
    assert text(page, "login-code-error") == "That code isn't right. Check the code in your email and try again."
    assert client.v1.events.list(params={"type": "billing_portal.session.created"}).data == []

    page.goto(url)
    page.get_by_test_id("login-email").fill(EMAIL)
    page.get_by_test_id("login-submit").click()
    code = sent_codes(emulator, api_key)[0]["code"]
    assert sent_codes(emulator, api_key)[0]["customer"] == customer.id  # no subscription: the newest with the email
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 5):
        type_code(page, wrong)
        assert text(page, "login-code-error").startswith("That code isn't right.")
        assert sent_codes(emulator, api_key)[0]["attempts"] == attempt
    type_code(page, wrong)  # the fifth wrong try locks the code
    assert text(page, "login-code-error") == "Too many attempts. Request a new code."
    type_code(page, code)
    assert text(page, "login-code-error") == "Too many attempts. Request a new code."
    assert sent_codes(emulator, api_key)[0]["status"] == "locked"

    page.get_by_test_id("login-resend").click()
    assert page.get_by_test_id("login-email").input_value() == EMAIL
    page.get_by_test_id("login-submit").click()
    fresh = sent_codes(emulator, api_key)[0]
    assert fresh["status"] == "pending" and len(sent_codes(emulator, api_key)) == 2
    shift_clock(emulator, api_key, "11m")  # codes live 10 minutes on the account's clock
    assert sent_codes(emulator, api_key)[0]["status"] == "expired"
    type_code(page, fresh["code"])
    assert text(page, "login-code-error") == "This code has expired. Request a new code."
    assert client.v1.events.list(params={"type": "billing_portal.session.created"}).data == []


def test_login_page_speaks_the_browser_language(client: stripe.StripeClient, browser: Any, emulator: LiveEmulator,
                                               api_key: str) -> None:
    """The login page has no session to carry a locale: it follows Accept-Language (here French), errors and
    the code screen included, and the portal it opens keeps that language."""
    configuration = login_configuration(client)
    customer = client.v1.customers.create(params={"email": EMAIL, "name": "Jo"})
    subscribe(client, customer.id)
    context = browser.new_context(locale="fr-FR")
    try:
        tab = context.new_page()
        tab.goto(configuration.login_page.url)
        assert tab.locator("html").get_attribute("lang") == "fr-FR"
        assert tab.locator("h1").inner_text().startswith("Gérez votre facturation avec ")
        tab.get_by_test_id("login-email").fill("pas une adresse")
        tab.get_by_test_id("login-submit").click()
        assert text(tab, "login-error") == "Saisissez une adresse e-mail valide."
        tab.get_by_test_id("login-email").fill(EMAIL)
        tab.get_by_test_id("login-submit").click()
        assert tab.locator("h1").inner_text() == "Consultez vos e-mails"
        assert text(tab, "login-code-email") == EMAIL
        type_code(tab, "abcdef")
        assert text(tab, "login-code-error").startswith("Ce code est incorrect.")
        type_code(tab, sent_codes(emulator, api_key)[0]["code"])
        # no card on file: the first invoice is still open
        assert text(tab, "invoice-history-status") == "Ouverte" and tab.locator("html").get_attribute("lang") == "fr-FR"
    finally:
        context.close()


def test_disabled_login_page_is_not_found(client: stripe.StripeClient, emulator: LiveEmulator) -> None:
    default = login_configuration(client)
    other = login_configuration(client)
    old_url = default.login_page.url
    assert requests.get(old_url).status_code == 200
    assert requests.get(f"{emulator.url}/p/login/test_unknown").status_code == 404
    assert requests.post(old_url, data={"email": EMAIL}).status_code == 403  # no CSRF cookie
    disabled = client.v1.billing_portal.configurations.update(default.id, params={"login_page": {"enabled": False}})
    assert disabled.login_page.to_dict() == {"enabled": False, "url": None}
    assert requests.get(old_url).status_code == 404
    assert requests.post(f"{old_url}/verify", data={"code": "1"}).status_code == 404
    enabled = client.v1.billing_portal.configurations.update(default.id, params={"login_page": {"enabled": True}})
    assert enabled.login_page.url != old_url and requests.get(enabled.login_page.url).status_code == 200
    assert requests.get(old_url).status_code == 404
    client.v1.billing_portal.configurations.update(other.id, params={"active": False})
    assert requests.get(other.login_page.url).status_code == 404


def test_expired_session_recovers_through_email_verification(client: stripe.StripeClient, page: Any,
                                                             emulator: LiveEmulator, api_key: str) -> None:
    configuration = login_configuration(client)
    customer = client.v1.customers.create(params={"email": EMAIL, "name": "Jo"})
    session = client.v1.billing_portal.sessions.create(params={
        "customer": customer.id, "configuration": configuration.id, "return_url": "https://acme.test/back",
        "locale": "auto", "after_expiration": {"type": "customer_login"}})
    assert_shape(session.to_dict())
    assert session.after_expiration.to_dict() == {"customer_login": {"expires_at": None}, "type": "customer_login"}
    page.goto(session.url)
    assert page.get_by_test_id("portal-home").is_visible()
    assert page.get_by_test_id("billing-email").count() == 1  # an API session may edit the email
    shift_clock(emulator, api_key, "2h")
    page.reload()
    assert page.get_by_test_id("portal-expired").is_visible() and page.get_by_test_id("recover-form").is_visible()

    page.get_by_test_id("recover-email").fill("nope")
    page.get_by_test_id("recover-submit").click()
    assert text(page, "recover-error") == "Enter a valid email address."
    page.get_by_test_id("recover-email").fill("someone-else@example.com")
    page.get_by_test_id("recover-submit").click()
    assert text(page, "login-code-email") == "someone-else@example.com"  # same screen, nothing sent
    assert sent_codes(emulator, api_key) == []
    type_code(page, "123456")
    assert text(page, "login-code-error").startswith("That code isn't right.")

    page.goto(session.url)
    page.get_by_test_id("recover-email").fill(EMAIL.upper())
    page.get_by_test_id("recover-submit").click()
    sent = sent_codes(emulator, api_key)[0]
    assert (sent["purpose"], sent["session"], sent["customer"]) == ("session_recovery", session.id, customer.id)
    type_code(page, sent["code"])
    assert page.get_by_test_id("portal-home").is_visible() and not page.url.startswith(session.url)
    assert page.get_by_test_id("billing-email").count() == 0  # email editing disabled after verification
    replacement = client.v1.events.list(params={"type": "billing_portal.session.created"}).data[0].data.object
    assert_shape(replacement.to_dict())
    assert replacement.id != session.id and page.url.startswith(replacement.url)
    assert (replacement.customer, replacement.configuration, replacement.return_url, replacement.locale) == \
        (customer.id, configuration.id, "https://acme.test/back", "auto")
    assert replacement.after_expiration.to_dict() == session.after_expiration.to_dict()
    page.goto(session.url)  # the old link stays expired
    assert page.get_by_test_id("portal-expired").is_visible()


def test_payment_method_update_deep_link_with_each_after_completion(client: stripe.StripeClient,
                                                                    page: Any) -> None:
    configuration = billing_configuration(client)
    customer = client.v1.customers.create(params={"email": EMAIL, "payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    subscription = subscribe(client, customer.id)
    page.route("https://acme.test/**", lambda route: route.fulfill(status=200, body="<p>back at Acme</p>",
                                                                  content_type="text/html"))

    def deep_link(after_completion: dict[str, Any]) -> Any:
        session = client.v1.billing_portal.sessions.create(params={
            "customer": customer.id, "configuration": configuration,
            "flow_data": {"type": "payment_method_update", "after_completion": after_completion}})
        assert_shape(session.to_dict())
        assert session.flow.type == "payment_method_update" and session.flow.subscription_update is None
        page.goto(session.url)
        assert page.get_by_test_id("payment-method-form-page").is_visible()
        assert page.url.endswith("/payment-methods/new")
        return session

    def default_card() -> Any:
        pm_id = client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method
        return client.v1.payment_methods.retrieve(pm_id)

    session = deep_link({"type": "hosted_confirmation", "hosted_confirmation": {"custom_message": "Thanks!"}})
    assert page.get_by_test_id("payment-method-back").get_attribute("href") == "https://acme.test/account"
    page.goto(session.url + f"/subscriptions/{subscription.id}/cancel")  # the rest of the portal is hidden
    assert page.url.endswith("/payment-methods/new")
    page.goto(session.url + "/billing")
    assert page.url.endswith("/payment-methods/new")
    fill_card(page, "4000 0000 0000 0002")  # a decline stays on the form; the flow is still open
    assert text(page, "payment-method-error") == "Your card was declined."
    fill_card(page, "5555 5555 5555 4444")
    assert page.url == session.url + "/done"
    assert text(page, "flow-confirmation-message") == \
        "Mastercard •••• 4444 was added as your default payment method."
    assert text(page, "flow-custom-message") == "Thanks!"
    assert default_card().card.last4 == "4444"
    page.goto(session.url + "/payment-methods/new")  # finished: the link shows the confirmation
    assert page.get_by_test_id("flow-confirmation").is_visible()

    session = deep_link({"type": "redirect", "redirect": {"return_url": "https://acme.test/card-saved"}})
    fill_card(page, "4000 0025 0000 3155")  # 3-D Secure on setup, then back to the flow
    assert page.get_by_test_id("authentication-page").is_visible()
    page.get_by_test_id("complete-authentication").click()
    page.wait_for_url("https://acme.test/**")
    assert page.url == "https://acme.test/card-saved" and default_card().card.last4 == "3155"
    again = requests.get(session.url, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == "https://acme.test/card-saved"

    deep_link({"type": "portal_homepage"})
    fill_card(page, "4242 4242 4242 4242")
    assert text(page, "portal-message") == "Visa •••• 4242 was added as your default payment method."
    assert page.get_by_test_id("portal-home").is_visible() and page.get_by_test_id("cancel-plan").count() == 0
    assert default_card().card.last4 == "4242"
    assert page.get_by_test_id("payment-method").count() == 4
