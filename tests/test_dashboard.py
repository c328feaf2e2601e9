"""The dashboard pages and the control API's clock, through real HTTP."""

from __future__ import annotations

import re

import requests
import stripe

from tests.conftest import LiveEmulator, RawHttp


def test_dashboard_lists_accounts_objects_and_events(emulator: LiveEmulator, client: stripe.StripeClient,
                                                     http: RawHttp) -> None:
    customer = client.v1.customers.create(params={"email": "qa@example.com"})
    account_id = client.v1.accounts.retrieve_current().id
    index = requests.get(f"{emulator.url}/_emulator/")
    assert index.status_code == 200 and "text/html" in index.headers["Content-Type"]
    assert account_id in index.text
    page = requests.get(f"{emulator.url}/_emulator/accounts/{account_id}", params={"type": "customer"})
    assert customer.id in page.text and "customer.created" in page.text
    detail = requests.get(f"{emulator.url}/_emulator/accounts/{account_id}/objects/{customer.id}")
    assert "qa@example.com" in detail.text
    event_id = re.search(r"(evt_[A-Za-z0-9]+)", page.text).group(1)  # type: ignore[union-attr]
    event_page = requests.get(f"{emulator.url}/_emulator/accounts/{account_id}/events/{event_id}")
    assert event_page.status_code == 200 and "customer.created" in event_page.text
    missing = requests.get(f"{emulator.url}/_emulator/accounts/acct_nope")
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]


def test_global_clock_shift_through_control_api(http: RawHttp) -> None:
    before = http.get("/_emulator/api/clock").json()
    assert before["offset"] == 0
    moved = http.post("/_emulator/api/clock/advance", data={"by": "30d"}).json()
    assert moved["offset"] == 30 * 86400
    assert moved["now"] >= before["now"] + 30 * 86400
    customer = http.post("/v1/customers").json()
    assert customer["created"] >= before["now"] + 30 * 86400
    backwards = http.post("/_emulator/api/clock/advance", data={"to": str(before["now"])})
    assert backwards.status_code == 400 and backwards.json()["error"]["param"] == "to"
    assert http.post("/_emulator/api/clock/advance", data={"by": "soon"}).status_code == 400
