"""The customer portal's cancellation flow, "Renew" and deep links (`flow_data`) in real Chromium, with test
clocks: a cancellation at the period end with a reason, an immediate one crediting unused time, a retention
offer accepted, a renewal, and each deep-link flow with each `after_completion` type."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from tests.api.test_subscriptions import advance, clock_customer, ts
from tests.conftest import LiveEmulator
from tests.portal.test_plan_changes import text
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser
RETURN_URL = "https://acme.test/account"


def catalog(client: stripe.StripeClient) -> dict[str, str]:
    prices = {}
    for name, amount in (("Basic", 2000), ("Pro", 3000)):
        product = client.v1.products.create(params={"name": name})
        prices[name] = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": amount,
                                                       "recurring": {"interval": "month"}}).id
    return prices


def configure(client: stripe.StripeClient, prices: dict[str, str], *, mode: str = "at_period_end",
              proration: str = "none", reasons: list[str] | None = None) -> str:
    cancel: dict[str, Any] = {"enabled": True, "mode": mode, "proration_behavior": proration,
                              "cancellation_reason": {"enabled": reasons is not None, "options": reasons or ["other"]}}
    products = [{"product": client.v1.prices.retrieve(price).product, "prices": [price]} for price in prices.values()]
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": RETURN_URL,
        "features": {"invoice_history": {"enabled": True}, "subscription_cancel": cancel,
                     "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                             "products": products, "proration_behavior": "always_invoice"}}})
    assert_shape(configuration.to_dict())
    return configuration.id


def subscribe(client: stripe.StripeClient, price: str, now: int = ts(2026, 4, 16)) -> tuple[str, str, Any]:
    """A subscription started on April 1st, with its clock moved to `now`."""
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price}]})
    advance(client, clock, now)
    return clock, customer, subscription


def open_session(client: stripe.StripeClient, page: Any, customer: str, configuration: str,
                 **params: Any) -> Any:
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                               **params})
    assert_shape(session.to_dict())
    page.goto(session.url)
    return session


def events_of(client: stripe.StripeClient, kind: str) -> list[Any]:
    found = client.v1.events.list(params={"type": kind}).data
    for event in found:
        assert_shape(event.to_dict())
    return found


def test_cancel_at_period_end_with_a_reason(client: stripe.StripeClient, page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices, reasons=["too_expensive", "missing_features", "other"])
    clock, customer, subscription = subscribe(client, prices["Pro"])
    open_session(client, page, customer, configuration)
    page.get_by_test_id("cancel-plan").click()
    assert page.get_by_test_id("cancel-page").get_attribute("data-step") == "summary"
    assert text(page, "cancel-plan-name") == "Pro"
    assert text(page, "cancel-ends-at") == "May 1, 2026"
    assert page.get_by_test_id("cancel-credits").count() == 0
    home = page.url.split("/subscriptions/")[0]
    assert home.endswith(page.get_by_test_id("cancel-back").get_attribute("href"))  # back to the home page
    page.get_by_test_id("cancel-continue").click()
    assert page.get_by_test_id("retention-offer").count() == 0  # no retention coupon configured
    labels = [label.inner_text().strip() for label in page.locator("label.tile").all()]
    assert labels == ["It's too expensive", "I need more features", "Other reason"]
    page.locator('[data-testid="cancel-reason"][value="other"]').check()
    page.get_by_test_id("cancel-reason-comment").fill("Too many emails")
    page.get_by_test_id("cancel-reason-continue").click()
    assert text(page, "cancel-confirm-reason") == "Other reason"
    assert text(page, "cancel-confirm-comment") == "Too many emails"
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False  # nothing yet
    page.get_by_test_id("cancel-confirm").click()
    assert text(page, "portal-message") == "Your Pro plan will be canceled on May 1, 2026."
    assert text(page, "subscription-cancels-at") == "May 1, 2026"
    assert page.get_by_test_id("renew-plan").count() == 1
    assert page.get_by_test_id("cancel-plan").count() == 0 and page.get_by_test_id("update-plan").count() == 0
    canceling = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(canceling.to_dict())
    assert canceling.status == "active" and canceling.cancel_at_period_end is True
    assert (canceling.cancel_at, canceling.canceled_at, canceling.ended_at) == (ts(2026, 5, 1), ts(2026, 4, 16), None)
    assert canceling.cancellation_details.to_dict() == {"comment": "Too many emails", "feedback": "other",
                                                        "feedback_option": None, "reason": "cancellation_requested"}
    updated = events_of(client, "customer.subscription.updated")[0]
    assert updated.data.object.id == subscription.id and updated.data.object.cancel_at_period_end is True
    assert updated.data.object.cancellation_details.feedback == "other"
    assert updated.data.previous_attributes.cancel_at_period_end is False
    assert updated.created == ts(2026, 4, 16)
    assert events_of(client, "customer.subscription.deleted") == []
    advance(client, clock, ts(2026, 5, 1, 2))
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(ended.to_dict())
    assert ended.status == "canceled" and ended.ended_at == ts(2026, 5, 1)
    assert ended.latest_invoice == subscription.latest_invoice  # no renewal invoice
    deleted = events_of(client, "customer.subscription.deleted")
    assert [(e.data.object.id, e.created) for e in deleted] == [(subscription.id, ts(2026, 5, 1))]
    assert deleted[0].data.object.cancellation_details.comment == "Too many emails"
    page.reload()
    assert page.get_by_test_id("no-subscriptions").is_visible()


def test_immediate_cancel_credits_the_unused_time(client: stripe.StripeClient, page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices, mode="immediately", proration="create_prorations")
    clock, customer, subscription = subscribe(client, prices["Pro"])  # 15 of April's 30 days left
    open_session(client, page, customer, configuration)
    page.get_by_test_id("cancel-plan").click()
    assert text(page, "cancel-ends-at") == "April 16, 2026"
    lines = [line.inner_text() for line in page.get_by_test_id("cancel-credit-line").all()]
    assert len(lines) == 1 and "Unused time on Pro after 16 Apr 2026" in lines[0] and "-$15.00" in lines[0]
    assert text(page, "cancel-credit-total") == "-$15.00"
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []  # the preview kept nothing
    page.get_by_test_id("cancel-continue").click()
    assert page.get_by_test_id("cancel-page").get_attribute("data-step") == "confirm"  # no offer, no survey
    page.get_by_test_id("cancel-confirm").click()
    assert text(page, "portal-message") == "Your Pro plan was canceled."
    assert page.get_by_test_id("no-subscriptions").is_visible()
    canceled = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(canceled.to_dict())
    assert canceled.status == "canceled" and canceled.canceled_at == canceled.ended_at == ts(2026, 4, 16)
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert canceled.cancellation_details.feedback is None
    credits = client.v1.invoice_items.list(params={"customer": customer}).data
    assert [(i.amount, i.proration, i.description, i.invoice) for i in credits] == [
        (-1500, True, "Unused time on Pro after 16 Apr 2026", None)]
    assert_shape(credits[0].to_dict())
    assert [e.data.object.id for e in events_of(client, "customer.subscription.deleted")] == [subscription.id]
    assert [e.data.object.amount for e in events_of(client, "invoiceitem.created")] == [-1500]


def set_retention_coupon(emulator: LiveEmulator, api_key: str, configuration: str, coupon: str) -> dict[str, Any]:
    answer = requests.post(f"{emulator.url}/_emulator/api/billing_portal/configurations/{configuration}/"
                           "retention_coupon", data={"coupon": coupon}, auth=(api_key, ""))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_retention_offer_accepted_applies_the_coupon(client: stripe.StripeClient, page: Any,
                                                     emulator: LiveEmulator, api_key: str) -> None:
    prices = catalog(client)
    configuration = configure(client, prices, reasons=["too_expensive", "other"])
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "repeating", "duration_in_months": 3,
                                              "name": "Stay25"})
    assert set_retention_coupon(emulator, api_key, configuration, coupon.id) == {
        "configuration": configuration, "retention_coupon": coupon.id}
    clock, customer, subscription = subscribe(client, prices["Pro"], now=ts(2026, 4, 10))
    open_session(client, page, customer, configuration)
    page.get_by_test_id("cancel-plan").click()
    page.get_by_test_id("cancel-continue").click()
    assert text(page, "retention-coupon") == "Stay25" and text(page, "retention-terms") == "25% off for 3 months"
    page.get_by_test_id("retention-accept").click()
    assert text(page, "portal-message") == "Your offer was applied: Stay25 (25% off for 3 months). Your Pro plan " \
                                           "continues."
    assert text(page, "subscription-discount") == "Stay25"
    assert text(page, "subscription-renewal") == "May 1, 2026"
    assert page.get_by_test_id("cancel-plan").count() == 1  # still cancellable, but the offer is used
    kept = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["discounts"]})
    assert_shape(kept.to_dict())
    assert kept.status == "active" and kept.cancel_at_period_end is False and kept.cancel_at is None
    assert [d.source.coupon for d in kept.discounts] == [coupon.id]
    assert kept.discounts[0].end == ts(2026, 7, 10)
    assert [e.data.object.source.coupon for e in events_of(client, "customer.discount.created")] == [coupon.id]
    updated = events_of(client, "customer.subscription.updated")[0]
    assert updated.data.previous_attributes.discounts == []
    upcoming = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert (upcoming.subtotal, upcoming.total, upcoming.amount_due) == (3000, 2250, 2250)
    # The same coupon is not offered twice: the flow goes straight to the survey now.
    page.get_by_test_id("cancel-plan").click()
    page.get_by_test_id("cancel-continue").click()
    assert page.get_by_test_id("cancel-page").get_attribute("data-step") == "reason"
    advance(client, clock, ts(2026, 5, 1, 2))
    renewed = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert renewed.latest_invoice.billing_reason == "subscription_cycle" and renewed.latest_invoice.status == "paid"
    assert (renewed.latest_invoice.total, renewed.latest_invoice.amount_paid) == (2250, 2250)


def test_renew_undoes_a_pending_cancellation(client: stripe.StripeClient, page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices)
    clock, customer, subscription = subscribe(client, prices["Pro"])
    client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})
    open_session(client, page, customer, configuration)
    assert text(page, "subscription-cancels-at") == "May 1, 2026"
    assert page.get_by_test_id("subscription-renewal").count() == 0
    page.get_by_test_id("renew-plan").click()
    assert text(page, "portal-message") == "Your Pro plan was renewed. It renews on May 1, 2026."
    assert text(page, "subscription-renewal") == "May 1, 2026"
    assert page.get_by_test_id("renew-plan").count() == 0 and page.get_by_test_id("cancel-plan").count() == 1
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(renewed.to_dict())
    assert (renewed.cancel_at_period_end, renewed.cancel_at, renewed.canceled_at) == (False, None, None)
    assert renewed.cancellation_details.reason is None
    updated = events_of(client, "customer.subscription.updated")[0]
    assert updated.data.object.cancel_at_period_end is False
    assert updated.data.previous_attributes.cancel_at_period_end is True
    advance(client, clock, ts(2026, 5, 1, 2))
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert after.status == "active" and after.latest_invoice.total == 3000
    assert events_of(client, "customer.subscription.deleted") == []


def test_deep_link_cancel_with_a_declined_offer_ends_on_the_hosted_confirmation(client: stripe.StripeClient,
                                                                                page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices, reasons=["too_expensive", "unused", "other"])
    coupon = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd", "duration": "once"})
    clock, customer, subscription = subscribe(client, prices["Pro"])
    session = open_session(client, page, customer, configuration, return_url="https://acme.test/billing", flow_data={
        "type": "subscription_cancel",
        "subscription_cancel": {"subscription": subscription.id,
                                "retention": {"type": "coupon_offer", "coupon_offer": {"coupon": coupon.id}}},
        "after_completion": {"type": "hosted_confirmation",
                             "hosted_confirmation": {"custom_message": "We are sorry to see you go."}}})
    assert session.flow.to_dict() == {
        "after_completion": {"hosted_confirmation": {"custom_message": "We are sorry to see you go."},
                             "redirect": None, "type": "hosted_confirmation"},
        "customer_update": None,
        "subscription_cancel": {"retention": {"coupon_offer": {"coupon": coupon.id}, "type": "coupon_offer"},
                                "subscription": subscription.id},
        "subscription_pause": None, "subscription_update": None, "subscription_update_confirm": None,
        "type": "subscription_cancel"}
    assert page.url.endswith(f"/subscriptions/{subscription.id}/cancel")
    assert page.get_by_test_id("cancel-back").get_attribute("href") == "https://acme.test/billing"
    page.goto(session.url + f"/subscriptions/{subscription.id}/update")  # the rest of the portal is hidden
    assert page.url.endswith(f"/subscriptions/{subscription.id}/cancel")
    page.get_by_test_id("cancel-continue").click()
    assert text(page, "retention-terms") == "$5.00 off once"
    page.get_by_test_id("retention-decline").click()
    page.locator('[data-testid="cancel-reason"][value="unused"]').check()
    page.get_by_test_id("cancel-reason-comment").fill("ignored without Other")
    page.get_by_test_id("cancel-reason-continue").click()
    assert text(page, "cancel-confirm-reason") == "I no longer need it"
    page.get_by_test_id("cancel-confirm").click()
    assert page.url == session.url + "/done"
    assert text(page, "flow-confirmation-message") == "Your Pro plan will be canceled on May 1, 2026."
    assert text(page, "flow-custom-message") == "We are sorry to see you go."
    assert page.get_by_test_id("portal-return-link").get_attribute("href") == "https://acme.test/billing"
    page.goto(session.url)  # the link now shows the confirmation
    assert page.get_by_test_id("flow-confirmation").is_visible()
    canceling = client.v1.subscriptions.retrieve(subscription.id)
    assert canceling.cancel_at_period_end is True and canceling.discounts == []
    assert (canceling.cancellation_details.feedback, canceling.cancellation_details.comment) == ("unused", None)
    assert events_of(client, "customer.discount.created") == []


def test_deep_link_cancel_redirects_and_offers_only_its_own_coupon(client: stripe.StripeClient, page: Any,
                                                                   emulator: LiveEmulator, api_key: str) -> None:
    prices = catalog(client)
    configuration = configure(client, prices, mode="immediately")
    coupon = client.v1.coupons.create(params={"percent_off": 50, "duration": "once"})
    set_retention_coupon(emulator, api_key, configuration, coupon.id)  # the homepage's offer only
    clock, customer, subscription = subscribe(client, prices["Basic"])
    page.route("https://acme.test/**", lambda route: route.fulfill(status=200, body="<p>back at Acme</p>",
                                                                  content_type="text/html"))
    session = open_session(client, page, customer, configuration, flow_data={
        "type": "subscription_cancel", "subscription_cancel": {"subscription": subscription.id},
        "after_completion": {"type": "redirect", "redirect": {"return_url": "https://acme.test/after-cancel?x=1"}}})
    assert session.flow.after_completion.to_dict() == {
        "hosted_confirmation": None, "redirect": {"return_url": "https://acme.test/after-cancel?x=1"},
        "type": "redirect"}
    assert session.flow.subscription_cancel.retention is None
    page.get_by_test_id("cancel-continue").click()
    assert page.get_by_test_id("cancel-page").get_attribute("data-step") == "confirm"  # no offer in a deep link
    page.get_by_test_id("cancel-confirm").click()
    page.wait_for_url("https://acme.test/**")
    assert page.url == "https://acme.test/after-cancel?x=1"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    # Opened again, the finished link sends the customer back to the same place.
    again = requests.get(session.url, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == "https://acme.test/after-cancel?x=1"


def test_deep_link_plan_picker_ends_on_the_portal_homepage(client: stripe.StripeClient, page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices)
    clock, customer, subscription = subscribe(client, prices["Basic"])
    other = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}]})
    session = open_session(client, page, customer, configuration, flow_data={
        "type": "subscription_update", "subscription_update": {"subscription": subscription.id},
        "after_completion": {"type": "portal_homepage"}})
    assert session.flow.subscription_update.to_dict() == {"subscription": subscription.id}
    assert session.flow.after_completion.to_dict() == {"hosted_confirmation": None, "redirect": None,
                                                       "type": "portal_homepage"}
    assert page.get_by_test_id("plan-picker").is_visible()
    assert page.get_by_test_id("plan-back").get_attribute("href") == RETURN_URL
    page.goto(session.url + f"/subscriptions/{other.id}/cancel")  # another subscription: back to the task
    assert page.get_by_test_id("plan-picker").is_visible() and subscription.id in page.url
    page.locator(f'[data-testid="plan-option"][data-price="{prices["Pro"]}"]').click()
    page.get_by_test_id("plan-continue").click()
    assert text(page, "confirm-amount-due-today") == "$5.00"  # -$10.00 unused Basic, +$15.00 remaining Pro
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan was updated to Pro."
    assert page.get_by_test_id("portal-home").is_visible()
    assert page.get_by_test_id("subscription-card").count() == 2 and page.get_by_test_id("cancel-plan").count() == 2
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == prices["Pro"]
    page.get_by_test_id("update-plan").first.click()  # the whole portal is open now
    assert page.get_by_test_id("plan-picker").is_visible()


def test_deep_link_update_confirm_with_a_coupon(client: stripe.StripeClient, page: Any) -> None:
    prices = catalog(client)
    configuration = configure(client, prices)
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever", "name": "Upgrade20"})
    clock, customer, subscription = subscribe(client, prices["Basic"])
    item = subscription["items"].data[0].id
    session = open_session(client, page, customer, configuration, flow_data={
        "type": "subscription_update_confirm",
        "subscription_update_confirm": {"subscription": subscription.id, "items": [{"id": item, "price": prices["Pro"]}],
                                        "discounts": [{"coupon": coupon.id}]}})
    assert session.flow.to_dict()["subscription_update_confirm"] == {
        "discounts": [{"coupon": coupon.id, "promotion_code": None}], "items": [{"id": item, "price": prices["Pro"]}],
        "subscription": subscription.id}
    assert session.flow.after_completion.to_dict() == {"hosted_confirmation": {"custom_message": None},
                                                       "redirect": None, "type": "hosted_confirmation"}
    assert page.get_by_test_id("confirm-page").is_visible()
    assert text(page, "confirm-new-plan").startswith("Pro · $30.00")
    assert text(page, "confirm-discount") == "Discount: Upgrade20 · 20% off forever"
    assert page.get_by_test_id("confirm-back").get_attribute("href") == RETURN_URL
    # The coupon joins with the change, so it is baked into the new price's proration: -$10.00 for the
    # unused Basic (as billed), +$12.00 for the remaining half month of Pro at 20% off.
    assert text(page, "confirm-amount-due-today") == "$2.00"
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []  # the preview kept nothing
    page.get_by_test_id("confirm-submit").click()
    assert page.url == session.url + "/done"
    assert text(page, "flow-confirmation-message") == "Your plan was updated to Pro."
    assert page.get_by_test_id("flow-custom-message").count() == 0
    updated = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["discounts", "latest_invoice"]})
    assert_shape(updated.to_dict())
    assert updated["items"].data[0].price.id == prices["Pro"]
    assert [d.source.coupon for d in updated.discounts] == [coupon.id]
    assert updated.latest_invoice.billing_reason == "subscription_update" and updated.latest_invoice.total == 200
    upcoming = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert (upcoming.subtotal, upcoming.amount_due) == (3000, 2400)


def test_an_open_deep_link_refused_on_opening_leads_back_to_the_return_url(client: stripe.StripeClient,
                                                                          page: Any) -> None:
    """A promotion code deactivated after the session was created: the confirm page is refused, and "Back"
    leaves for the return URL (the portal's home would lead back to the same refused task)."""
    prices = catalog(client)
    configuration = configure(client, prices)
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                     "code": "SPRING20"})
    clock, customer, subscription = subscribe(client, prices["Basic"])
    item = subscription["items"].data[0].id
    flow_data = {"type": "subscription_update_confirm", "subscription_update_confirm": {
        "subscription": subscription.id, "items": [{"id": item, "price": prices["Pro"]}],
        "discounts": [{"promotion_code": promo.id}]}}
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                               "flow_data": flow_data})
    client.v1.promotion_codes.update(promo.id, params={"active": False})
    response = page.goto(session.url)
    assert response.status == 400
    assert text(page, "portal-error-message") == "This promotion code cannot be redeemed because it is inactive."
    back = page.get_by_test_id("portal-error-back")
    assert back.get_attribute("href") == RETURN_URL and back.inner_text() == "← Return to " + \
        text(page, "portal-business-name")
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == prices["Basic"]
