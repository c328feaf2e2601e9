"""Products, prices and legacy plans through the SDK."""

from __future__ import annotations

import pytest
import stripe

from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape


def test_product_lifecycle(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={
        "name": "Pro", "description": "For teams", "id": "prod_custom_pro", "metadata": {"tier": "2"},
        "marketing_features": [{"name": "SSO"}], "unit_label": "seat", "default_price_data": {
            "currency": "usd", "unit_amount": 2900, "recurring": {"interval": "month"}}})
    assert product.id == "prod_custom_pro"
    assert product.default_price.startswith("price_")
    assert product.type == "service" and product.active is True
    assert_shape(product.to_dict())
    price = client.v1.prices.retrieve(product.default_price, params={"expand": ["product"]})
    assert price.product.id == product.id and price.unit_amount == 2900
    assert_shape(price.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.products.create(params={"name": "Dup", "id": "prod_custom_pro"})
    assert info.value.code == "resource_already_exists"
    updated = client.v1.products.update(product.id, params={"name": "Pro+", "description": "", "active": False})
    assert (updated.name, updated.description, updated.active) == ("Pro+", None, False)
    assert updated.updated >= product.updated
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.products.delete(product.id)
    assert "has one or more user-created prices" in str(info.value.user_message)
    lonely = client.v1.products.create(params={"name": "Lonely"})
    deleted = client.v1.products.delete(lonely.id)
    assert deleted.deleted is True
    assert_shape(deleted.to_dict())
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert types.count("product.created") == 2 and "price.created" in types and "product.deleted" in types


def test_product_list_and_search(client: stripe.StripeClient) -> None:
    a = client.v1.products.create(params={"name": "Alpha", "metadata": {"family": "x"}})
    b = client.v1.products.create(params={"name": "Beta", "active": False})
    assert [p.id for p in client.v1.products.list(params={"active": True}).data] == [a.id]
    assert [p.id for p in client.v1.products.list(params={"ids": [b.id]}).data] == [b.id]
    found = client.v1.products.search(params={"query": "name~'alp' AND metadata['family']:'x'"})
    assert [p.id for p in found.data] == [a.id]
    assert_shape(found.to_dict())


def test_price_rules(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Seats"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": "EUR", "unit_amount": 500,
                                              "recurring": {"interval": "month", "interval_count": 3},
                                              "lookup_key": "seat", "nickname": "Seat"})
    assert monthly.currency == "eur" and monthly.type == "recurring"
    assert monthly.recurring.interval_count == 3 and monthly.recurring.usage_type == "licensed"
    one_time = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                               "unit_amount_decimal": "12.5"})
    assert one_time.type == "one_time" and one_time.unit_amount is None and str(one_time.unit_amount_decimal) == "12.5"
    assert_shape(one_time.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1,
                                        "lookup_key": "seat"})
    assert info.value.param == "lookup_key" and monthly.id in str(info.value.user_message)
    moved = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1,
                                            "lookup_key": "seat", "transfer_lookup_key": True})
    assert client.v1.prices.retrieve(monthly.id).lookup_key is None
    assert [p.id for p in client.v1.prices.list(params={"lookup_keys": ["seat"]}).data] == [moved.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1,
                                        "recurring": {"interval": "year", "interval_count": 4}})
    assert info.value.param == "recurring[interval_count]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product": "prod_nope", "currency": "usd", "unit_amount": 1})
    assert info.value.code == "resource_missing" and info.value.param == "product"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product": product.id, "currency": "usd"})
    assert info.value.param == "unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"currency": "usd", "unit_amount": 5})
    assert info.value.param == "product"


def test_price_with_product_data_and_filters(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(params={"currency": "usd", "unit_amount": 1200,
                                            "recurring": {"interval": "year"}, "product_data": {"name": "Inline"}})
    assert client.v1.products.retrieve(price.product).name == "Inline"
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["price.created", "product.created"]
    updated = client.v1.prices.update(price.id, params={"active": False, "metadata": {"a": "b"}})
    assert updated.active is False
    assert [p.id for p in client.v1.prices.list(params={"active": False}).data] == [price.id]
    assert [p.id for p in client.v1.prices.list(params={"recurring": {"interval": "year"}}).data] == [price.id]
    assert client.v1.prices.list(params={"recurring": {"interval": "month"}}).data == []
    listed = client.v1.prices.list(params={"product": price.product, "expand": ["data.product"]})
    assert listed.data[0].product.name == "Inline"
    assert_shape(listed.to_dict())
    found = client.v1.prices.search(params={"query": f"product:'{price.product}' AND active:'false'"})
    assert [p.id for p in found.data] == [price.id]


def test_legacy_plans(client: stripe.StripeClient) -> None:
    plan = client.v1.plans.create(params={"id": "gold-monthly", "amount": 2000, "currency": "usd",
                                          "interval": "month", "product": {"name": "Gold"},
                                          "trial_period_days": 14})
    assert plan.id == "gold-monthly" and plan.object == "plan"
    assert (plan.amount, plan.interval, plan.trial_period_days) == (2000, "month", 14)
    assert_shape(plan.to_dict())
    as_price = client.v1.prices.retrieve("gold-monthly")
    assert as_price.unit_amount == 2000 and as_price.recurring.interval == "month"
    price = client.v1.prices.create(params={"product": plan.product, "currency": "usd", "unit_amount": 5,
                                            "recurring": {"interval": "week"}})
    assert client.v1.plans.retrieve(price.id).interval == "week"
    updated = client.v1.plans.update(plan.id, params={"nickname": "Gold", "metadata": {"x": "1"}})
    assert updated.nickname == "Gold"
    assert {p.id for p in client.v1.plans.list().data} == {plan.id, price.id}
    deleted = client.v1.plans.delete(plan.id)
    assert deleted.deleted is True
    assert_shape(deleted.to_dict())
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.plans.retrieve(plan.id)
    types = [e.type for e in client.v1.events.list(params={"limit": 20}).data]
    assert types[:3] == ["plan.deleted", "plan.updated", "price.created"]
    assert "plan.created" in types


def test_pinned_2023_catalog_shapes(client: stripe.StripeClient, http: RawHttp) -> None:
    product = client.v1.products.create(params={"name": "Old", "marketing_features": [{"name": "A"}]})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 100,
                                            "recurring": {"interval": "month"}})
    headers = {"Stripe-Version": "2023-08-16"}
    old_product = http.get(f"/v1/products/{product.id}", headers=headers).json()
    assert old_product["features"] == [{"name": "A"}] and "marketing_features" not in old_product
    assert_shape(old_product, version="2023-08-16")
    old_price = http.get(f"/v1/prices/{price.id}", headers=headers).json()
    assert old_price["recurring"]["aggregate_usage"] is None
    assert_shape(old_price, version="2023-08-16")
    old_plan = http.get(f"/v1/plans/{price.id}", headers=headers).json()
    assert_shape(old_plan, version="2023-08-16")
    listed = http.get("/v1/prices", headers=headers, params={"expand[]": "data.product"}).json()
    assert_shape(listed, version="2023-08-16")


def test_tiered_prices_bill_volume_and_graduated(client: stripe.StripeClient) -> None:
    from tests.api.test_subscriptions import advance, clock_customer, ts

    product = client.v1.products.create(params={"name": "Seats"})
    tiers = [{"up_to": 5, "unit_amount": 1000}, {"up_to": 10, "unit_amount": 800, "flat_amount": 500},
             {"up_to": "inf", "unit_amount": 500}]
    volume = client.v1.prices.create(params={"product": product.id, "currency": "usd", "billing_scheme": "tiered",
                                             "tiers_mode": "volume", "tiers": tiers,
                                             "recurring": {"interval": "month"}})
    assert volume.unit_amount is None and volume.billing_scheme == "tiered" and "tiers" not in volume
    expanded = client.v1.prices.retrieve(volume.id, params={"expand": ["tiers"]})
    assert [t.up_to for t in expanded.tiers] == [5, 10, None]
    assert_shape(expanded.to_dict())
    graduated = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                                "billing_scheme": "tiered", "tiers_mode": "graduated",
                                                "tiers": tiers, "recurring": {"interval": "month"}})
    clock, customer = clock_customer(client, ts(2026, 3, 1))
    by_volume = client.v1.subscriptions.create(params={"customer": customer,
                                                       "items": [{"price": volume.id, "quantity": 7}]})
    invoice = client.v1.invoices.retrieve(by_volume.latest_invoice)
    assert invoice.total == 7 * 800 + 500
    assert invoice.lines.data[0].description == "7 × Seats (Tier 2 at $8.00 / month)"
    by_tiers = client.v1.subscriptions.create(params={"customer": customer,
                                                      "items": [{"price": graduated.id, "quantity": 12}]})
    assert client.v1.invoices.retrieve(by_tiers.latest_invoice).total == 5 * 1000 + (5 * 800 + 500) + 2 * 500
    advance(client, clock, ts(2026, 3, 16))
    client.v1.subscriptions.update(by_volume.id, params={
        "items": [{"id": by_volume["items"].data[0].id, "quantity": 11}]})
    pending = client.v1.invoice_items.list(params={"customer": customer, "pending": True}).data
    start, end, moment = ts(2026, 3, 1), ts(2026, 4, 1), ts(2026, 3, 16)
    fraction = (end - moment) / (end - start)
    assert sorted(i.amount for i in pending) == [-round(6100 * fraction), round(11 * 500 * fraction)]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product": product.id, "currency": "usd", "billing_scheme": "tiered",
                                        "tiers_mode": "volume", "tiers": [{"up_to": 5, "unit_amount": 1}],
                                        "recurring": {"interval": "month"}})
    assert info.value.param == "tiers[0][up_to]"
