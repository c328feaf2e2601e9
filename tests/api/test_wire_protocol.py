"""Wire rules the official SDKs rely on: auth, errors, lists, expand, idempotency, versions, headers."""

from __future__ import annotations

import base64
import uuid

import pytest
import requests
import stripe

from tests.conftest import LiveEmulator, RawHttp
from tests.shape_oracle import assert_shape


def test_bearer_and_basic_auth_reach_the_same_account(emulator: LiveEmulator, api_key: str) -> None:
    created = requests.post(f"{emulator.url}/v1/customers", data={"email": "a@example.com"},
                            headers={"Authorization": f"Bearer {api_key}"}).json()
    basic = base64.b64encode(f"{api_key}:".encode()).decode()
    fetched = requests.get(f"{emulator.url}/v1/customers/{created['id']}",
                           headers={"Authorization": f"Basic {basic}"})
    assert fetched.status_code == 200
    assert fetched.json()["email"] == "a@example.com"


def test_keys_are_isolated_accounts(emulator: LiveEmulator) -> None:
    one = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}", base_addresses={"api": emulator.url})
    two = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}", base_addresses={"api": emulator.url})
    customer = one.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as info:
        two.v1.customers.retrieve(customer.id)
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert info.value.param is None or info.value.param == "id"
    assert customer.id in str(info.value.user_message)
    assert two.v1.customers.list().data == []


def test_missing_and_malformed_keys_are_401(emulator: LiveEmulator) -> None:
    missing = requests.get(f"{emulator.url}/v1/customers")
    assert missing.status_code == 401
    assert "did not provide an API key" in missing.json()["error"]["message"]
    assert_shape(missing.json())
    wrong = requests.get(f"{emulator.url}/v1/customers", headers={"Authorization": "Bearer sk_live_123"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["type"] == "invalid_request_error"
    assert missing.headers["Request-Id"].startswith("req_")
    sdk = stripe.StripeClient("sk_test_", base_addresses={"api": emulator.url})
    with pytest.raises(stripe.AuthenticationError):
        sdk.v1.customers.list()


def test_publishable_key_cannot_call_secret_endpoints(emulator: LiveEmulator) -> None:
    response = requests.get(f"{emulator.url}/v1/customers", headers={"Authorization": "Bearer pk_test_abc"})
    assert response.status_code == 401
    assert "publishable API key" in response.json()["error"]["message"]


def test_unknown_route_is_stripe_json_404(http: RawHttp) -> None:
    response = http.get("/v1/nothing_here")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")
    wrong_method = http.session.put(http.base + "/v1/customers")
    assert wrong_method.status_code == 404
    assert "(PUT: /v1/customers)" in wrong_method.json()["error"]["message"]


def test_unknown_parameter_is_named(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"emial": "x@example.com"})  # type: ignore[typeddict-unknown-key]
    assert info.value.code == "parameter_unknown"
    assert info.value.param == "emial"
    assert "Received unknown parameter: emial" in str(info.value.user_message)


def test_nested_unknown_parameter_uses_bracket_form(http: RawHttp) -> None:
    response = http.post("/v1/customers", data={"address[cty]": "Paris"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "address[cty]"
    assert response.json()["error"]["code"] == "parameter_unknown"


def test_integer_and_boolean_coercion_errors(http: RawHttp) -> None:
    response = http.post("/v1/customers", data={"balance": "lots"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error == {**error, "code": "parameter_invalid_integer", "param": "balance"}
    assert_shape(response.json())
    listing = http.get("/v1/customers", params={"limit": "ten"})
    assert listing.json()["error"]["param"] == "limit"


def test_parameter_stripe_has_but_emulator_lacks_is_refused_by_name(http: RawHttp) -> None:
    response = http.post("/v1/customers", data={"cash_balance[settings][reconciliation_mode]": "manual"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "cash_balance"
    assert "not implemented" in error["message"]


def test_request_id_header_on_every_answer(http: RawHttp) -> None:
    ok = http.get("/v1/customers")
    bad = http.get("/v1/customers/cus_missing")
    assert ok.headers["Request-Id"].startswith("req_")
    assert bad.headers["Request-Id"].startswith("req_")
    assert ok.headers["Request-Id"] != bad.headers["Request-Id"]


def test_list_pagination_newest_first(client: stripe.StripeClient) -> None:
    created = [client.v1.customers.create(params={"name": f"c{i}"}) for i in range(5)]
    page = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page.data] == [created[4].id, created[3].id]
    assert page.has_more is True
    assert page.url == "/v1/customers"
    nxt = client.v1.customers.list(params={"limit": 2, "starting_after": created[3].id})
    assert [c.id for c in nxt.data] == [created[2].id, created[1].id]
    prev = client.v1.customers.list(params={"limit": 2, "ending_before": created[1].id})
    assert [c.id for c in prev.data] == [created[3].id, created[2].id]
    everything = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert everything == [c.id for c in reversed(created)]
    assert_shape(page.to_dict())


def test_limit_out_of_range(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list(params={"limit": 101})
    assert info.value.param == "limit"


def test_idempotency_replays_and_rejects_other_params(http: RawHttp) -> None:
    key = str(uuid.uuid4())
    first = http.post("/v1/customers", data={"email": "i@example.com"}, headers={"Idempotency-Key": key})
    again = http.post("/v1/customers", data={"email": "i@example.com"}, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"] == key
    assert len(http.get("/v1/customers").json()["data"]) == 1
    other = http.post("/v1/customers", data={"email": "j@example.com"}, headers={"Idempotency-Key": key})
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"
    assert_shape(other.json())


def test_idempotency_keys_are_at_most_255_characters(http: RawHttp) -> None:
    refused = http.post("/v1/customers", data={"email": "k@example.com"}, headers={"Idempotency-Key": "k" * 256})
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid_request_error"
    assert "255" in refused.json()["error"]["message"]
    assert http.get("/v1/customers").json()["data"] == []
    longest = http.post("/v1/customers", data={"email": "k@example.com"}, headers={"Idempotency-Key": "k" * 255})
    assert longest.status_code == 200


def test_idempotency_keys_are_per_account(emulator: LiveEmulator) -> None:
    key = str(uuid.uuid4())
    bodies = []
    for _ in range(2):
        session = RawHttp(emulator.url, f"sk_test_{uuid.uuid4().hex}")
        bodies.append(session.post("/v1/customers", headers={"Idempotency-Key": key}).json())
    assert bodies[0]["id"] != bodies[1]["id"]


def test_events_record_mutations(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "e@example.com"})
    client.v1.customers.update(customer.id, params={"name": "Eve", "metadata": {"tier": "gold"}})
    client.v1.customers.delete(customer.id)
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["customer.deleted", "customer.updated", "customer.created"]
    updated = events[1]
    assert updated.data.previous_attributes.to_dict() == {"name": None, "metadata": {"tier": None}} or \
        updated.data.previous_attributes.to_dict() == {"name": None, "metadata": {}}
    assert updated.request.id.startswith("req_")
    filtered = client.v1.events.list(params={"type": "customer.updated"}).data
    assert [e.id for e in filtered] == [updated.id]
    wildcard = client.v1.events.list(params={"type": "customer.*"}).data
    assert len(wildcard) == 3
    for event in events:
        assert_shape(event.to_dict())
    assert client.v1.events.retrieve(updated.id).id == updated.id


def test_stripe_account_header_is_refused_clearly(http: RawHttp) -> None:
    response = http.get("/v1/customers", headers={"Stripe-Account": "acct_123"})
    assert response.status_code == 400
    assert "Connect" in response.json()["error"]["message"]


def test_invalid_stripe_version_is_refused(http: RawHttp) -> None:
    response = http.get("/v1/customers", headers={"Stripe-Version": "yesterday"})
    assert response.status_code == 400
    assert "Invalid Stripe API version" in response.json()["error"]["message"]


def test_account_endpoint(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_")
    assert_shape(account.to_dict())


def test_malformed_form_bodies_are_400_not_500(http: RawHttp) -> None:
    for body in ("metadata[a]=1&metadata=2", "address]=x", "a[b=1", "metadata[k][j]=1", "expand[0][x]=y",
                 "items=1&items[0]=2", "%ZZ=1", "email[]=x"):
        response = http.session.post(http.base + "/v1/customers", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 400 <= response.status_code < 500, (body, response.text)
        assert "error" in response.json()


def test_unimplemented_nested_parameter_is_named_with_its_index(http: RawHttp) -> None:
    response = http.post("/v1/subscriptions", data={"customer": "cus_x", "items[0][price]": "price_x",
                                                   "items[0][billing_thresholds][usage_gte]": "5"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "items[0][billing_thresholds]"
    assert "not implemented" in response.json()["error"]["message"]


def test_empty_value_unsets_only_string_map_entries(http: RawHttp) -> None:
    coupon = http.post("/v1/coupons", data={"percent_off": 10, "duration": "once"}).json()
    promo = http.post("/v1/promotion_codes", data={"promotion[type]": "coupon",
                                                   "promotion[coupon]": coupon["id"]}).json()
    answer = http.post(f"/v1/promotion_codes/{promo['id']}", data={"restrictions[currency_options][usd]": ""})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"].startswith("restrictions[currency_options]")
    unset = http.post(f"/v1/promotion_codes/{promo['id']}", data={"metadata[a]": "1"}).json()
    assert http.post(f"/v1/promotion_codes/{promo['id']}", data={"metadata[a]": ""}).json()["metadata"] == {}
    assert unset["metadata"] == {"a": "1"}


def test_requests_outside_the_usual_form_get_the_same_answers(http: RawHttp) -> None:
    """Multipart bodies and HEAD go through Flask's views; they authenticate and answer like the rest."""
    multipart = http.session.post(http.base + "/v1/customers", files={"email": (None, "m@example.com"),
                                                                      "metadata[source]": (None, "multipart")})
    assert multipart.status_code == 200, multipart.text
    assert (multipart.json()["email"], multipart.json()["metadata"]) == ("m@example.com", {"source": "multipart"})
    assert multipart.headers["Request-Id"].startswith("req_") and multipart.headers["Stripe-Version"]
    head = http.session.head(http.base + "/v1/customers")
    assert head.status_code == 200 and head.headers["Content-Type"] == "application/json"
    unauthenticated = requests.post(http.base + "/v1/customers", files={"email": (None, "x@example.com")})
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]["type"] == "invalid_request_error"
    listing = http.get("/v1/customers", params={"email": "m@example.com"}).json()
    assert [customer["id"] for customer in listing["data"]] == [multipart.json()["id"]]


def test_nested_expand_on_a_mutation(client: stripe.StripeClient) -> None:
    """Expanding inside embedded objects of a create's answer leaves the stored subscription untouched."""
    product = client.v1.products.create(params={"name": "Expandable"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 100,
                                            "recurring": {"interval": "month"}})
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    created = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}],
                                                     "expand": ["items.data.price.product", "latest_invoice"]})
    assert created["items"]["data"][0]["price"]["product"]["name"] == "Expandable"
    assert created.latest_invoice.amount_paid == 100
    stored = client.v1.subscriptions.retrieve(created.id)
    assert stored["items"]["data"][0]["price"]["product"] == product.id
    assert_shape(created.to_dict())


def test_unknown_currencies_are_refused(http: RawHttp) -> None:
    product = http.post("/v1/products", data={"name": "Coins"}).json()
    for path, data, param in (("/v1/prices", {"product": product["id"], "currency": "xyz", "unit_amount": 100},
                               "currency"),
                              ("/v1/coupons", {"amount_off": 100, "currency": "usdd", "duration": "once"}, "currency"),
                              ("/v1/payment_intents", {"amount": 100, "currency": "eurr"}, "currency")):
        refused = http.post(path, data=data)
        assert refused.status_code == 400 and refused.json()["error"]["param"] == param, path
    assert http.post("/v1/prices", data={"product": product["id"], "currency": "JPY",
                                         "unit_amount": 100}).json()["currency"] == "jpy"
    customer = http.post("/v1/customers").json()
    coupon = http.post("/v1/coupons", data={"percent_off": 10, "duration": "once"}).json()
    for path, data, param in (("/v1/invoices", {"customer": customer["id"], "currency": "dem"}, "currency"),
                              ("/v1/promotion_codes", {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"],
                                                       "restrictions[minimum_amount]": 100,
                                                       "restrictions[minimum_amount_currency]": "xxx"},
                               "restrictions[minimum_amount_currency]")):
        refused = http.post(path, data=data)
        assert refused.status_code == 400 and refused.json()["error"]["param"] == param, path


def test_expandable_customer_lists_and_search_total_count(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "Zoë", "source": "tok_visa"})
    client.v1.customers.tax_ids.create(customer.id, params={"type": "eu_vat", "value": "DE123456789"})
    product = client.v1.products.create(params={"name": "P"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 100,
                                            "recurring": {"interval": "month"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    plain = client.v1.customers.retrieve(customer.id)
    assert "subscriptions" not in plain and "tax_ids" not in plain and "sources" not in plain
    full = client.v1.customers.retrieve(customer.id, params={"expand": ["subscriptions", "tax_ids", "sources"]})
    assert [s.id for s in full.subscriptions.data] == [subscription.id]
    assert [t.value for t in full.tax_ids.data] == ["DE123456789"]
    assert [s.id for s in full.sources.data] == [plain.default_source]
    assert_shape(full.to_dict())
    found = client.v1.customers.search(params={"query": "name:'Zoë'"})
    assert "total_count" not in found and [c.id for c in found.data] == [customer.id]
    counted = client.v1.customers.search(params={"query": "name:'Zoë'", "expand": ["total_count"]})
    assert counted.total_count == 1


def test_bodies_that_are_not_form_encoded_are_refused(emulator: LiveEmulator, api_key: str) -> None:
    json_body = requests.post(f"{emulator.url}/v1/customers", json={"email": "a@example.com"}, auth=(api_key, ""))
    assert json_body.status_code == 400
    assert json_body.json()["error"]["type"] == "invalid_request_error"
    assert "unsupported Content-Type application/json" in json_body.json()["error"]["message"]
    raw_utf8 = requests.post(f"{emulator.url}/v1/customers", data="name=Zoë".encode(), auth=(api_key, ""),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw_utf8.json()["name"] == "Zoë"
    created = requests.post(f"{emulator.url}/v1/customers", auth=(api_key, ""))
    first = requests.delete(f"{emulator.url}/v1/customers/{created.json()['id']}", auth=(api_key, ""),
                            headers={"Idempotency-Key": "delete-twice"})
    other = requests.post(f"{emulator.url}/v1/customers", auth=(api_key, "")).json()["id"]
    second = requests.delete(f"{emulator.url}/v1/customers/{other}", auth=(api_key, ""),
                             headers={"Idempotency-Key": "delete-twice"})
    assert (first.status_code, second.status_code, second.json()["id"]) == (200, 200, other)
