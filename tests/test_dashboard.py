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


def test_public_details_name_the_business_everywhere(emulator: LiveEmulator, client: stripe.StripeClient,
                                                     http: RawHttp) -> None:
    """Settings → Public details: through the control API or the dashboard form; the account, new invoices and
    the portal (with its terms and privacy fallback) show them."""
    assert client.v1.accounts.retrieve_current().business_profile.name == "Stripe Portal Emulator"
    saved = http.post("/_emulator/api/public_details", data={
        "business_name": "Acme Rockets", "support_email": "help@acme.test",
        "terms_of_service_url": "https://acme.test/terms", "privacy_policy_url": "https://acme.test/privacy"})
    assert saved.status_code == 200 and saved.json()["business_name"] == "Acme Rockets"
    refused = http.post("/_emulator/api/public_details", data={"support_url": "ftp://acme.test"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "support_url"
    assert http.get("/_emulator/api/public_details").json()["support_url"] is None
    profile = client.v1.accounts.retrieve_current().business_profile
    assert (profile.name, profile.support_email) == ("Acme Rockets", "help@acme.test")
    customer = client.v1.customers.create()
    client.v1.invoice_items.create(params={"customer": customer.id, "amount": 500, "currency": "usd"})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "pending_invoice_items_behavior": "include"})
    assert invoice.account_name == "Acme Rockets"
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                              "return_url": "https://acme.test/account"})
    portal = requests.get(session.url).text
    assert 'data-testid="portal-business-name">Acme Rockets<' in portal
    assert 'href="https://acme.test/terms" data-testid="portal-terms-link"' in portal
    assert 'href="https://acme.test/privacy" data-testid="portal-privacy-link"' in portal
    account_id = client.v1.accounts.retrieve_current().id
    form = requests.post(f"{emulator.url}/_emulator/accounts/{account_id}/public_details",
                         data={"business_name": ""}, allow_redirects=False)
    assert form.status_code == 302 and "Public+details+saved" in form.headers["Location"]
    assert client.v1.accounts.retrieve_current().business_profile.name == "Stripe Portal Emulator"


def test_dashboard_pages_links_and_filters(emulator: LiveEmulator, client: stripe.StripeClient,
                                          http: RawHttp) -> None:
    """Every object and event is reachable (Older/Newer pages), ids inside an object's JSON link to their
    pages, the event filter takes a prefix, and the account clock refuses to jump more than two years."""
    account_id = client.v1.accounts.retrieve_current().id
    customers = [client.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(55)]
    base = f"{emulator.url}/_emulator/accounts/{account_id}"
    first = requests.get(base, params={"type": "customer"}).text
    assert customers[-1] in first and customers[0] not in first and 'data-testid="objects-older"' in first
    second = requests.get(base, params={"type": "customer", "page": "1"}).text
    assert customers[0] in second and 'data-testid="objects-newer"' in second
    older_events = requests.get(base, params={"events_page": "1"}).text
    assert "customer.created" in older_events
    prefixed = requests.get(base, params={"event_type": "Customer"}).text
    assert prefixed.count('data-testid="event-row"') == 50
    invoice = client.v1.invoices.create(params={"customer": customers[0]})
    detail = requests.get(f"{base}/objects/{invoice.id}").text
    assert f'href="/_emulator/accounts/{account_id}/objects/{customers[0]}"' in detail
    too_far = http.post("/_emulator/api/clock/advance", data={"by": "3000000d"})
    assert too_far.status_code == 400 and too_far.json()["error"]["param"] == "to"


def test_dashboard_opens_a_customers_portal_and_advances_a_test_clock(emulator: LiveEmulator,
                                                                     client: stripe.StripeClient) -> None:
    account_id = client.v1.accounts.retrieve_current().id
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_780_272_000})
    customer = client.v1.customers.create(params={"test_clock": clock.id})
    client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {"invoice_history": {"enabled": True}}})
    base = f"{emulator.url}/_emulator/accounts/{account_id}"
    portal = requests.post(f"{base}/customers/{customer.id}/portal", allow_redirects=False)
    assert portal.status_code == 302 and "/session/" in portal.headers["Location"]
    assert requests.get(portal.headers["Location"]).status_code == 200
    moved = requests.post(f"{base}/test_clocks/{clock.id}/advance", data={"by": "30d"})
    assert moved.status_code == 200 and "Test clock moved to" in moved.text
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == 1_780_272_000 + 30 * 86400


def test_dashboard_forms_refuse_other_sites(emulator: LiveEmulator, client: stripe.StripeClient) -> None:
    account_id = client.v1.accounts.retrieve_current().id
    url = f"{emulator.url}/_emulator/accounts/{account_id}/clock"
    assert requests.post(url, data={"by": "1d"}, headers={"Origin": "https://evil.test"}).status_code == 403
    assert requests.post(url, data={"by": "1d"}, headers={"Origin": emulator.url}).status_code == 200
