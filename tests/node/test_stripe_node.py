"""The official stripe-node SDK (23.x, installed by `make test` from tests/node/package-lock.json), unchanged,
against a live emulator: each test runs one flow of tests/node/flows.js in Node.js and checks what the SDK saw
(amounts to the cent, error classes, webhook signatures verified by stripe.webhooks.constructEvent, objects
against Stripe's schemas)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import LiveEmulator
from tests.shape_oracle import assert_shape

NODE_DIR = Path(__file__).resolve().parent
JAN_1_2027 = 1798761600
DAY = 86400


def _node_ready() -> str | None:
    """Why the Node SDK tests cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (NODE_DIR / "node_modules" / "stripe").is_dir():
        return "stripe-node is not installed (make test runs npm ci in tests/node)"
    return None


pytestmark = pytest.mark.skipif(_node_ready() is not None, reason=str(_node_ready()))


def run_flow(name: str, emulator: LiveEmulator, api_key: str) -> dict[str, Any]:
    """Run one flow of flows.js with stripe-node against the emulator; return what it printed."""
    done = subprocess.run(["node", str(NODE_DIR / "flows.js"), name], input=json.dumps({"api": emulator.url,
                          "key": api_key}), capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    assert done.returncode == 0, f"flow {name} failed:\n{done.stderr}"
    return json.loads(done.stdout)


def test_subscription_lifecycle(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("subscriptionLifecycle", emulator, api_key)
    assert seen["customer"]["address"] == {"city": "Paris", "country": "FR", "line1": "1 Main St", "line2": None,
                                           "postal_code": "75001", "state": None}
    assert seen["customer"]["metadata"] == {"plan": "seats"}
    created = seen["created"]
    assert created["status"] == "active"
    assert seen["productName"] == "Node Seats"
    assert seen["firstInvoice"]["amount_paid"] == 1500
    assert seen["firstInvoice"]["payments"]["data"][0]["status"] == "paid"
    # Quantity 1 -> 2 on day 16 of 31: 15 days left. Credit round(1500 * 15/31) = 726, charge
    # round(3000 * 15/31) = 1452, each line rounded on its own; invoiced and paid at once (always_invoice).
    proration = seen["prorationInvoice"]
    assert sorted(line["amount"] for line in proration["lines"]["data"]) == [-726, 1452]
    assert (proration["amount_paid"], proration["billing_reason"]) == (726, "subscription_update")
    assert seen["upgraded"]["items"]["data"][0]["quantity"] == 2
    cancelling = seen["cancelling"]
    assert cancelling["cancel_at_period_end"] is True
    assert cancelling["cancel_at"] == JAN_1_2027 + 31 * DAY
    assert cancelling["cancellation_details"] == {"comment": "Too pricey for us", "feedback": "too_expensive",
                                                  "feedback_option": None, "reason": "cancellation_requested"}
    ended = seen["ended"]
    assert (ended["status"], ended["ended_at"], ended["canceled_at"]) == ("canceled", JAN_1_2027 + 31 * DAY,
                                                                         cancelling["canceled_at"])
    assert seen["eventTypes"] == ["customer.subscription.created", "customer.subscription.updated",
                                  "customer.subscription.updated", "customer.subscription.deleted"]
    for obj in (seen["customer"], created, seen["upgraded"], proration, ended):
        assert_shape(obj)


def test_subscription_quickstart(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("quickstart", emulator, api_key)
    assert (seen["createdStatus"], seen["secretType"], seen["intentStatus"]) == ("incomplete", "payment_intent",
                                                                                "succeeded")
    active = seen["active"]
    assert active["status"] == "active" and active["latest_invoice"]["status"] == "paid"
    assert active["latest_invoice"]["amount_paid"] == 1900
    assert active["default_payment_method"].startswith("pm_") and seen["savedMethodCustomer"] == seen["customerId"]
    assert_shape(active)


def test_errors_and_idempotency(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("errorsAndIdempotency", emulator, api_key)
    assert seen["unknownParam"] | {"requestId": None} == {
        "class": "StripeInvalidRequestError", "type": "StripeInvalidRequestError", "rawType": "invalid_request_error",
        "code": "parameter_unknown", "param": "favourite_colour", "statusCode": 400, "requestId": None,
        "message": "Received unknown parameter: favourite_colour"}
    assert re.fullmatch(r"req_\w+", seen["unknownParam"]["requestId"])
    missing = seen["missing"]
    assert (missing["class"], missing["code"], missing["statusCode"]) == ("StripeInvalidRequestError",
                                                                         "resource_missing", 404)
    assert missing["message"] == "No such customer: 'cus_doesnotexist'"
    assert (seen["badEnum"]["param"], seen["badEnum"]["statusCode"]) == ("recurring[interval]", 400)
    declined = seen["declined"]
    assert (declined["class"], declined["code"], declined["declineCode"], declined["statusCode"]) == (
        "StripeCardError", "card_declined", "insufficient_funds", 402)
    assert declined["paymentIntentStatus"] == "requires_payment_method"
    assert seen["firstId"] == seen["replayId"] and seen["replayedHeader"] == "true"
    assert (seen["conflict"]["class"], seen["conflict"]["rawType"], seen["conflict"]["statusCode"]) == (
        "StripeIdempotencyError", "idempotency_error", 400)
    assert (seen["badKey"]["class"], seen["badKey"]["statusCode"]) == ("StripeAuthenticationError", 401)


def test_a_year_of_renewals_anchored_on_the_31st(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("clockYear", emulator, api_key)
    assert seen["periodEnds"] == ["2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31",
                                  "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31",
                                  "2028-01-31", "2028-02-29"]
    invoices = seen["invoices"]
    assert len(invoices) == 13
    assert [invoice["billing_reason"] for invoice in invoices] == ["subscription_cycle"] * 12 + [
        "subscription_create"]
    assert {(invoice["status"], invoice["amount_paid"]) for invoice in invoices} == {("paid", 1200)}
    # Newest first: each renewal invoice's period ends at its renewal (Feb 28, Mar 31, ...).
    renewal_dates = [datetime.fromtimestamp(invoice["period_end"], timezone.utc).date().isoformat()
                     for invoice in reversed(invoices[:12])]
    assert renewal_dates == ["2027-02-28"] + seen["periodEnds"][:11]
    assert seen["clock"]["status"] == "ready"
    assert_shape(seen["clock"])


def test_webhooks_verify_with_construct_event(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("webhooks", emulator, api_key)
    event = seen["event"]
    assert seen["secretPrefix"] == "whsec_"
    assert (event["type"], event["data"]["object"]["id"]) == ("customer.created", seen["customerId"])
    assert event["data"]["object"]["name"] == "Hook Node"
    assert seen["asyncEventId"] == seen["storedEventId"] == event["id"]
    assert seen["storedObjectId"] == seen["customerId"]
    assert seen["userAgent"].startswith("Stripe/1.0")
    assert seen["tampered"] == {"class": "StripeSignatureVerificationError",
                                "type": "StripeSignatureVerificationError"}
    assert seen["wrongSecret"] == seen["tampered"]
    assert_shape(event)


def test_schedule_downgrade_at_period_end(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("scheduleDowngrade", emulator, api_key)
    feb_1, mar_1 = JAN_1_2027 + 31 * DAY, JAN_1_2027 + 59 * DAY
    assert seen["phases"] == [
        {"start_date": JAN_1_2027, "end_date": feb_1, "prices": [seen["pro"]]},
        {"start_date": feb_1, "end_date": mar_1, "prices": [seen["basic"]]},
    ]
    assert seen["downgradedPrice"] == seen["basic"]
    renewal = seen["renewalInvoice"]
    assert (renewal["billing_reason"], renewal["amount_paid"], renewal["status"]) == ("subscription_cycle", 1000,
                                                                                      "paid")
    schedule = seen["schedule"]
    assert schedule["status"] == "active"
    assert schedule["current_phase"] == {"start_date": feb_1, "end_date": mar_1}
    assert_shape(schedule)
    assert_shape(renewal)


def test_portal_configuration_and_deep_link(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("portal", emulator, api_key)
    configuration, session = seen["configuration"], seen["session"]
    update = configuration["features"]["subscription_update"]
    assert update["default_allowed_updates"] == ["price", "quantity"]
    assert update["products"][0]["prices"][1] == seen["yearlyPrice"]
    assert configuration["features"]["subscription_cancel"]["cancellation_reason"]["options"] == [
        "too_expensive", "unused", "other"]
    assert (session["locale"], session["configuration"]) == ("fr", configuration["id"])
    assert session["flow"]["type"] == "subscription_update_confirm"
    assert session["flow"]["subscription_update_confirm"]["items"][0]["price"] == seen["yearlyPrice"]
    assert session["url"].startswith(emulator.url + "/")
    page = requests.get(session["url"], timeout=10)
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text
    assert "Node Team billing" in page.text
    assert_shape(configuration)
    assert_shape(session)


def test_proration_preview_and_api_versions(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("previewAndVersions", emulator, api_key)
    # 1000 -> 4000 on day 11 of 31 (21 days left): credit round(1000 * 21/31) = 677, charge
    # round(4000 * 21/31) = 2710; the preview and the invoice the update makes agree to the cent.
    preview, invoice = seen["preview"], seen["invoice"]
    assert sorted(line["amount"] for line in preview["lines"]["data"]) == [-677, 2710]
    assert preview["total"] == invoice["total"] == invoice["amount_paid"] == 2033
    assert seen["apiVersion"] == "2026-10-28.endive"
    assert seen["legacyApiVersion"] == "2023-08-16"
    # endive keeps periods on items only; a client pinned to 2023-08-16 still reads them on the subscription.
    assert seen["endivePeriodEnd"] is None
    assert seen["legacyPeriodEnd"] == seen["itemPeriodEnd"] == JAN_1_2027 + 31 * DAY
    assert_shape(invoice)


def test_lists_auto_pagination_and_search(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("listsAndSearch", emulator, api_key)
    newest_first = list(reversed(seen["created"]))
    assert seen["firstPage"] == newest_first[:10] and seen["firstHasMore"] is True
    assert seen["secondPage"] == newest_first[10:20]
    assert seen["backwards"] == newest_first[7:10]
    assert seen["everything"] == newest_first
    assert sorted(seen["found"]) == sorted(seen["created"])
    assert seen["searchPage"]["object"] == "search_result" and seen["searchPage"]["has_more"] is True
    assert seen["searchPage"]["next_page"] and seen["searchPage"]["count"] == 10
    assert seen["oneEmail"] == ["7"]


def test_payment_methods_and_unsetting(emulator: LiveEmulator, api_key: str) -> None:
    seen = run_flow("paymentMethods", emulator, api_key)
    setup = seen["setupIntent"]
    assert (setup["status"], setup["usage"]) == ("succeeded", "off_session")
    assert setup["automatic_payment_methods"] == {"allow_redirects": "never", "enabled": True}
    updated = seen["updated"]
    assert updated["address"] is None and updated["metadata"] == {"keep": "yes"}
    assert updated["invoice_settings"]["default_payment_method"] == setup["payment_method"]
    assert seen["listedBrands"] == ["mastercard", "visa"]
    assert seen["detachedCustomer"] is None and seen["afterDetach"] == ["mastercard"]
    assert seen["deleted"] == {"id": updated["id"], "object": "customer", "deleted": True}
    assert_shape(setup)
    assert_shape(updated)
