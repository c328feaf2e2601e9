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
