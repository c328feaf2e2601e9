"""Events and signed webhooks delivered to a real HTTP receiver, verified with the official SDK."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
import stripe

from tests.conftest import FAST_WEBHOOKS, ROOT, LiveEmulator, RawHttp
from tests.shape_oracle import assert_shape
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    live = WebhookReceiver()
    yield live
    live.stop()


def make_endpoint(client: stripe.StripeClient, url: str, events: list[str] | None = None,
                  **extra: object) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events or ["*"], **extra})


def verify(delivery_body: bytes, headers: dict[str, str], secret: str) -> stripe.Event:
    return stripe.Webhook.construct_event(delivery_body.decode(), headers["Stripe-Signature"], secret)


def deliveries_log(http: RawHttp, **params: str) -> list[dict]:
    response = http.get("/_emulator/api/webhook_deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_endpoint_crud_and_secret_only_on_create(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url, ["customer.created"], description="test hook",
                             metadata={"team": "qa"})
    assert endpoint.id.startswith("we_")
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled"
    assert_shape(endpoint.to_dict())
    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in fetched
    assert fetched.enabled_events == ["customer.created"]
    updated = client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True,
                                                                     "enabled_events": ["*"]})
    assert updated.status == "disabled"
    assert_shape(updated.to_dict())
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [endpoint.id]
    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    assert_shape(deleted.to_dict())
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(endpoint.id)


def test_unknown_event_type_is_refused(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        make_endpoint(client, receiver.url, ["customer.exploded"])
    assert info.value.param == "enabled_events[0]"


def test_public_hosts_are_refused_with_a_hint(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        make_endpoint(client, "https://8.8.8.8/hook")
    assert info.value.param == "url"
    assert "ALLOW_PUBLIC_WEBHOOK_URLS" in str(info.value.user_message)
    assert make_endpoint(client, "http://webhook-receiver:8000/hook").status == "enabled"
    assert make_endpoint(client, "http://10.1.2.3/hook").status == "enabled"


def test_deliveries_are_signed_in_order_and_verifiable(client: stripe.StripeClient,
                                                      receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url)
    customers = [client.v1.customers.create(params={"name": f"c{i}"}) for i in range(5)]
    received = receiver.wait_for(5)
    events = [verify(d.body, d.headers, endpoint.secret) for d in received]
    assert [e.type for e in events] == ["customer.created"] * 5
    assert [e.data.object.id for e in events] == [c.id for c in customers]
    for event in events:
        assert event.api_version == "2026-10-28.endive"
        assert event.request.id.startswith("req_")
        assert_shape(event.to_dict())
    assert received[0].headers["Content-Type"].startswith("application/json")
    assert received[0].headers["User-Agent"].startswith("Stripe/1.0")
    timestamp = int(received[0].headers["Stripe-Signature"].split(",")[0][2:])
    assert abs(timestamp - time.time()) < 60


def test_tampered_body_fails_verification(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url)
    client.v1.customers.create(params={"email": "t@example.com"})
    delivery = receiver.wait_for(1)[0]
    tampered = delivery.body.replace(b"t@example.com", b"x@example.com")
    with pytest.raises(stripe.SignatureVerificationError):
        verify(tampered, delivery.headers, endpoint.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        verify(delivery.body, delivery.headers, "whsec_wrong")


def test_enabled_events_filter(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url, ["customer.updated"])
    customer = client.v1.customers.create()
    client.v1.customers.update(customer.id, params={"name": "Renamed"})
    delivered = receiver.wait_for(1)
    time.sleep(0.5)
    assert len(receiver.deliveries) == 1
    event = verify(delivered[0].body, delivered[0].headers, endpoint.secret)
    assert event.type == "customer.updated"
    assert event.data.previous_attributes.to_dict() == {"name": None}


def test_failing_receiver_is_retried_then_succeeds_once(client: stripe.StripeClient, http: RawHttp) -> None:
    receiver = WebhookReceiver(statuses=[500, 503])
    try:
        endpoint = make_endpoint(client, receiver.url)
        customer = client.v1.customers.create()
        received = receiver.wait_for(3)
        time.sleep(1.0)
        assert len(receiver.deliveries) == 3, "no duplicate after the 2xx"
        assert len({d.body for d in received}) <= 3
        event_id = verify(received[-1].body, received[-1].headers, endpoint.secret).id
        log = deliveries_log(http, event=event_id)
        assert len(log) == 1
        entry = log[0]
        assert entry["status"] == "succeeded"
        assert [a["status_code"] for a in entry["attempts"]] == [500, 503, 200]
        assert entry["attempts"][0]["response_excerpt"] == "receiver says no"
        assert all(a["duration_ms"] >= 0 for a in entry["attempts"])
        assert entry["event_type"] == "customer.created"
        event = client.v1.events.retrieve(event_id)
        assert event.pending_webhooks == 0
        assert event.data.object.id == customer.id
    finally:
        receiver.stop()


def test_resend_delivers_again(client: stripe.StripeClient, http: RawHttp, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url)
    client.v1.customers.create()
    first = receiver.wait_for(1)[0]
    event_id = verify(first.body, first.headers, endpoint.secret).id
    delivery_id = deliveries_log(http, event=event_id)[0]["id"]
    response = http.post(f"/_emulator/api/webhook_deliveries/{delivery_id}/resend")
    assert response.status_code == 200, response.text
    second = receiver.wait_for(2)[1]
    assert verify(second.body, second.headers, endpoint.secret).id == event_id
    assert http.post("/_emulator/api/webhook_deliveries/999999/resend").status_code == 404


def test_payload_follows_endpoint_api_version(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url, api_version="2023-08-16")
    client.v1.customers.create(params={"business_name": "Acme"})
    delivery = receiver.wait_for(1)[0]
    payload = json.loads(delivery.body)
    assert payload["api_version"] == "2023-08-16"
    assert "business_name" not in payload["data"]["object"]
    assert "context" not in payload
    assert_shape(payload, version="2023-08-16")
    verify(delivery.body, delivery.headers, endpoint.secret)


def test_disabled_endpoint_receives_nothing(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url)
    client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    client.v1.customers.create()
    time.sleep(0.6)
    assert receiver.deliveries == []


def test_synchronous_delivery_mode(tmp_path, receiver: WebhookReceiver) -> None:
    live = LiveEmulator(str(tmp_path / "sync.sqlite3"), env={"STRIPE_EMULATOR_WEBHOOK_DELIVERY": "sync"})
    try:
        client = stripe.StripeClient("sk_test_sync", base_addresses={"api": live.url})
        endpoint = make_endpoint(client, receiver.url)
        customer = client.v1.customers.create()
        assert len(receiver.deliveries) == 1, "delivered before the API answered"
        event = verify(receiver.deliveries[0].body, receiver.deliveries[0].headers, endpoint.secret)
        assert event.data.object.id == customer.id
    finally:
        live.stop()


def test_queued_delivery_survives_kill_and_restart(tmp_path) -> None:
    db = str(tmp_path / "restart.sqlite3")
    env = {**FAST_WEBHOOKS, "STRIPE_EMULATOR_WEBHOOK_RETRY_BASE_SECONDS": "0.2"}
    receiver = WebhookReceiver(statuses=[500] * 1000)
    live = LiveEmulator(db, env=env)
    try:
        client = stripe.StripeClient("sk_test_restart", base_addresses={"api": live.url})
        endpoint = make_endpoint(client, receiver.url)
        customer = client.v1.customers.create()
        receiver.wait_for(1)
    finally:
        os.kill(live.process.pid, signal.SIGKILL)
        live.process.wait()
    receiver.statuses.clear()
    count_before = len(receiver.deliveries)
    restarted = LiveEmulator(db, env=env)
    try:
        received = receiver.wait_for(count_before + 1)
        event = verify(received[-1].body, received[-1].headers, endpoint.secret)
        assert event.data.object.id == customer.id
        time.sleep(0.8)
        assert len(receiver.deliveries) == count_before + 1
    finally:
        restarted.stop()
        receiver.stop()


def test_listen_command_prints_and_forwards(emulator: LiveEmulator, api_key: str,
                                            receiver: WebhookReceiver) -> None:
    secret = "whsec_listen_test_secret"
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "listen", "--api-base", emulator.url, "--api-key", api_key,
         "--forward-to", receiver.url, "--secret", secret],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert "Ready! Your webhook signing secret is whsec_listen_test_secret" in ready
        customer = requests.post(f"{emulator.url}/v1/customers", auth=(api_key, "")).json()
        delivery = receiver.wait_for(1)[0]
        event = verify(delivery.body, delivery.headers, secret)
        assert event.data.object.id == customer["id"]
        printed = process.stdout.readline()
        assert "--> customer.created" in printed
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded CI machine; do not leave the process behind
            process.kill()
            process.wait()


def test_clock_driven_events_are_signed_with_wall_time(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = make_endpoint(client, receiver.url, ["test_helpers.test_clock.ready", "customer.created"])
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_700_000_000})
    client.v1.customers.create(params={"test_clock": clock.id})
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": 1_700_086_400})
    deliveries = receiver.wait_for(2)
    events = [verify(d.body, d.headers, endpoint.secret) for d in deliveries]
    assert [e.type for e in events] == ["customer.created", "test_helpers.test_clock.ready"]
    assert events[0].created == 1_700_000_000 and events[1].created == 1_700_086_400
    assert events[1].request.id is None
    stamp = int(deliveries[1].headers["Stripe-Signature"].split(",")[0][2:])
    assert abs(stamp - time.time()) < 60


def test_a_failing_event_does_not_hold_back_the_others(client: stripe.StripeClient, http: RawHttp) -> None:
    """Stripe retries each event on its own: while one keeps failing, the endpoint still gets the later ones.
    The failing one counts in pending_webhooks and `delivery_success=false`; disabling the endpoint stops its
    retries."""
    receiver = WebhookReceiver(failing_types={"customer.created"})
    try:
        endpoint = make_endpoint(client, receiver.url)
        customer = client.v1.customers.create()
        for name in ("a", "b", "c"):
            client.v1.customers.update(customer.id, params={"name": name})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            updates = [d for d in list(receiver.deliveries) if json.loads(d.body)["type"] == "customer.updated"]
            if len(updates) == 3:
                break
            time.sleep(0.05)
        assert [json.loads(d.body)["data"]["object"]["name"] for d in updates] == ["a", "b", "c"]
        created = client.v1.events.list(params={"type": "customer.created", "limit": 1}).data[0]
        assert created.pending_webhooks == 1
        undelivered = client.v1.events.list(params={"delivery_success": False}).data
        assert [e.id for e in undelivered] == [created.id]
        delivered = client.v1.events.list(params={"delivery_success": True}).data
        assert created.id not in {e.id for e in delivered} and len(delivered) == 3
        client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
        time.sleep(1.0)
        attempts = len(receiver.deliveries)
        time.sleep(1.5)
        assert len(receiver.deliveries) == attempts, "no retries to a disabled endpoint"
        assert deliveries_log(http, event=created.id)[0]["status"] == "canceled"
    finally:
        receiver.stop()


def test_event_list_filters_are_checked(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.events.list(params={"type": "customer.created", "types": ["customer.updated"]})
    assert both.value.param == "types"
    with pytest.raises(stripe.InvalidRequestError) as many:
        client.v1.events.list(params={"types": [f"customer.t{i}" for i in range(21)]})
    assert many.value.param == "types"


def test_previous_attributes_only_on_updated_events(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_780_272_000})
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": 1_780_272_000 + 3600})
    product = client.v1.products.create(params={"name": "P"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 100,
                                            "recurring": {"interval": "month"}})
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.subscriptions.cancel(subscription.id)
    for event_type in ("customer.subscription.deleted", "test_helpers.test_clock.advancing",
                       "test_helpers.test_clock.ready"):
        event = client.v1.events.list(params={"type": event_type, "limit": 1}).data[0]
        assert "previous_attributes" not in event.data, event_type
