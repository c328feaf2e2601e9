"""Test clocks through the SDK: create, list, advance (forward only, events), delete."""

from __future__ import annotations

import pytest
import stripe

from tests.shape_oracle import assert_shape

JAN_1_2026 = 1_767_225_600


def test_create_list_retrieve(client: stripe.StripeClient) -> None:
    test_clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": JAN_1_2026, "name": "year"})
    assert test_clock.id.startswith("clock_")
    assert test_clock.status == "ready" and test_clock.frozen_time == JAN_1_2026
    assert test_clock.deletes_after > test_clock.created
    assert_shape(test_clock.to_dict())
    assert client.v1.test_helpers.test_clocks.retrieve(test_clock.id).name == "year"
    listed = client.v1.test_helpers.test_clocks.list()
    assert [c.id for c in listed.data] == [test_clock.id]
    assert_shape(listed.to_dict())


def test_advance_is_forward_only_and_emits_events(client: stripe.StripeClient) -> None:
    test_clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": JAN_1_2026})
    advanced = client.v1.test_helpers.test_clocks.advance(test_clock.id, params={"frozen_time": JAN_1_2026 + 86400})
    assert advanced.status == "ready"
    assert advanced.frozen_time == JAN_1_2026 + 86400
    assert_shape(advanced.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.test_helpers.test_clocks.advance(test_clock.id, params={"frozen_time": JAN_1_2026})
    assert info.value.param == "frozen_time"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(test_clock.id, params={"frozen_time": JAN_1_2026 + 3 * 366 * 86400})
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["test_helpers.test_clock.ready", "test_helpers.test_clock.advancing",
                     "test_helpers.test_clock.created"]
    advancing = client.v1.events.list(params={"type": "test_helpers.test_clock.advancing"}).data[0]
    assert advancing.data.object.status_details.advancing.target_frozen_time == JAN_1_2026 + 86400
    assert_shape(advancing.to_dict())


def test_delete(client: stripe.StripeClient) -> None:
    test_clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": JAN_1_2026})
    deleted = client.v1.test_helpers.test_clocks.delete(test_clock.id)
    assert deleted.to_dict() == {"id": test_clock.id, "object": "test_helpers.test_clock", "deleted": True}
    assert_shape(deleted.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.test_helpers.test_clocks.retrieve(test_clock.id)
    assert info.value.http_status == 404


def test_create_with_customer_attaches_it(client: stripe.StripeClient) -> None:
    """API 2026-05-27.dahlia: a clock created with `customer` takes an existing customer (for good); its
    subscriptions then live on the clock's time."""
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_800_000_000,
                                                              "customer": customer.id})
    attached = client.v1.customers.retrieve(customer.id)
    assert attached.test_clock == clock.id
    assert client.v1.events.list(params={"type": "customer.updated"}).data[0].data.previous_attributes.to_dict() == \
        {"test_clock": None}
    product = client.v1.products.create(params={"name": "Clocked"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 900,
                                            "recurring": {"interval": "month"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    assert (subscription.start_date, subscription.test_clock) == (1_800_000_000, clock.id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_800_000_000, "customer": customer.id})
    assert again.value.param == "customer"
    billed = client.v1.customers.create()
    client.v1.invoice_items.create(params={"customer": billed.id, "amount": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as busy:
        client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_800_000_000, "customer": billed.id})
    assert busy.value.param == "customer"
    assert len(client.v1.test_helpers.test_clocks.list().data) == 1  # nothing kept from the refused calls
