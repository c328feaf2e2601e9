"""PaymentIntents, charges, refunds and SetupIntents with Stripe's test cards; 3-D Secure completed and
failed through the emulator's page in real Chromium."""

from __future__ import annotations

import pytest
import stripe

from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape

SUCCESS = ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_visa_debit"]
DECLINES = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
]


RETURN_URL = "https://shop.test/return"


def pay(client: stripe.StripeClient, token: str, **extra: object) -> stripe.PaymentIntent:
    """A PaymentIntent confirmed at once, on-session (with the return_url dynamic payment methods need)."""
    return client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "payment_method": token,
                                                    "confirm": True, "return_url": RETURN_URL, **extra})


@pytest.mark.parametrize("token", SUCCESS)
def test_successful_cards(client: stripe.StripeClient, token: str) -> None:
    intent = pay(client, token)
    assert intent.status == "succeeded"
    assert intent.amount_received == 2000
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.paid and charge.captured and charge.status == "succeeded"
    assert charge.outcome.type == "authorized" and charge.outcome.network_status == "approved_by_network"
    assert charge.payment_intent == intent.id
    assert_shape(intent.to_dict())
    assert_shape(charge.to_dict())
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.created"]


@pytest.mark.parametrize("token,risk_level,reason", [("pm_card_visa", "normal", None),
                                                     ("pm_card_riskLevelElevated", "elevated", "elevated_risk_level")])
def test_successful_charge_outcome_carries_radar_risk(client: stripe.StripeClient, token: str, risk_level: str,
                                                      reason: str | None) -> None:
    charge = client.v1.charges.retrieve(pay(client, token).latest_charge)
    assert (charge.status, charge.outcome.risk_level, charge.outcome.reason) == ("succeeded", risk_level, reason)


@pytest.mark.parametrize("token", ["pm_card_radarBlock", "pm_card_riskLevelHighest"])
def test_radar_blocks_highest_risk(client: stripe.StripeClient, token: str) -> None:
    with pytest.raises(stripe.CardError) as raised:
        pay(client, token)
    assert raised.value.code == "card_declined"
    charge = client.v1.charges.list().data[0]
    assert (charge.status, charge.outcome.type, charge.outcome.risk_level) == ("failed", "blocked", "highest")
    assert_shape(charge.to_dict())


@pytest.mark.parametrize("token,code,decline_code", DECLINES)
def test_declines(client: stripe.StripeClient, token: str, code: str, decline_code: str) -> None:
    with pytest.raises(stripe.CardError) as info:
        pay(client, token)
    error = info.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error.decline_code == decline_code
    assert_shape(error.json_body)
    intent = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == code
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.status == "failed" and charge.failure_code == code and charge.paid is False
    assert_shape(charge.to_dict())
    assert_shape(intent.to_dict())
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["payment_intent.payment_failed", "charge.failed", "payment_intent.created"]


def test_retry_after_decline_with_new_card(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        pay(client, "pm_card_chargeCustomerFail")
    intent_id = info.value.error.payment_intent.id
    intent = client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa",
                                                                  "return_url": RETURN_URL})
    assert intent.status == "succeeded"
    assert len(client.v1.charges.list(params={"payment_intent": intent_id}).data) == 2


def test_automatic_payment_methods_keep_allow_redirects(client: stripe.StripeClient) -> None:
    never = {"enabled": True, "allow_redirects": "never"}
    intent = pay(client, "pm_card_visa", automatic_payment_methods=never)
    assert intent.automatic_payment_methods.to_dict() == {"allow_redirects": "never", "enabled": True}
    setup = client.v1.setup_intents.create(params={"payment_method": "pm_card_visa", "confirm": True,
                                                   "automatic_payment_methods": never})
    assert setup.automatic_payment_methods.to_dict() == {"allow_redirects": "never", "enabled": True}
    default = pay(client, "pm_card_visa", automatic_payment_methods={"enabled": True})
    assert default.automatic_payment_methods.allow_redirects == "always"
    assert pay(client, "pm_card_visa").automatic_payment_methods.to_dict() == {"allow_redirects": "always",
                                                                               "enabled": True}


def test_manual_capture_and_cancel(client: stripe.StripeClient) -> None:
    intent = pay(client, "pm_card_visa", capture_method="manual")
    assert intent.status == "requires_capture" and intent.amount_capturable == 2000
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})
    assert captured.status == "succeeded" and captured.amount_received == 1500
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert charge.amount_captured == 1500 and charge.amount_refunded == 500
    other = pay(client, "pm_card_visa", capture_method="manual")
    canceled = client.v1.payment_intents.cancel(other.id, params={"cancellation_reason": "requested_by_customer"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "requested_by_customer"
    assert_shape(canceled.to_dict())
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(captured.id)


def test_unconfirmed_lifecycle(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    intent = client.v1.payment_intents.create(params={"amount": 500, "currency": "eur", "customer": customer.id})
    assert intent.status == "requires_payment_method" and intent.client_secret.startswith(intent.id + "_secret_")
    updated = client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa",
                                                                  "metadata": {"order": "42"}})
    assert updated.status == "requires_confirmation"
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})
    assert confirmed.status == "succeeded"
    listed = client.v1.payment_intents.list(params={"customer": customer.id})
    assert [i.id for i in listed.data] == [intent.id]
    found = client.v1.payment_intents.search(params={"query": "metadata['order']:'42'"})
    assert [i.id for i in found.data] == [intent.id]


def test_refunds(client: stripe.StripeClient) -> None:
    intent = pay(client, "pm_card_visa")
    partial = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500, "reason": "duplicate"})
    assert partial.status == "succeeded" and partial.amount == 500 and partial.charge == intent.latest_charge
    assert_shape(partial.to_dict())
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.amount_refunded == 500 and charge.refunded is False
    rest = client.v1.refunds.create(params={"charge": charge.id})
    assert rest.amount == 1500
    assert client.v1.charges.retrieve(charge.id).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": charge.id})
    assert info.value.code == "charge_already_refunded"
    assert [r.id for r in client.v1.refunds.list(params={"charge": charge.id}).data] == [rest.id, partial.id]
    expanded = client.v1.charges.retrieve(charge.id, params={"expand": ["refunds"]})
    assert [r.id for r in expanded.refunds.data] == [rest.id, partial.id]
    assert "refunds" not in client.v1.charges.retrieve(charge.id)  # only when expanded, as in Stripe
    assert_shape(expanded.to_dict())
    types = [e.type for e in client.v1.events.list(params={"limit": 4}).data]
    assert types == ["charge.refunded", "refund.created", "charge.refunded", "refund.created"]


def test_off_session_authentication_required(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"payment_method": "pm_card_authenticationRequired"})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    with pytest.raises(stripe.CardError) as info:
        pay(client, pm.id, customer=customer.id, off_session=True)
    assert info.value.code == "authentication_required"


def test_authentication_via_control_endpoint(client: stripe.StripeClient, http: RawHttp) -> None:
    intent = pay(client, "pm_card_threeDSecure2Required", return_url="https://example.com/back")
    assert intent.status == "requires_action"
    assert intent.next_action.type == "redirect_to_url"
    assert intent.next_action.redirect_to_url.return_url == "https://example.com/back"
    assert_shape(intent.to_dict())
    done = http.post(f"/_emulator/api/intents/{intent.id}/authenticate", data={"outcome": "complete"}).json()
    assert done["status"] == "succeeded"
    failing = pay(client, "pm_card_threeDSecure2Required")
    failed = http.post(f"/_emulator/api/intents/{failing.id}/authenticate", data={"outcome": "fail"}).json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_setup_intents(client: stripe.StripeClient, http: RawHttp) -> None:
    customer = client.v1.customers.create()
    setup = client.v1.setup_intents.create(params={"customer": customer.id, "payment_method": "pm_card_visa",
                                                   "confirm": True, "return_url": RETURN_URL})
    assert setup.status == "succeeded" and setup.usage == "off_session"
    assert client.v1.payment_methods.retrieve(setup.payment_method).customer == customer.id
    assert_shape(setup.to_dict())
    needs = client.v1.setup_intents.create(params={"customer": customer.id, "confirm": True, "return_url": RETURN_URL,
                                                   "payment_method": "pm_card_authenticationRequiredOnSetup"})
    assert needs.status == "requires_action"
    done = http.post(f"/_emulator/api/intents/{needs.id}/authenticate", data={"outcome": "complete"}).json()
    assert done["status"] == "succeeded"
    # A card authenticated on setup then charges off-session.
    intent = pay(client, done["payment_method"], customer=customer.id, off_session=True)
    assert intent.status == "succeeded"
    with pytest.raises(stripe.CardError):
        client.v1.setup_intents.create(params={"customer": customer.id, "confirm": True, "return_url": RETURN_URL,
                                               "payment_method": "pm_card_visa_chargeDeclined"})
    pending = client.v1.setup_intents.create(params={"customer": customer.id})
    canceled = client.v1.setup_intents.cancel(pending.id)
    assert canceled.status == "canceled"
    types = {e.type for e in client.v1.events.list(params={"limit": 100}).data}
    assert {"setup_intent.created", "setup_intent.succeeded", "setup_intent.requires_action",
            "setup_intent.setup_failed", "setup_intent.canceled"} <= types


@pytest.mark.browser
@pytest.mark.parametrize("button,status", [("complete-authentication", "succeeded"),
                                           ("fail-authentication", "requires_payment_method")])
def test_authentication_page_in_chromium(client: stripe.StripeClient, page: object, button: str,
                                          status: str) -> None:
    intent = pay(client, "pm_card_threeDSecure2Required", return_url="http://127.0.0.1:9/shop/return?order=7")
    url = intent.next_action.redirect_to_url.url
    page.goto(url)  # type: ignore[attr-defined]
    assert "20.00 USD" in page.get_by_test_id("authentication-amount").inner_text()  # type: ignore[attr-defined]
    with page.expect_request(lambda request: "/shop/return" in request.url) as redirect:  # type: ignore[attr-defined]
        page.get_by_test_id(button).click()  # type: ignore[attr-defined]
    target = redirect.value.url
    assert f"payment_intent={intent.id}" in target and "order=7" in target
    assert ("redirect_status=succeeded" in target) == (status == "succeeded")
    assert client.v1.payment_intents.retrieve(intent.id).status == status


def test_publishable_key_reads_intent_with_client_secret(client: stripe.StripeClient, emulator: object,
                                                        api_key: str) -> None:
    import requests

    intent = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    publishable = api_key.replace("sk_test_", "pk_test_")
    base = emulator.url  # type: ignore[attr-defined]
    ok = requests.get(f"{base}/v1/payment_intents/{intent.id}", params={"client_secret": intent.client_secret},
                      auth=(publishable, ""))
    assert ok.status_code == 200 and ok.json()["id"] == intent.id
    denied = requests.get(f"{base}/v1/payment_intents/{intent.id}", auth=(publishable, ""))
    assert denied.status_code == 404
    assert requests.get(f"{base}/v1/customers", auth=(publishable, "")).status_code == 401


def test_dynamic_payment_methods_need_a_return_url_on_session(client: stripe.StripeClient) -> None:
    """Since 2023-08-16 intents take dynamic payment methods by default: confirming on-session without a
    return_url is refused unless redirects are turned off; endive lists methods in allowed_payment_method_types
    and refuses payment_method_types with its own code, which older clients may still send."""
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "confirm": True,
                                                 "payment_method": "pm_card_visa"})
    assert missing.value.param == "return_url"
    with pytest.raises(stripe.InvalidRequestError) as setup_missing:
        client.v1.setup_intents.create(params={"payment_method": "pm_card_visa", "confirm": True})
    assert setup_missing.value.param == "return_url"
    never = client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    assert never.status == "succeeded"
    restricted = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                                          "allowed_payment_method_types": ["card"]})
    assert (restricted.allowed_payment_method_types, restricted.payment_method_types) == (["card"], ["card"])
    assert_shape(restricted.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as removed:
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]})
    assert (removed.value.param, removed.value.code) == ("payment_method_types",
                                                         "payment_method_types_no_longer_supported")
    legacy = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "confirm": True,
                                                      "payment_method": "pm_card_visa",
                                                      "payment_method_types": ["card"]},
                                              options={"stripe_version": "2025-06-30.basil"})
    assert (legacy.status, legacy.automatic_payment_methods, legacy.payment_method_types) == \
        ("succeeded", None, ["card"])
