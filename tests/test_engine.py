"""The lifecycle engine in-process under freezegun: wall time moves, due transitions run in order through
the per-request catch-up and the scheduler; crash-interrupted advances resume."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from emulator import engine, store as store_module, timers
from emulator.app import create_app
from emulator.context import Account, Ctx
from emulator.resources import accounts, test_clocks
from emulator.store import Store

HEADERS = {"Authorization": "Bearer sk_test_engine"}


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Flask]:
    application = create_app({"DATABASE": str(tmp_path / "engine.sqlite3"), "WEBHOOK_DELIVERY": "off",
                              "SCHEDULER": False})
    yield application
    store_module.forget_connections()


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, data=data, headers=HEADERS)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def get(client: FlaskClient, path: str, **query: Any) -> dict[str, Any]:
    response = client.get(path, headers=HEADERS, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def subscribe(client: FlaskClient, amount: int = 1000) -> dict[str, Any]:
    product = post(client, "/v1/products", {"name": "Engine"})
    price = post(client, "/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": amount,
                                        "recurring[interval]": "month"})
    customer = post(client, "/v1/customers", {"payment_method": "pm_card_visa",
                                              "invoice_settings[default_payment_method]": "pm_card_visa"})
    return post(client, "/v1/subscriptions", {"customer": customer["id"], "items[0][price]": price["id"]})


def test_wall_time_renewal_through_request_catch_up(app: Flask) -> None:
    client = app.test_client()
    with freeze_time("2027-01-31 10:00:00") as frozen:
        subscription = subscribe(client)
        assert subscription["items"]["data"][0]["current_period_end"] == int(
            datetime(2027, 2, 28, 10, tzinfo=timezone.utc).timestamp())
        frozen.move_to("2027-02-28 10:30:00")
        renewed = get(client, f"/v1/subscriptions/{subscription['id']}")
        draft = get(client, f"/v1/invoices/{renewed['latest_invoice']}")
        assert draft["status"] == "draft" and draft["billing_reason"] == "subscription_cycle"
        assert draft["automatically_finalizes_at"] == int(datetime(2027, 2, 28, 11, tzinfo=timezone.utc).timestamp())
        # invoice.created already shows when the draft will be finalized (Stripe schedules it at creation).
        created = get(client, "/v1/events", type="invoice.created", limit=1)["data"][0]["data"]["object"]
        assert created["id"] == draft["id"] and created["automatically_finalizes_at"] == draft["created"] + 3600
        frozen.move_to("2027-02-28 11:00:01")
        paid = get(client, f"/v1/invoices/{renewed['latest_invoice']}")
        assert paid["status"] == "paid" and paid["amount_paid"] == 1000
        assert paid["automatically_finalizes_at"] is None


def test_transitions_run_in_time_order(app: Flask) -> None:
    client = app.test_client()
    with freeze_time("2027-03-01 00:00:00") as frozen:
        subscription = subscribe(client)
        frozen.move_to("2027-06-15 00:00:00")
        get(client, "/v1/customers")
        invoices = get(client, "/v1/invoices", subscription=subscription["id"], limit=20)["data"]
        created = [invoice["created"] for invoice in reversed(invoices)]
        assert created == sorted(created) and len(created) == 4
        assert [i["status"] for i in invoices] == ["paid"] * 4
        events = get(client, "/v1/events", limit=100, type="invoice.created")["data"]
        assert [e["created"] for e in reversed(events)] == created


def test_scheduler_runs_due_work_without_requests(app: Flask) -> None:
    client = app.test_client()
    with freeze_time("2027-05-01 00:00:00") as frozen:
        subscription = subscribe(client)
        frozen.move_to("2027-06-01 02:00:00")
        scheduler = engine.Scheduler(app.config["DATABASE"], app.config)
        # invoice.upcoming three days before, the renewal, then the finalization an hour later
        assert scheduler.run_once() == 3
        assert scheduler.run_once() == 0
        store = Store(store_module.connection_for(app.config["DATABASE"]))
        account_id = store.execute("SELECT id FROM accounts").fetchone()[0]
        latest = store.get(account_id, store.get(account_id, subscription["id"])["latest_invoice"])
        assert latest["status"] == "paid"


def test_scheduler_lease_lets_one_process_run(app: Flask) -> None:
    first = engine.Scheduler(app.config["DATABASE"], app.config)
    second = engine.Scheduler(app.config["DATABASE"], app.config)
    store = Store(store_module.connection_for(app.config["DATABASE"]))
    assert first.acquire(store) is True
    assert second.acquire(store) is False
    assert first.acquire(store) is True


def test_interrupted_advance_resumes(app: Flask) -> None:
    client = app.test_client()
    with freeze_time("2027-01-01 00:00:00"):
        clock = post(client, "/v1/test_helpers/test_clocks", {"frozen_time": 1798761600})
        store = Store(store_module.connection_for(app.config["DATABASE"]))
        account = accounts.load(store, store.execute("SELECT id FROM accounts").fetchone()[0])
        ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=app.config)
        with store.transaction():
            test_clocks.begin_advance(ctx, clock["id"], {"frozen_time": 1798761600 + 86400})
        # The process "crashed" here: the clock is left advancing. A restart resumes it.
        assert get(client, f"/v1/test_helpers/test_clocks/{clock['id']}")["status"] == "advancing"
        engine.resume_interrupted_advances(store, app.config)
        resumed = get(client, f"/v1/test_helpers/test_clocks/{clock['id']}")
        assert resumed["status"] == "ready" and resumed["frozen_time"] == 1798761600 + 86400


def test_idempotency_keys_are_pruned_after_their_ttl(app: Flask) -> None:
    client = app.test_client()
    with freeze_time("2027-01-01 00:00:00") as frozen:
        headers = {**HEADERS, "Idempotency-Key": "prune-me"}
        first = client.post("/v1/customers", data={"email": "a@example.com"}, headers=headers).get_json()
        store = Store(store_module.connection_for(app.config["DATABASE"]))
        assert engine.prune_idempotency_keys(store, 86400) == 0
        frozen.move_to("2027-01-02 00:00:01")
        assert engine.prune_idempotency_keys(store, 86400) == 1
        again = client.post("/v1/customers", data={"email": "a@example.com"}, headers=headers).get_json()
        assert again["id"] != first["id"]


def _clock_history(app: Flask, batch_size: int, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    """Three subscriptions renewing on different days of one test clock, advanced over two renewals with
    `batch_size` transitions per transaction: the events in order (type, created, object)."""
    monkeypatch.setattr(engine, "BATCH", batch_size)
    client = app.test_client()
    with freeze_time("2027-01-01 00:00:00"):
        start = int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())
        clock = post(client, "/v1/test_helpers/test_clocks", {"frozen_time": start})
        product = post(client, "/v1/products", {"name": "Batches"})
        price = post(client, "/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 700,
                                            "recurring[interval]": "month"})
        for day in (0, 1, 2):
            post(client, f"/v1/test_helpers/test_clocks/{clock['id']}/advance",
                 {"frozen_time": start + day * 86400 + 3600})
            customer = post(client, "/v1/customers", {"test_clock": clock["id"], "payment_method": "pm_card_visa",
                                                      "invoice_settings[default_payment_method]": "pm_card_visa"})
            post(client, "/v1/subscriptions", {"customer": customer["id"], "items[0][price]": price["id"]})
        for target in (datetime(2027, 2, 10, tzinfo=timezone.utc), datetime(2027, 3, 5, tzinfo=timezone.utc)):
            post(client, f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": int(target.timestamp())})
        events = get(client, "/v1/events", limit=100)["data"]
    return [(event["type"], event["created"], event["data"]["object"]["object"]) for event in reversed(events)]


def test_small_batches_run_the_same_transitions_in_the_same_order(tmp_path: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine loads at most BATCH due timers per transaction: timers planned during a batch (the
    finalization an hour after a renewal) still run in time order with those left for the next batch."""
    histories = []
    for batch_size in (500, 2, 3):
        application = create_app({"DATABASE": str(tmp_path / f"batch{batch_size}.sqlite3"),
                                  "WEBHOOK_DELIVERY": "off", "SCHEDULER": False})
        histories.append(_clock_history(application, batch_size, monkeypatch))
        store_module.forget_connections()
    renewals = [h for h in histories[0] if h[0] == "invoice.paid"]
    assert len(renewals) == 3 + 3 * 2  # the first invoices, then two monthly renewals each
    assert [h[1] for h in histories[0]] == sorted(h[1] for h in histories[0])
    assert histories[1] == histories[0] and histories[2] == histories[0]


def test_due_batch_keeps_time_order_when_loaded_timers_are_cancelled(tmp_path: Any) -> None:
    """DueBatch loads at most `limit` due timers. A timer cancelled during the batch never runs, a timer planned
    during it runs in time order, and nothing later than the last loaded timer runs before the timers the
    batch left in the database (the horizon), even when cancellations free room in the batch."""
    store = Store(store_module.connect(str(tmp_path / "timers.sqlite3")))
    ctx = Ctx(store=store, account=Account("acct_due", "sk", "pk", "2026-10-28.endive", 0, 0),
              api_version="2026-10-28.endive", frozen_now=0)
    with store.transaction():
        for due_at, object_id in ((10, "a"), (20, "b"), (30, "c"), (40, "d"), (50, "e")):
            timers.schedule(ctx, "test.kind", object_id, due_at, test_clock="clock_1")
    ran: list[tuple[int, str]] = []
    while True:
        with store.transaction():
            batch = timers.begin_batch(store, "acct_due", "clock_1", 100, 3)  # loads a, b, c; horizon at c
            row = batch.pop()
            if row is None:
                break
            ran.append((row[0], row[3]))
            if row[3] == "a":
                timers.cancel(ctx, "test.kind", "b")  # a loaded timer is cancelled: it must not run
                timers.schedule(ctx, "test.kind", "a2", 45, test_clock="clock_1")  # after d, left in the database
                timers.schedule(ctx, "test.kind", "a1", 15, test_clock="clock_1")  # before it
            while (row := batch.pop()) is not None:
                ran.append((row[0], row[3]))
    assert ran == [(10, "a"), (15, "a1"), (30, "c"), (40, "d"), (45, "a2"), (50, "e")]
    assert store.execute("SELECT COUNT(*) FROM timers").fetchone()[0] == 0
    store_module.forget_connections()
