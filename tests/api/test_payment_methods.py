"""PaymentMethods with Stripe's test tokens and card numbers, customer sources and tax IDs."""

from __future__ import annotations

import pytest
import stripe

from emulator.resources import test_cards
from tests.shape_oracle import assert_shape

DECLINE_TOKENS = [card for card in test_cards.CARDS if card.attach_decline is not None]


def test_token_creates_a_card_payment_method(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    assert pm.id.startswith("pm_") and pm.id != "pm_card_visa"
    assert pm.customer == customer.id
    assert (pm.card.brand, pm.card.last4, pm.type) == ("visa", "4242", "card")
    assert pm.card.exp_year > 2026 and pm.card.fingerprint
    assert_shape(pm.to_dict())
    mastercard = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer.id})
    assert (mastercard.card.brand, mastercard.card.last4) == ("mastercard", "4444")
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in listed.data] == [mastercard.id, pm.id]
    assert_shape(listed.to_dict())
    assert [e.type for e in client.v1.events.list().data][:2] == ["payment_method.attached"] * 2


def test_customer_create_with_token_and_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    default = customer.invoice_settings.default_payment_method
    assert default.startswith("pm_") and default != "pm_card_visa"
    pms = client.v1.customers.payment_methods.list(customer.id).data
    assert [p.id for p in pms] == [default]
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["invoice_settings.default_payment_method"]})
    assert expanded.invoice_settings.default_payment_method.card.last4 == "4242"
    assert_shape(expanded.to_dict())


def test_default_must_be_attached(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    loose = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": loose.id}})
    assert info.value.param == "invoice_settings[default_payment_method]"


@pytest.mark.parametrize("card", DECLINE_TOKENS, ids=[card.tokens[0] for card in DECLINE_TOKENS])
def test_decline_cards_cannot_be_attached(client: stripe.StripeClient, card: test_cards.TestCard) -> None:
    customer = client.v1.customers.create()
    for token in card.tokens:
        if not token.startswith("pm_"):
            continue
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_methods.attach(token, params={"customer": customer.id})
        assert info.value.http_status == 402
        assert info.value.code == card.attach_decline.code
        assert info.value.error.decline_code == card.attach_decline.decline_code
        assert_shape(info.value.json_body)
    assert client.v1.customers.payment_methods.list(customer.id).data == []


def test_charge_customer_fail_attaches(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    assert pm.card.last4 == "0341"


def test_card_numbers(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000 0566 5566 5556", "exp_month": 4, "exp_year": 2031, "cvc": "123"},
        "billing_details": {"name": "Ada", "address": {"postal_code": "12345"}}})
    assert (pm.card.brand, pm.card.funding, pm.card.last4, pm.card.exp_year) == ("visa", "debit", "5556", 2031)
    assert pm.billing_details.name == "Ada" and pm.billing_details.address.postal_code == "12345"
    assert_shape(pm.to_dict())
    same = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000056655665556", "exp_month": 5, "exp_year": 2032}})
    assert same.card.fingerprint == pm.card.fingerprint
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {
            "number": "4242424242424241", "exp_month": 1, "exp_year": 2030}})
    assert info.value.code == "incorrect_number" and info.value.param == "card[number]"
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": {
            "number": "4242424242424242", "exp_month": 13, "exp_year": 2030}})
    assert info.value.code == "invalid_expiry_month"


def test_update_and_detach(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    pm_id = customer.invoice_settings.default_payment_method
    updated = client.v1.payment_methods.update(pm_id, params={"card": {"exp_month": 7, "exp_year": 2033},
                                                             "metadata": {"k": "v"}})
    assert (updated.card.exp_month, updated.card.exp_year) == (7, 2033)
    detached = client.v1.payment_methods.detach(pm_id)
    assert detached.customer is None
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None
    types = [e.type for e in client.v1.events.list().data]
    assert types[:3] == ["customer.updated", "payment_method.detached", "payment_method.updated"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(pm_id)


def test_legacy_source_token(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"source": "tok_visa"})
    assert customer.default_source.startswith("card_")
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["default_source"]})
    assert expanded.default_source.last4 == "4242" and expanded.default_source.object == "card"
    with pytest.raises(stripe.CardError):
        client.v1.customers.create(params={"source": "tok_chargeDeclined"})


def test_deleting_customer_detaches(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    pm = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.delete(customer.id)
    assert client.v1.payment_methods.retrieve(pm.id).customer is None


def test_tax_ids(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]})
    listed = client.v1.customers.tax_ids.list(customer.id)
    assert [(t.type, t.value, t.country) for t in listed.data] == [("eu_vat", "DE123456789", "DE")]
    assert listed.data[0].verification.status == "verified"
    assert_shape(listed.to_dict())
    us = client.v1.customers.tax_ids.create(customer.id, params={"type": "us_ein", "value": "12-3456789"})
    assert us.id.startswith("txi_") and us.country == "US"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.create(customer.id, params={"type": "eu_vat", "value": "nope"})
    assert info.value.param == "value" and info.value.code == "tax_id_invalid"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"tax_id_data": [{"type": "gb_vat", "value": "123"}]})
    assert info.value.param == "tax_id_data[0][value]"
    deleted = client.v1.customers.tax_ids.delete(customer.id, us.id)
    assert deleted.deleted is True
    assert_shape(deleted.to_dict())
    top = client.v1.tax_ids.create(params={"type": "au_abn", "value": "12345678912",
                                           "owner": {"type": "customer", "customer": customer.id}})
    assert top.owner.customer == customer.id
    types = [e.type for e in client.v1.events.list().data]
    assert types[:2] == ["customer.tax_id.created", "customer.tax_id.deleted"]
