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


def _priced(client: stripe.StripeClient, currency: str, amount: int = 1000) -> str:
    product = client.v1.products.create(params={"name": f"Plan {currency}"})
    return client.v1.prices.create(params={"product": product.id, "currency": currency, "unit_amount": amount,
                                           "recurring": {"interval": "month"}}).id


def _paying_customer(client: stripe.StripeClient, **extra: object) -> str:
    return client.v1.customers.create(params={"payment_method": "pm_card_visa", **extra,
                                              "invoice_settings": {"default_payment_method": "pm_card_visa"}}).id


def test_amount_off_follows_the_invoice_currency(client: stripe.StripeClient) -> None:
    """An amount-off coupon takes its currency_options amount on an invoice in another currency, and nothing
    when it has none there (Stripe ignores it)."""
    eur = _priced(client, "eur")
    usd_only = client.v1.coupons.create(params={"amount_off": 300, "currency": "usd", "duration": "forever"})
    with_eur = client.v1.coupons.create(params={"amount_off": 300, "currency": "usd", "duration": "forever",
                                                "currency_options": {"eur": {"amount_off": 200}}})
    totals = []
    for coupon in (usd_only, with_eur):
        subscription = client.v1.subscriptions.create(params={
            "customer": _paying_customer(client), "items": [{"price": eur}], "discounts": [{"coupon": coupon.id}]})
        invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
        totals.append((invoice.currency, invoice.total, [d.amount for d in invoice.total_discount_amounts]))
    assert totals == [("eur", 1000, []), ("eur", 800, [200])]


def test_customer_balance_keeps_its_currency(client: stripe.StripeClient) -> None:
    customer = _paying_customer(client)
    client.v1.customers.balance_transactions.create(customer, params={"amount": -500, "currency": "eur"})
    assert client.v1.customers.retrieve(customer).currency == "eur"
    with pytest.raises(stripe.InvalidRequestError) as other:
        client.v1.customers.balance_transactions.create(customer, params={"amount": -100, "currency": "usd"})
    assert other.value.param == "currency"
    usd = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": _priced(client, "usd")}]})
    usd_invoice = client.v1.invoices.retrieve(usd.latest_invoice)
    assert (usd_invoice.starting_balance, usd_invoice.amount_paid) == (0, 1000)
    eur = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": _priced(client, "eur")}]})
    eur_invoice = client.v1.invoices.retrieve(eur.latest_invoice)
    assert (eur_invoice.starting_balance, eur_invoice.amount_paid) == (-500, 500)
    transactions = client.v1.customers.balance_transactions.list(customer).data
    assert [(t.type, t.amount, t.currency) for t in transactions] == [("applied_to_invoice", 500, "eur"),
                                                                      ("adjustment", -500, "eur")]
    fresh = _paying_customer(client)
    client.v1.subscriptions.create(params={"customer": fresh, "items": [{"price": _priced(client, "usd")}]})
    assert client.v1.customers.retrieve(fresh).currency == "usd"


def test_discounts_reused_only_from_their_owner(client: stripe.StripeClient) -> None:
    price = _priced(client, "usd")
    coupon = client.v1.coupons.create(params={"percent_off": 30, "duration": "forever"})
    owner = client.v1.subscriptions.create(params={"customer": _paying_customer(client), "items": [{"price": price}],
                                                   "discounts": [{"coupon": coupon.id}]})
    with pytest.raises(stripe.InvalidRequestError) as foreign:
        client.v1.subscriptions.create(params={"customer": _paying_customer(client), "items": [{"price": price}],
                                               "discounts": [{"discount": owner.discounts[0]}]})
    assert foreign.value.param == "discounts[0][discount]"
    kept = client.v1.subscriptions.update(owner.id, params={"discounts": [{"discount": owner.discounts[0]}]})
    assert kept.discounts == owner.discounts


def test_backdated_repeating_coupon_counts_from_the_backdate(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_772_323_200})  # 2026-03-01
    customer = _paying_customer(client, test_clock=clock.id)
    coupon = client.v1.coupons.create(params={"percent_off": 50, "duration": "repeating", "duration_in_months": 3})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer, "items": [{"price": _priced(client, "usd")}], "discounts": [{"coupon": coupon.id}],
        "backdate_start_date": 1_767_225_600, "expand": ["discounts"]})  # 2026-01-01
    assert (subscription.discounts[0].start, subscription.discounts[0].end) == (1_767_225_600, 1_775_001_600)


def test_draft_invoice_discounts_and_invoice_items(client: stripe.StripeClient) -> None:
    customer = _paying_customer(client)
    client.v1.invoice_items.create(params={"customer": customer, "amount": 2000, "currency": "usd"})
    credit = client.v1.invoice_items.create(params={"customer": customer, "amount": -200, "currency": "usd"})
    assert credit.discountable is False
    invoice = client.v1.invoices.create(params={"customer": customer, "pending_invoice_items_behavior": "include",
                                                "auto_advance": False})
    coupon = client.v1.coupons.create(params={"percent_off": 25})
    discounted = client.v1.invoices.update(invoice.id, params={"discounts": [{"coupon": coupon.id}],
                                                               "expand": ["discounts"]})
    assert (discounted.subtotal, discounted.total) == (1800, 1300)
    assert discounted.discounts[0].invoice == invoice.id
    cleared = client.v1.invoices.update(invoice.id, params={"discounts": ""})
    assert (cleared.discounts, cleared.total) == ([], 1800)
    assert_shape(cleared.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as none:
        client.v1.customers.delete_discount(customer)
    assert (none.value.http_status, none.value.code) == (404, "resource_missing")
