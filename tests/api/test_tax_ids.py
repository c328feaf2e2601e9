"""Tax IDs: a customer's (`/v1/customers/{id}/tax_ids`, `tax_id_data` on create) and `/v1/tax_ids` by owner,
with format validation and Stripe's test-mode verification (magic numbers)."""

from __future__ import annotations

import datetime

import pytest
import stripe

from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape

# Example values from Stripe's table of supported tax ID types.
VALID = [
    ("ae_trn", "123456789012345", "AE"), ("au_abn", "12345678912", "AU"), ("au_arn", "123456789123", "AU"),
    ("br_cnpj", "01.234.456/5432-10", "BR"), ("br_cpf", "123.456.789-87", "BR"), ("ca_bn", "123456789", "CA"),
    ("ca_gst_hst", "123456789RT0002", "CA"), ("ca_pst_bc", "PST-1234-5678", "CA"), ("ca_pst_mb", "123456-7", "CA"),
    ("ca_pst_sk", "1234567", "CA"), ("ca_qst", "1234567890TQ1234", "CA"), ("ch_uid", "CHE-123.456.789 HR", "CH"),
    ("ch_vat", "CHE-123.456.789 MWST", "CH"), ("es_cif", "A12345678", "ES"), ("eu_oss_vat", "EU123456789", None),
    ("eu_vat", "ATU12345678", "AT"), ("eu_vat", "BE0123456789", "BE"), ("eu_vat", "CY12345678Z", "CY"),
    ("eu_vat", "DE123456789", "DE"), ("eu_vat", "ESA1234567Z", "ES"), ("eu_vat", "FRAB123456789", "FR"),
    ("eu_vat", "EL123456789", "GR"), ("eu_vat", "IE1234567AB", "IE"), ("eu_vat", "NL123456789B12", "NL"),
    ("eu_vat", "XI123456789", "GB"), ("gb_vat", "GB123456789", "GB"), ("hk_br", "12345678", "HK"),
    ("in_gst", "12ABCDE3456FGZH", "IN"), ("jp_cn", "1234567891234", "JP"), ("jp_rn", "12345", "JP"),
    ("jp_trn", "T1234567891234", "JP"), ("kr_brn", "123-45-67890", "KR"), ("li_uid", "CHE123456789", "LI"),
    ("mx_rfc", "ABC010203AB9", "MX"), ("no_vat", "123456789MVA", "NO"), ("no_voec", "1234567", "NO"),
    ("nz_gst", "123456789", "NZ"), ("sa_vat", "123456789012345", "SA"), ("sg_gst", "M12345678X", "SG"),
    ("sg_uen", "123456789F", "SG"), ("th_vat", "1234567891234", "TH"), ("tw_vat", "12345678", "TW"),
    ("us_ein", "12-3456789", "US"), ("za_vat", "4123456789", "ZA"), ("is_vat", "123456", "IS"),
]
INVALID = [("eu_vat", "nope"), ("eu_vat", "US123456789"), ("eu_vat", "DE"), ("gb_vat", "123"),
           ("gb_vat", "GB12345"), ("us_ein", "12345"), ("au_abn", "123"), ("in_gst", "12345"),
           ("ch_vat", "CHE-123.456.789"), ("za_vat", "1234567890")]
VERIFIED_TYPES = {"au_abn", "eu_vat", "gb_vat"}


@pytest.mark.parametrize("kind,value,country", VALID, ids=[f"{k}-{v}" for k, v, _ in VALID])
def test_valid_values(client: stripe.StripeClient, kind: str, value: str, country: str | None) -> None:
    customer = client.v1.customers.create()
    tax_id = client.v1.customers.tax_ids.create(customer.id, params={"type": kind, "value": value})
    assert tax_id.id.startswith("txi_") and (tax_id.type, tax_id.value, tax_id.country) == (kind, value, country)
    assert tax_id.customer == customer.id and tax_id.owner.customer == customer.id
    assert tax_id.owner.type == "customer"
    assert tax_id.verification.status == ("pending" if kind in VERIFIED_TYPES else "unavailable")
    assert_shape(tax_id.to_dict())


@pytest.mark.parametrize("kind,value", INVALID, ids=[f"{k}-{v}" for k, v in INVALID])
def test_invalid_values(client: stripe.StripeClient, kind: str, value: str) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.create(customer.id, params={"type": kind, "value": value})
    assert (info.value.http_status, info.value.code, info.value.param) == (400, "tax_id_invalid", "value")
    assert info.value.user_message == f"Invalid value for {kind}."
    assert_shape(info.value.json_body)
    assert client.v1.customers.tax_ids.list(customer.id).data == []


@pytest.mark.parametrize("kind,value,status", [
    ("eu_vat", "DE000000000", "verified"), ("eu_vat", "DE111111111", "unverified"),
    ("eu_vat", "DE222222222", "pending"), ("gb_vat", "GB000000000", "verified"),
    ("gb_vat", "GB111111111", "unverified"), ("au_abn", "000000000", "verified"),
    ("au_abn", "111111111", "unverified"), ("au_abn", "222222222", "pending"),
    ("eu_vat", "FRAB123456789", "verified"), ("gb_vat", "GB123456789", "verified"),
])
def test_verification_in_test_mode(client: stripe.StripeClient, kind: str, value: str, status: str) -> None:
    customer = client.v1.customers.create()
    created = client.v1.customers.tax_ids.create(customer.id, params={"type": kind, "value": value})
    assert created.verification.status == "pending"  # Stripe verifies asynchronously
    fetched = client.v1.customers.tax_ids.retrieve(customer.id, created.id)
    assert fetched.verification.status == status
    assert_shape(fetched.to_dict())
    events = client.v1.events.list(params={"limit": 3}).data
    if status == "pending":
        assert [e.type for e in events[:1]] == ["customer.tax_id.created"]
        return
    assert [e.type for e in events[:2]] == ["customer.tax_id.updated", "customer.tax_id.created"]
    assert events[1].data.object.verification.status == "pending"
    assert events[0].data.object.verification.status == status
    assert events[0].data.previous_attributes.verification.status == "pending"
    for event in events[:2]:
        assert_shape(event.to_dict())


def test_customer_tax_ids_crud(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"tax_id_data": [{"type": "eu_vat", "value": "DE123456789"},
                                                                  {"type": "us_ein", "value": "12-3456789"}]})
    listed = client.v1.customers.tax_ids.list(customer.id)
    assert [(t.type, t.value, t.country) for t in listed.data] == [("us_ein", "12-3456789", "US"),
                                                                   ("eu_vat", "DE123456789", "DE")]
    assert [t.verification.status for t in listed.data] == ["unavailable", "verified"]
    assert listed.url == f"/v1/customers/{customer.id}/tax_ids"
    assert_shape(listed.to_dict())
    assert [e.type for e in client.v1.events.list().data][::-1] == [
        "customer.created", "customer.tax_id.created", "customer.tax_id.updated", "customer.tax_id.created"]
    vat, ein = listed.data[1], listed.data[0]
    fetched = client.v1.customers.tax_ids.retrieve(customer.id, vat.id)
    assert fetched.id == vat.id
    assert_shape(fetched.to_dict())
    page = client.v1.customers.tax_ids.list(customer.id, params={"limit": 1})
    assert [t.id for t in page.data] == [ein.id] and page.has_more is True
    deleted = client.v1.customers.tax_ids.delete(customer.id, ein.id)
    assert deleted.to_dict() == {"id": ein.id, "object": "tax_id", "deleted": True}
    assert_shape(deleted.to_dict())
    event = client.v1.events.list().data[0]
    assert event.type == "customer.tax_id.deleted" and event.data.object.id == ein.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.retrieve(customer.id, ein.id)
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    other = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.retrieve(other.id, vat.id)
    assert info.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.delete(other.id, vat.id)
    assert info.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.list("cus_missing")
    assert info.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.tax_ids.create("cus_missing", params={"type": "us_ein", "value": "12-3456789"})
    assert info.value.http_status == 404


def test_tax_id_data_errors_name_the_entry(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"tax_id_data": [{"type": "us_ein", "value": "12-3456789"},
                                                           {"type": "gb_vat", "value": "123"}]})
    assert (info.value.code, info.value.param) == ("tax_id_invalid", "tax_id_data[1][value]")
    assert info.value.user_message == "Invalid value for gb_vat."
    assert client.v1.customers.list().data == []  # the whole create failed
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"tax_id_data": [{"type": "xx_nope", "value": "1"}]})
    assert info.value.param == "tax_id_data[0][type]"


def test_top_level_tax_ids(client: stripe.StripeClient, http: RawHttp) -> None:
    customer = client.v1.customers.create()
    theirs = client.v1.tax_ids.create(params={"type": "au_abn", "value": "12345678912",
                                              "owner": {"type": "customer", "customer": customer.id}})
    assert (theirs.owner.type, theirs.owner.customer, theirs.customer) == ("customer", customer.id, customer.id)
    assert_shape(theirs.to_dict())
    events_before = client.v1.events.list(params={"limit": 100}).data
    ours = client.v1.tax_ids.create(params={"type": "eu_vat", "value": "FRAB123456789"})
    assert (ours.owner.type, ours.customer, ours.verification) == ("self", None, None)
    assert_shape(ours.to_dict())
    # Stripe's event types cover customers' tax IDs only: the account's own create and delete no event.
    assert [e.id for e in client.v1.events.list(params={"limit": 100}).data] == [e.id for e in events_before]
    own = client.v1.tax_ids.list()
    assert [t.id for t in own.data] == [ours.id] and own.url == "/v1/tax_ids"
    assert_shape(own.to_dict())
    by_customer = client.v1.tax_ids.list(params={"owner": {"type": "customer", "customer": customer.id}})
    assert [t.id for t in by_customer.data] == [theirs.id]
    assert client.v1.tax_ids.retrieve(theirs.id).id == theirs.id
    assert client.v1.customers.tax_ids.list(customer.id).data[0].id == theirs.id
    assert client.v1.tax_ids.delete(ours.id).deleted is True
    assert [e.id for e in client.v1.events.list(params={"limit": 100}).data] == [e.id for e in events_before]
    assert client.v1.tax_ids.delete(theirs.id).deleted is True
    assert client.v1.events.list().data[0].type == "customer.tax_id.deleted"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_ids.retrieve(theirs.id)
    assert info.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_ids.create(params={"type": "us_ein", "value": "12-3456789", "owner": {"type": "customer"}})
    assert (info.value.code, info.value.param) == ("parameter_missing", "owner[customer]")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_ids.create(params={"type": "us_ein", "value": "12-3456789",
                                         "owner": {"type": "customer", "customer": "cus_missing"}})
    assert (info.value.code, info.value.param) == ("resource_missing", "owner[customer]")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_ids.create(params={"type": "us_ein", "value": "12-3456789",
                                         "owner": {"type": "application"}})
    assert info.value.param == "owner[type]"
    response = http.post("/v1/tax_ids", data={"type": "us_ein", "value": "12-3456789", "owner[type]": "account",
                                              "owner[account]": "acct_1"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "owner[account]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tax_ids.create(params={"type": "us_ein"})
    assert info.value.param == "value"


def test_tax_id_on_a_test_clock(client: stripe.StripeClient) -> None:
    frozen = int(datetime.datetime(2027, 1, 15, tzinfo=datetime.timezone.utc).timestamp())
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen})
    customer = client.v1.customers.create(params={"test_clock": clock.id,
                                                  "tax_id_data": [{"type": "gb_vat", "value": "GB123456789"}]})
    tax_id = client.v1.customers.tax_ids.list(customer.id).data[0]
    assert tax_id.created == frozen
    assert client.v1.events.list().data[0].created == frozen
