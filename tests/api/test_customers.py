"""Customers through the official SDK: CRUD, metadata rules, deleted customers, search, test clocks, expand."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape


def test_create_retrieve_update(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "email": "ada@example.com", "name": "Ada", "phone": "+44 20 7946 0000", "description": "first",
        "address": {"line1": "1 Main St", "city": "London", "country": "GB"},
        "shipping": {"name": "Ada", "address": {"line1": "2 Side St", "country": "GB"}},
        "metadata": {"plan": "pro"}, "preferred_locales": ["en", "fr"], "balance": -500,
    })
    assert customer.id.startswith("cus_") and len(customer.id) == 18
    assert customer.object == "customer" and customer.livemode is False
    assert abs(customer.created - time.time()) < 60
    assert customer.address.city == "London" and customer.address.state is None
    assert customer.shipping.address.line1 == "2 Side St"
    assert customer.balance == -500
    assert customer.invoice_prefix and customer.invoice_prefix.isupper()
    assert customer.metadata.to_dict() == {"plan": "pro"}
    assert customer.tax_exempt == "none" and customer.delinquent is False
    assert_shape(customer.to_dict())
    updated = client.v1.customers.update(customer.id, params={
        "name": "Ada Lovelace", "address": "", "metadata": {"plan": "", "seats": "3"}, "tax_exempt": "exempt"})
    assert updated.name == "Ada Lovelace"
    assert updated.address is None
    assert updated.description == "first"
    assert updated.metadata.to_dict() == {"seats": "3"}
    assert updated.email == "ada@example.com"
    assert updated.tax_exempt == "exempt"
    cleared = client.v1.customers.update(customer.id, params={"metadata": ""})
    assert cleared.metadata.to_dict() == {}
    assert_shape(client.v1.customers.retrieve(customer.id).to_dict())


def test_delete_keeps_a_deleted_stub(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}
    assert_shape(deleted.to_dict())
    again = client.v1.customers.retrieve(customer.id)
    assert again.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.update(customer.id, params={"name": "x"})
    assert info.value.http_status == 404
    assert client.v1.customers.list().data == []


def test_missing_customer_is_404_naming_the_id(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert "No such customer: 'cus_doesnotexist'" in str(info.value.user_message)
    assert_shape(info.value.json_body)


def test_metadata_limits(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"metadata": {"k" * 41: "v"}})
    assert info.value.param == f"metadata[{'k' * 41}]"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create(params={"metadata": {"k": "v" * 501}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"metadata": {f"k{i}": "v" for i in range(51)}})
    assert info.value.param == "metadata"


def test_list_filters_by_email(client: stripe.StripeClient) -> None:
    client.v1.customers.create(params={"email": "one@example.com"})
    two = client.v1.customers.create(params={"email": "two@example.com"})
    found = client.v1.customers.list(params={"email": "two@example.com"})
    assert [c.id for c in found.data] == [two.id]


def test_search_query_language(client: stripe.StripeClient) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada Lovelace",
                                             "metadata": {"tier": "gold"}})
    grace = client.v1.customers.create(params={"email": "grace@navy.mil", "name": "Grace Hopper",
                                               "metadata": {"tier": "silver"}})
    def ids(query: str) -> list[str]:
        result = client.v1.customers.search(params={"query": query})
        assert_shape(result.to_dict())
        return [c.id for c in result.data]
    assert ids("email:'ada@example.com'") == [ada.id]
    assert ids("email:'ADA@example.com'") == [ada.id]
    assert ids("name~'hopp'") == [grace.id]
    assert ids("metadata['tier']:'gold'") == [ada.id]
    assert ids("-metadata['tier']:'gold'") == [grace.id]
    assert ids("metadata['tier']:'gold' OR metadata['tier']:'silver'") == [grace.id, ada.id]
    assert ids("name~'ace' AND email~'navy'") == [grace.id]
    assert ids(f"created>={ada.created - 1}") == [grace.id, ada.id]
    assert ids("phone:null") == [grace.id, ada.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        ids("email:'a' AND name:'b' OR name:'c'")
    assert info.value.param == "query"
    with pytest.raises(stripe.InvalidRequestError):
        ids("nosuchfield:'x'")
    page = client.v1.customers.search(params={"query": "name~'ace'", "limit": 1})
    assert page.has_more is True and page.next_page
    second = client.v1.customers.search(params={"query": "name~'ace'", "limit": 1, "page": page.next_page})
    assert [c.id for c in second.data] == [ada.id] and second.has_more is False


def test_customer_on_a_test_clock_lives_at_its_time(client: stripe.StripeClient) -> None:
    frozen = 1_767_225_600  # 2026-01-01T00:00:00Z
    test_clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen, "name": "c"})
    assert_shape(test_clock.to_dict())
    customer = client.v1.customers.create(params={"test_clock": test_clock.id})
    assert customer.test_clock == test_clock.id
    assert customer.created == frozen
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["test_clock"]})
    assert expanded.test_clock.id == test_clock.id
    assert_shape(expanded.to_dict())
    assert [c.id for c in client.v1.customers.list(params={"test_clock": test_clock.id}).data] == [customer.id]
    deleted = client.v1.test_helpers.test_clocks.delete(test_clock.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True


def test_expand_rules(client: stripe.StripeClient, http: RawHttp) -> None:
    customer = client.v1.customers.create()
    response = http.get(f"/v1/customers/{customer.id}", params={"expand[]": "email"})
    assert response.status_code == 400
    assert "cannot be expanded" in response.json()["error"]["message"]
    response = http.get(f"/v1/customers/{customer.id}", params={"expand[]": "a.b.c.d.e"})
    assert response.status_code == 400
    listed = http.get("/v1/customers", params={"expand[]": "data.test_clock"})
    assert listed.status_code == 200


def test_older_api_version_shapes(client: stripe.StripeClient, http: RawHttp) -> None:
    customer = client.v1.customers.create(params={"business_name": "Acme Ltd"})
    assert customer.business_name == "Acme Ltd"
    old = http.get(f"/v1/customers/{customer.id}", headers={"Stripe-Version": "2023-08-16"})
    assert old.headers["Stripe-Version"] == "2023-08-16"
    assert "business_name" not in old.json()
    assert_shape(old.json(), version="2023-08-16")
