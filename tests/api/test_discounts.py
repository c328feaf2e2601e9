"""Coupons and promotion codes through the SDK."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.conftest import RawHttp
from tests.shape_oracle import assert_shape


def test_coupon_kinds(client: stripe.StripeClient) -> None:
    percent = client.v1.coupons.create(params={"percent_off": 33.5, "duration": "repeating",
                                               "duration_in_months": 3, "name": "Third"})
    assert len(percent.id) == 8 and percent.id.isupper()
    assert (percent.percent_off, percent.amount_off, percent.valid, percent.times_redeemed) == (33.5, None, True, 0)
    assert_shape(percent.to_dict())
    amount = client.v1.coupons.create(params={"id": "FIVE", "amount_off": 500, "currency": "USD",
                                              "duration": "forever", "currency_options": {"eur": {"amount_off": 450}}})
    assert amount.currency == "usd" and amount.currency_options.eur.amount_off == 450
    assert_shape(amount.to_dict())
    once = client.v1.coupons.create(params={"percent_off": 10})
    assert once.duration == "once" and once.duration_in_months is None
    renamed = client.v1.coupons.update(amount.id, params={"name": "Five off", "metadata": {"k": "v"}})
    assert renamed.name == "Five off"
    assert [c.id for c in client.v1.coupons.list().data] == [once.id, amount.id, percent.id]
    deleted = client.v1.coupons.delete(once.id)
    assert deleted.deleted is True
    assert_shape(deleted.to_dict())
    types = [e.type for e in client.v1.events.list().data]
    assert types[:2] == ["coupon.deleted", "coupon.updated"]


@pytest.mark.parametrize("params,param", [
    ({}, "percent_off"),
    ({"percent_off": 10, "amount_off": 5, "currency": "usd"}, "percent_off"),
    ({"amount_off": 500}, "currency"),
    ({"percent_off": 120}, "percent_off"),
    ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
    ({"percent_off": 10, "duration": "forever", "duration_in_months": 2}, "duration_in_months"),
    ({"percent_off": 10, "redeem_by": 1000}, "redeem_by"),
    ({"percent_off": 10, "applies_to": {"products": ["prod_missing"]}}, "applies_to[products][0]"),
])
def test_coupon_validation(client: stripe.StripeClient, params: dict, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.coupons.create(params=params)
    assert info.value.param == param
    assert_shape(info.value.json_body)


def test_applies_to_and_redeem_by(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "P"})
    coupon = client.v1.coupons.create(params={"percent_off": 50, "applies_to": {"products": [product.id]},
                                              "redeem_by": int(time.time()) + 3600, "max_redemptions": 2})
    fetched = client.v1.coupons.retrieve(coupon.id, params={"expand": ["applies_to"]})
    assert fetched.applies_to.products == [product.id]
    assert fetched.max_redemptions == 2
    assert_shape(fetched.to_dict())


def test_promotion_codes(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"id": "SPRING", "percent_off": 25})
    customer = client.v1.customers.create()
    promo = client.v1.promotion_codes.create(params={
        "promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING25", "max_redemptions": 10,
        "restrictions": {"first_time_transaction": True, "minimum_amount": 5000, "minimum_amount_currency": "usd"}})
    assert promo.id.startswith("promo_") and promo.promotion.coupon == "SPRING"
    assert promo.restrictions.minimum_amount == 5000 and promo.active is True
    assert_shape(promo.to_dict())
    expanded = client.v1.promotion_codes.retrieve(promo.id, params={"expand": ["promotion.coupon"]})
    assert expanded.promotion.coupon.percent_off == 25
    assert_shape(expanded.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                 "code": "spring25"})
    assert info.value.param == "code"
    mine = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                    "customer": customer.id})
    assert len(mine.code) == 8 and mine.customer == customer.id
    generated = client.v1.promotion_codes.list(params={"customer": customer.id})
    assert [p.id for p in generated.data] == [mine.id]
    assert [p.id for p in client.v1.promotion_codes.list(params={"code": "spring25"}).data] == [promo.id]
    off = client.v1.promotion_codes.update(promo.id, params={"active": False, "metadata": {"x": "y"}})
    assert off.active is False
    assert [p.id for p in client.v1.promotion_codes.list(params={"active": False}).data] == [promo.id]
    back = client.v1.promotion_codes.update(promo.id, params={"active": True})
    assert back.active is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": "NOPE"}})
    assert info.value.code == "resource_missing" and info.value.param == "promotion[coupon]"
    types = [e.type for e in client.v1.events.list(params={"limit": 5}).data]
    assert types[:2] == ["promotion_code.updated", "promotion_code.updated"]


def test_promotion_code_expiry_rules(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(params={"percent_off": 5, "redeem_by": int(time.time()) + 600,
                                              "max_redemptions": 3})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                 "expires_at": int(time.time()) + 7200})
    assert info.value.param == "expires_at"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                 "max_redemptions": 4})
    assert info.value.param == "max_redemptions"


def test_pre_clover_promotion_code_shapes(client: stripe.StripeClient, http: RawHttp) -> None:
    coupon = client.v1.coupons.create(params={"id": "LEGACY", "percent_off": 15})
    headers = {"Stripe-Version": "2024-06-20"}
    created = http.post("/v1/promotion_codes", data={"coupon": coupon.id, "code": "OLDSTYLE"}, headers=headers)
    assert created.status_code == 200, created.text
    body = created.json()
    assert "promotion" not in body
    assert body["coupon"]["id"] == "LEGACY" and body["coupon"]["percent_off"] == 15
    pinned = http.get(f"/v1/promotion_codes/{body['id']}", headers={"Stripe-Version": "2023-08-16"}).json()
    assert pinned["coupon"]["object"] == "coupon"
    assert_shape(pinned, version="2023-08-16")
    current = client.v1.promotion_codes.retrieve(body["id"])
    assert current.promotion.coupon == "LEGACY"
    rejected = http.post("/v1/promotion_codes", data={"coupon": coupon.id})
    assert rejected.status_code == 400 and rejected.json()["error"]["code"] == "parameter_unknown"
