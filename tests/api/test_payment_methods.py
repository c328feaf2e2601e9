"""PaymentMethods with Stripe's test tokens and card numbers, customer payment methods and legacy sources."""

from __future__ import annotations

import datetime

import pytest
import stripe

from emulator.resources import test_cards
from tests.conftest import LiveEmulator, RawHttp
from tests.shape_oracle import assert_shape

ALL_CARDS = list(test_cards.CARDS)
WITH_PM_TOKEN = [card for card in test_cards.CARDS if any(t.startswith("pm_") for t in card.tokens)]
THIS_YEAR = datetime.datetime.now(datetime.timezone.utc).year


def pm_token(card: test_cards.TestCard) -> str:
    return next(token for token in card.tokens if token.startswith("pm_"))


def event_types(client: stripe.StripeClient, limit: int = 10) -> list[str]:
    return [e.type for e in client.v1.events.list(params={"limit": limit}).data]


# -- the table ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("card", WITH_PM_TOKEN, ids=[pm_token(card) for card in WITH_PM_TOKEN])
def test_each_test_card_attach_outcome(client: stripe.StripeClient, card: test_cards.TestCard) -> None:
    customer = client.v1.customers.create()
    for token in (t for t in card.tokens if t.startswith("pm_")):
        if card.attach_decline is None:
            pm = client.v1.payment_methods.attach(token, params={"customer": customer.id})
            assert pm.id.startswith("pm_") and pm.id != token and pm.customer == customer.id
            assert (pm.card.brand, pm.card.last4, pm.card.country, pm.card.funding) == (
                card.brand, card.last4, card.country, card.funding)
            assert pm.card.display_brand == card.display_brand
            assert pm.card.networks.available == card.available_networks
            assert pm.card.three_d_secure_usage.supported is card.three_d_secure_supported
            assert pm.card.fingerprint == test_cards.fingerprint(card.number)
            assert_shape(pm.to_dict())
            continue
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_methods.attach(token, params={"customer": customer.id})
        decline = card.attach_decline
        assert info.value.http_status == 402
        assert (info.value.code, info.value.error.decline_code) == (decline.code, decline.decline_code)
        assert info.value.user_message == decline.message
        assert info.value.param == "payment_method" and info.value.error.type == "card_error"
        assert_shape(info.value.json_body)
    attached = client.v1.customers.payment_methods.list(customer.id).data
    expected = 0 if card.attach_decline else sum(t.startswith("pm_") for t in card.tokens)
    assert len(attached) == expected
    assert event_types(client, 100).count("payment_method.attached") == expected


@pytest.mark.parametrize("card", ALL_CARDS, ids=[card.number for card in ALL_CARDS])
def test_each_test_card_number(client: stripe.StripeClient, card: test_cards.TestCard) -> None:
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": card.number, "exp_month": 12, "exp_year": THIS_YEAR + 3, "cvc": "314"}})
    assert (pm.card.brand, pm.card.last4, pm.card.country, pm.card.funding) == (
        card.brand, card.last4, card.country, card.funding)
    assert pm.card.fingerprint == test_cards.fingerprint(card.number)
    assert pm.card.checks.cvc_check == card.cvc_check
    assert pm.customer is None
    assert_shape(pm.to_dict())
    customer = client.v1.customers.create()
    if card.attach_decline is None:
        assert client.v1.payment_methods.attach(pm.id, params={"customer": customer.id}).customer == customer.id
    else:
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
        assert info.value.code == card.attach_decline.code


def test_behaviour_table() -> None:
    def needs(token: str, **kwargs: bool) -> bool:
        card = test_cards.BY_TOKEN[token]
        pm = {"card": {"fingerprint": test_cards.fingerprint(card.number), "last4": card.last4}}
        return test_cards.behaviour_of(pm).needs_authentication(already_authenticated=False, **kwargs)

    # (setup, on-session payment, off-session payment)
    matrix = {
        "pm_card_visa": (False, False, False),
        "pm_card_authenticationRequiredOnSetup": (True, True, False),
        "pm_card_authenticationRequired": (True, True, True),
        "pm_card_authenticationRequiredSetupForOffSession": (False, True, False),
        "pm_card_threeDSecure2Required": (True, True, True),
        "pm_card_threeDSecureRequired": (True, True, True),
        "pm_card_threeDSecureOptional": (False, False, False),
    }
    for token, (setup, on_session, off_session) in matrix.items():
        assert needs(token, setup=True, off_session=False) is setup, token
        assert needs(token, setup=False, off_session=False) is on_session, token
        assert needs(token, setup=False, off_session=True) is off_session, token
    behaviour = test_cards.behaviour_of({"card": {"fingerprint": "unknown", "last4": "1111", "brand": "visa"}})
    assert behaviour.attach_decline() is None and behaviour.charge_decline() is None
    fail = test_cards.BY_TOKEN["pm_card_chargeCustomerFail"]
    assert fail.attach_decline is None and fail.charge_decline is test_cards.GENERIC
    radar = test_cards.BY_TOKEN["pm_card_radarBlock"]
    assert radar.charge_decline.decline_code == "fraudulent"
    assert radar.charge_decline.outcome()["type"] == "blocked"
    assert test_cards.BY_TOKEN["pm_card_threeDSecure2Required"].number == "4000000000003220"
    assert test_cards.BY_TOKEN["pm_card_threeDSecureRequired"].number == "4000000000003063"
    assert all(test_cards.luhn_valid(card.number) for card in test_cards.CARDS)
    assert len(test_cards.BY_NUMBER) == len(test_cards.CARDS)
    elevated = test_cards.behaviour_of({"card": {"fingerprint": test_cards.fingerprint("4000000000009235")}})
    assert elevated.success_outcome()["risk_level"] == "elevated"


# -- tokens and customers ---------------------------------------------------------------------------------------
def test_token_creates_a_new_payment_method_each_time(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    assert (pm.card.brand, pm.card.last4, pm.type, pm.card.display_brand) == ("visa", "4242", "card", "visa")
    assert pm.card.exp_year > THIS_YEAR and 1 <= pm.card.exp_month <= 12
    assert pm.card.checks.cvc_check == "pass" and pm.card.checks.address_line1_check is None
    assert pm.allow_redisplay == "unspecified" and pm.billing_details.name is None
    assert_shape(pm.to_dict())
    again = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    assert again.id != pm.id and again.card.fingerprint == pm.card.fingerprint
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in listed.data] == [again.id, pm.id]
    assert listed.url == f"/v1/customers/{customer.id}/payment_methods"
    assert_shape(listed.to_dict())
    attached = client.v1.events.list().data[0]
    assert attached.type == "payment_method.attached" and attached.data.object.id == again.id
    assert_shape(attached.to_dict())


def test_retrieve_test_token(client: stripe.StripeClient) -> None:
    first = client.v1.payment_methods.retrieve("pm_card_mastercard")
    second = client.v1.payment_methods.retrieve("pm_card_mastercard")
    assert first.id.startswith("pm_") and first.id != "pm_card_mastercard" and first.id != second.id
    assert (first.card.brand, first.card.last4, first.customer) == ("mastercard", "4444", None)
    assert client.v1.payment_methods.retrieve(first.id).id == first.id
    assert_shape(first.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.retrieve("pm_missing")
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    assert "No such PaymentMethod: 'pm_missing'" in str(info.value.user_message)


def test_customer_create_with_token_and_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    default = customer.invoice_settings.default_payment_method
    assert default.startswith("pm_") and default != "pm_card_visa"
    pms = client.v1.customers.payment_methods.list(customer.id).data
    assert [p.id for p in pms] == [default]
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["invoice_settings.default_payment_method"]})
    assert expanded.invoice_settings.default_payment_method.id == default
    assert expanded.invoice_settings.default_payment_method.card.last4 == "4242"
    assert expanded.invoice_settings.default_payment_method.customer == customer.id
    assert_shape(expanded.to_dict())
    assert event_types(client, 3)[:2] == ["payment_method.attached", "customer.created"]


def test_default_payment_method_must_be_attached(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    loose = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": loose.id}})
    assert info.value.param == "invoice_settings[default_payment_method]"
    assert info.value.user_message == (f"The customer does not have a payment method with the ID {loose.id}. The "
                                       "payment method must be attached to the customer.")
    # A token in a later request is a new, unattached PaymentMethod (Stripe: attach it, then use the new id).
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    assert info.value.param == "invoice_settings[default_payment_method]" and "pm_card_visa" in info.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": "pm_nope"}})
    assert (info.value.code, info.value.param) == ("resource_missing", "invoice_settings[default_payment_method]")
    other = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    theirs = client.v1.customers.payment_methods.list(other.id).data[0]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": theirs.id}})
    attached = client.v1.customers.payment_methods.list(customer.id).data[0]
    updated = client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": attached.id}})
    assert updated.invoice_settings.default_payment_method == attached.id


def test_declined_card_on_customer_create(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.customers.create(params={"email": "x@example.com", "payment_method": "pm_card_chargeDeclined"})
    assert (info.value.http_status, info.value.code, info.value.param) == (402, "card_declined", "payment_method")
    assert info.value.error.decline_code == "generic_decline"
    assert_shape(info.value.json_body)
    assert client.v1.customers.list().data == []  # nothing of the failed request is kept


def test_attach_errors(client: stripe.StripeClient) -> None:
    first, second = client.v1.customers.create(), client.v1.customers.create()
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    assert client.v1.payment_methods.attach(pm.id, params={"customer": first.id}).customer == first.id
    assert client.v1.payment_methods.attach(pm.id, params={"customer": first.id}).customer == first.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.attach(pm.id, params={"customer": second.id})
    assert "already been attached to a customer" in info.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.attach(pm.id, params={"customer": "cus_missing"})
    assert (info.value.code, info.value.param) == ("resource_missing", "customer")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.attach(pm.id, params={})
    assert (info.value.code, info.value.param) == ("parameter_missing", "customer")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.payment_methods.retrieve(second.id, pm.id)
    assert info.value.http_status == 404
    fetched = client.v1.customers.payment_methods.retrieve(first.id, pm.id)
    assert fetched.id == pm.id
    assert_shape(fetched.to_dict())


def test_attach_on_a_test_clock_happens_at_clock_time(client: stripe.StripeClient) -> None:
    frozen = int(datetime.datetime(2027, 3, 1, tzinfo=datetime.timezone.utc).timestamp())
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "payment_method": "pm_card_visa"})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    assert pm.created == frozen and pm.card.exp_year == 2031
    attached = client.v1.events.list(params={"type": "payment_method.attached"}).data[0]
    assert attached.created == frozen


# -- create, update, detach, list ------------------------------------------------------------------------
def test_card_numbers_and_checks(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000 0566 5566 5556", "exp_month": 4, "exp_year": THIS_YEAR + 5, "cvc": "123"},
        "billing_details": {"name": "Ada", "address": {"postal_code": "12345"}},
        "metadata": {"order": "7"}, "allow_redisplay": "always"})
    assert (pm.card.brand, pm.card.funding, pm.card.last4, pm.card.exp_year) == ("visa", "debit", "5556",
                                                                                THIS_YEAR + 5)
    assert pm.billing_details.name == "Ada" and pm.billing_details.address.postal_code == "12345"
    assert pm.card.checks.to_dict() == {"address_line1_check": None, "address_postal_code_check": "pass",
                                        "cvc_check": "pass"}
    assert pm.metadata.to_dict() == {"order": "7"} and pm.allow_redisplay == "always"
    assert_shape(pm.to_dict())
    same = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000056655665556", "exp_month": 5, "exp_year": (THIS_YEAR + 6) % 100}})
    assert same.card.fingerprint == pm.card.fingerprint and same.card.exp_year == THIS_YEAR + 6
    assert same.card.checks.cvc_check is None
    avs = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000000000000010", "exp_month": 1, "exp_year": THIS_YEAR + 1, "cvc": "999"},
        "billing_details": {"address": {"line1": "1 Main St", "postal_code": "94107"}}})
    assert avs.card.checks.to_dict() == {"address_line1_check": "fail", "address_postal_code_check": "fail",
                                         "cvc_check": "pass"}
    cvc = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000000000000101", "exp_month": 1, "exp_year": THIS_YEAR + 1, "cvc": "999"}})
    assert cvc.card.checks.cvc_check == "fail"
    amex = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_amex"}})
    assert (amex.card.brand, amex.card.display_brand) == ("amex", "american_express")
    unknown = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4111111111111111", "exp_month": 1, "exp_year": THIS_YEAR + 1}})
    assert (unknown.card.brand, unknown.card.last4) == ("visa", "1111")


@pytest.mark.parametrize("card,code,param", [
    ({"number": "4242424242424241", "exp_month": 1, "exp_year": THIS_YEAR + 1}, "incorrect_number", "card[number]"),
    ({"number": "4242abcd", "exp_month": 1, "exp_year": THIS_YEAR + 1}, "invalid_number", "card[number]"),
    ({"number": "4242424242424242", "exp_month": 13, "exp_year": THIS_YEAR + 1}, "invalid_expiry_month",
     "card[exp_month]"),
    ({"number": "4242424242424242", "exp_month": 1, "exp_year": THIS_YEAR - 1}, "invalid_expiry_year",
     "card[exp_year]"),
    ({"number": "4242424242424242", "exp_month": 1, "exp_year": THIS_YEAR + 1, "cvc": "12a"}, "invalid_cvc",
     "card[cvc]"),
])
def test_card_errors(client: stripe.StripeClient, card: dict[str, object], code: str, param: str) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": card})
    assert (info.value.http_status, info.value.code, info.value.param) == (402, code, param)
    assert info.value.error.type == "card_error"
    assert_shape(info.value.json_body)


def test_create_refusals(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {"exp_month": 1, "exp_year": THIS_YEAR}})
    assert (info.value.code, info.value.param) == ("parameter_missing", "card[number]")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4242424242424242",
                                                                          "exp_month": 1}})
    assert info.value.param == "card[exp_year]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_nope"}})
    assert (info.value.code, info.value.param) == ("resource_missing", "card[token]")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(params={"type": "sepa_debit"})
    assert info.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {
            "token": "tok_visa", "networks": {"preferred": "cartes_bancaires"}}})
    assert info.value.param == "card[networks][preferred]"


def test_publishable_key_creates_payment_methods(emulator: LiveEmulator, api_key: str) -> None:
    public = stripe.StripeClient(api_key.replace("sk_test_", "pk_test_"), base_addresses={"api": emulator.url},
                                 max_network_retries=0)
    pm = public.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_mastercard"}})
    assert pm.card.brand == "mastercard"
    with pytest.raises(stripe.AuthenticationError):
        public.v1.payment_methods.retrieve(pm.id)


def test_update(client: stripe.StripeClient) -> None:
    loose = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.update(loose.id, params={"metadata": {"k": "v"}})
    assert "save this PaymentMethod to a customer" in info.value.user_message
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    updated = client.v1.payment_methods.update(pm.id, params={
        "card": {"exp_month": 7, "exp_year": THIS_YEAR + 2}, "metadata": {"k": "v"}, "allow_redisplay": "limited",
        "billing_details": {"email": "a@example.com", "address": {"line1": "1 Main St", "country": "US"}}})
    assert (updated.card.exp_month, updated.card.exp_year) == (7, THIS_YEAR + 2)
    assert updated.metadata.to_dict() == {"k": "v"} and updated.allow_redisplay == "limited"
    assert updated.billing_details.email == "a@example.com"
    assert updated.billing_details.address.to_dict() == {"city": None, "country": "US", "line1": "1 Main St",
                                                         "line2": None, "postal_code": None, "state": None}
    assert updated.card.checks.address_line1_check == "pass"
    assert_shape(updated.to_dict())
    merged = client.v1.payment_methods.update(pm.id, params={"billing_details": {"address": {"city": "Reno"}},
                                                             "metadata": {"k": ""}})
    assert (merged.billing_details.address.line1, merged.billing_details.address.city) == ("1 Main St", "Reno")
    assert merged.billing_details.email == "a@example.com" and merged.metadata.to_dict() == {}
    event = client.v1.events.list().data[0]
    assert event.type == "payment_method.updated"
    assert event.data.previous_attributes.to_dict()["metadata"] == {"k": "v"}
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.update(pm.id, params={"card": {"exp_month": 0}})
    assert info.value.code == "invalid_expiry_month"
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.update(pm.id, params={"card": {"exp_year": THIS_YEAR - 2}})
    assert (info.value.code, info.value.param) == ("invalid_expiry_year", "card[exp_year]")


def test_co_badged_card_preferred_network(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000002500001001", "exp_month": 1, "exp_year": THIS_YEAR + 1}})
    assert pm.card.networks.available == ["cartes_bancaires", "visa"] and pm.card.networks.preferred is None
    client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    preferred = client.v1.payment_methods.update(pm.id, params={"card": {"networks": {"preferred":
                                                                                      "cartes_bancaires"}}})
    assert preferred.card.networks.preferred == "cartes_bancaires"
    assert preferred.card.display_brand == "cartes_bancaires"
    assert_shape(preferred.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.update(pm.id, params={"card": {"networks": {"preferred": "mastercard"}}})
    assert info.value.param == "card[networks][preferred]"


def test_detach_clears_the_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    pm_id = customer.invoice_settings.default_payment_method
    detached = client.v1.payment_methods.detach(pm_id)
    assert detached.customer is None
    assert_shape(detached.to_dict())
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None
    assert event_types(client, 2) == ["customer.updated", "payment_method.detached"]
    detached_event = client.v1.events.list().data[1]
    assert detached_event.data.previous_attributes.customer == customer.id
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.detach(pm_id)
    assert "not attached to a customer" in info.value.user_message


def test_lists(client: stripe.StripeClient, http: RawHttp) -> None:
    customer = client.v1.customers.create()
    first = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    second = client.v1.payment_methods.attach("pm_card_amex", params={"customer": customer.id})
    client.v1.payment_methods.update(second.id, params={"allow_redisplay": "always"})
    client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})  # not attached
    top = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    assert [p.id for p in top.data] == [second.id, first.id] and top.url == "/v1/payment_methods"
    assert_shape(top.to_dict())
    page = client.v1.customers.payment_methods.list(customer.id, params={"limit": 1})
    assert [p.id for p in page.data] == [second.id] and page.has_more is True
    rest = client.v1.customers.payment_methods.list(customer.id, params={"starting_after": second.id})
    assert [p.id for p in rest.data] == [first.id] and rest.has_more is False
    assert client.v1.customers.payment_methods.list(customer.id, params={"type": "sepa_debit"}).data == []
    always = client.v1.customers.payment_methods.list(customer.id, params={"allow_redisplay": "always"})
    assert [p.id for p in always.data] == [second.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.list()
    assert info.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.payment_methods.list("cus_missing")
    assert info.value.http_status == 404
    response = http.get("/v1/payment_methods", params={"customer": customer.id, "customer_account": "acct_1"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "customer_account"


def test_deleting_customer_detaches(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.delete(customer.id)
    assert client.v1.payment_methods.retrieve(pm.id).customer is None
    assert event_types(client, 2) == ["customer.deleted", "payment_method.detached"]


# -- legacy sources ---------------------------------------------------------------------------------------
def test_legacy_source_token(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_visa"})
    assert customer.default_source.startswith("card_")
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["default_source"]})
    source = expanded.default_source
    assert (source.object, source.brand, source.last4, source.customer) == ("card", "Visa", "4242", customer.id)
    assert source.fingerprint == test_cards.fingerprint("4242424242424242")
    assert_shape(expanded.to_dict())
    created = client.v1.events.list(params={"type": "customer.source.created"}).data
    assert [e.data.object.id for e in created] == [customer.default_source]
    assert_shape(created[0].to_dict())
    updated = client.v1.customers.update(customer.id, params={"source": "tok_amex"})
    assert updated.default_source != customer.default_source
    amex = client.v1.customers.retrieve(customer.id, params={"expand": ["default_source"]}).default_source
    assert amex.brand == "American Express"
    back = client.v1.customers.update(customer.id, params={"default_source": customer.default_source})
    assert back.default_source == customer.default_source
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"default_source": "card_missing"})
    assert info.value.param == "default_source"
    with pytest.raises(stripe.CardError) as info:
        client.v1.customers.create(params={"source": "tok_chargeDeclinedInsufficientFunds"})
    assert (info.value.param, info.value.error.decline_code) == ("source", "insufficient_funds")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"source": "tok_nope"})
    assert (info.value.code, info.value.param) == ("resource_missing", "source")
