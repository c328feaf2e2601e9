"""The customer portal's plan changes in real Chromium, with test clocks: an upgrade applied now, a downgrade
scheduled at the period end (`schedule_at_period_end`), a second change replacing the pending one, and a
schedule made through the API locking the subscription in the portal."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, ts
from tests.conftest import LiveEmulator
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser


def portal_catalog(client: stripe.StripeClient, proration: str = "always_invoice") -> tuple[dict[str, str], str]:
    prices = {}
    products = []
    for name, amount in (("Lite", 1000), ("Basic", 2000), ("Pro", 5000)):
        product = client.v1.products.create(params={"name": name, "description": f"The {name} plan"})
        prices[name] = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                                       "unit_amount": amount,
                                                       "recurring": {"interval": "month"}}).id
        products.append({"product": product.id, "prices": [prices[name]]})
    configuration = client.v1.billing_portal.configurations.create(params={
        "business_profile": {"headline": "Acme billing", "terms_of_service_url": "https://acme.test/terms"},
        "default_return_url": "https://acme.test/account",
        "features": {
            "invoice_history": {"enabled": True},
            "subscription_update": {
                "enabled": True, "default_allowed_updates": ["price"], "products": products,
                "proration_behavior": proration,
                "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"},
                                                          {"type": "shortening_interval"}]}}}})
    assert_shape(configuration.to_dict())
    return prices, configuration.id


def subscribe(client: stripe.StripeClient, price: str, start: int = ts(2026, 4, 1)) -> tuple[str, str, Any]:
    clock, customer = clock_customer(client, start)
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price}]})
    return clock, customer, subscription


def open_portal(client: stripe.StripeClient, page: Any, customer: str, configuration: str) -> None:
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration})
    assert_shape(session.to_dict())
    page.goto(session.url)
    assert page.get_by_test_id("portal-home").is_visible()


def choose(page: Any, price: str) -> None:
    """From the home page: Update plan, pick `price` (through the interval toggle when it lists another
    interval's prices), Continue (lands on the confirm page)."""
    page.get_by_test_id("update-plan").click()
    option = page.locator(f'[data-testid="plan-option"][data-price="{price}"]')
    toggles = page.get_by_test_id("plan-interval")
    for index in range(toggles.count()):
        if option.count():
            break
        toggles.nth(index).click()
    option.click()
    page.get_by_test_id("plan-continue").click()
    assert page.get_by_test_id("confirm-page").is_visible()


def text(page: Any, hook: str) -> str:
    return page.get_by_test_id(hook).inner_text().strip()


def test_upgrade_is_applied_now_with_the_configured_proration(client: stripe.StripeClient, page: Any) -> None:
    prices, configuration = portal_catalog(client, proration="always_invoice")
    clock, customer, subscription = subscribe(client, prices["Basic"])
    advance(client, clock, ts(2026, 4, 16))  # 15 of April's 30 days left: half a period
    open_portal(client, page, customer, configuration)
    assert text(page, "subscription-plan") == "Basic" and text(page, "subscription-price") == "$20.00"
    assert text(page, "subscription-renewal") == "May 1, 2026"
    assert text(page, "portal-headline") == "Acme billing"
    assert page.get_by_test_id("portal-return-link").get_attribute("href") == "https://acme.test/account"
    choose(page, prices["Pro"])
    assert page.get_by_test_id("plan-option").count() == 0  # left the picker
    assert text(page, "confirm-old-plan").startswith("Basic · $20.00")
    assert text(page, "confirm-new-plan").startswith("Pro · $50.00")
    assert text(page, "confirm-amount-due-today") == "$15.00"  # -$10.00 unused Basic, +$25.00 remaining Pro
    lines = [line.inner_text() for line in page.get_by_test_id("confirm-line").all()]
    assert any("Unused time on Basic" in line and "-$10.00" in line for line in lines)
    assert any("Remaining time on Pro" in line and "$25.00" in line for line in lines)
    assert page.get_by_test_id("confirm-scheduled-notice").count() == 0
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == prices["Basic"]
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan was updated to Pro."
    assert text(page, "subscription-plan") == "Pro"
    updated = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert_shape(updated.to_dict())
    assert updated["items"].data[0].price.id == prices["Pro"] and updated.schedule is None
    invoice = updated.latest_invoice
    assert invoice.billing_reason == "subscription_update" and invoice.status == "paid"
    assert (invoice.total, invoice.amount_paid) == (1500, 1500)
    assert sorted(line.amount for line in invoice.lines.data) == [-1000, 2500]
    assert page.get_by_test_id("invoice-history-row").count() == 2
    assert client.v1.events.list(params={"type": "customer.subscription.updated"}).data[0].data.object.id == \
        subscription.id


def test_downgrade_is_scheduled_at_period_end_and_renews_at_the_new_price(client: stripe.StripeClient,
                                                                          page: Any) -> None:
    prices, configuration = portal_catalog(client)
    clock, customer, subscription = subscribe(client, prices["Pro"])
    advance(client, clock, ts(2026, 4, 16))
    open_portal(client, page, customer, configuration)
    choose(page, prices["Basic"])
    assert text(page, "confirm-effective-date") == "May 1, 2026"
    assert "You keep Pro until then" in text(page, "confirm-scheduled-notice")
    assert text(page, "confirm-amount-due-today") == "$0.00"
    assert text(page, "confirm-next-invoice-amount") == "$20.00"
    assert text(page, "confirm-next-invoice-date") == "May 1, 2026"
    assert client.v1.subscriptions.retrieve(subscription.id).schedule is None  # the preview kept nothing
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan will change to Basic on May 1, 2026."
    assert text(page, "subscription-plan") == "Pro"
    assert text(page, "pending-plan") == "Basic" and text(page, "pending-date") == "May 1, 2026"
    assert page.get_by_test_id("update-plan").count() == 1  # a portal schedule does not lock the portal
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert current["items"].data[0].price.id == prices["Pro"] and current.schedule
    schedule = client.v1.subscription_schedules.retrieve(current.schedule)
    assert_shape(schedule.to_dict())
    assert schedule.status == "active" and schedule.end_behavior == "release"
    assert [(p.items[0].price, p.start_date, p.end_date) for p in schedule.phases] == [
        (prices["Pro"], ts(2026, 4, 1), ts(2026, 5, 1)), (prices["Basic"], ts(2026, 5, 1), ts(2026, 6, 1))]
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []
    types = [e.type for e in client.v1.events.list(params={"limit": 20}).data]
    assert "subscription_schedule.created" in types and "billing_portal.session.created" in types
    advance(client, clock, ts(2026, 5, 1, 2))
    renewed = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert_shape(renewed.to_dict())
    assert renewed["items"].data[0].price.id == prices["Basic"]
    renewal = renewed.latest_invoice
    assert renewal.billing_reason == "subscription_cycle" and renewal.status == "paid"
    assert (renewal.total, renewal.amount_paid) == (2000, 2000)
    assert [line.amount for line in renewal.lines.data] == [2000]
    page.reload()
    assert text(page, "subscription-plan") == "Basic" and text(page, "subscription-renewal") == "June 1, 2026"
    assert page.get_by_test_id("subscription-pending-change").count() == 0
    advance(client, clock, ts(2026, 6, 1, 2))
    released = client.v1.subscription_schedules.retrieve(schedule.id)
    assert released.status == "released" and released.released_subscription == subscription.id
    final = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert final.schedule is None and final.latest_invoice.total == 2000


def test_a_later_portal_change_replaces_the_pending_one(client: stripe.StripeClient, page: Any) -> None:
    prices, configuration = portal_catalog(client)
    clock, customer, subscription = subscribe(client, prices["Pro"])
    advance(client, clock, ts(2026, 4, 10))
    latest = subscription.latest_invoice
    open_portal(client, page, customer, configuration)
    choose(page, prices["Basic"])
    page.get_by_test_id("confirm-submit").click()
    schedule_id = client.v1.subscriptions.retrieve(subscription.id).schedule
    choose(page, prices["Lite"])
    assert text(page, "confirm-next-invoice-amount") == "$10.00"
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "pending-plan") == "Lite"
    schedules = client.v1.subscription_schedules.list(params={"customer": customer}).data
    assert [s.id for s in schedules] == [schedule_id]
    assert [p.items[0].price for p in schedules[0].phases] == [prices["Pro"], prices["Lite"]]
    assert_shape(schedules[0].to_dict())
    # Choosing the current plan again drops the pending change.
    page.get_by_test_id("update-plan").click()
    assert text(page, "pending-plan") == "Lite"
    assert page.get_by_test_id("plan-option-current").count() == 1
    page.locator(f'[data-testid="plan-option"][data-price="{prices["Pro"]}"]').click()
    page.get_by_test_id("plan-continue").click()
    assert page.get_by_test_id("confirm-unscheduled-notice").is_visible()
    assert text(page, "confirm-next-invoice-amount") == "$50.00"
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your scheduled change was canceled. You stay on Pro."
    assert page.get_by_test_id("subscription-pending-change").count() == 0
    released = client.v1.subscription_schedules.retrieve(schedule_id)
    assert released.status == "released" and released.subscription is None
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after.schedule is None and after.latest_invoice == latest
    assert after["items"].data[0].price.id == prices["Pro"]
    # A downgrade pending, then an upgrade: the upgrade applies now and the pending change is gone.
    choose(page, prices["Basic"])
    page.get_by_test_id("confirm-submit").click()
    pending_schedule = client.v1.subscriptions.retrieve(subscription.id).schedule
    assert pending_schedule and pending_schedule != schedule_id
    page.get_by_test_id("update-plan").click()
    assert page.get_by_test_id("plan-option").count() == 3
    advance(client, clock, ts(2026, 5, 1, 2))
    page.goto(page.url.split("/subscriptions/")[0])
    assert text(page, "subscription-plan") == "Basic"


def test_a_schedule_made_through_the_api_locks_the_portal(client: stripe.StripeClient, page: Any,
                                                          emulator: LiveEmulator) -> None:
    prices, configuration = portal_catalog(client)
    clock, customer, subscription = subscribe(client, prices["Basic"])
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {"items": [{"price": prices["Basic"]}], "start_date": ts(2026, 4, 1), "end_date": ts(2026, 5, 1)},
        {"items": [{"price": prices["Pro"]}]}]})
    open_portal(client, page, customer, configuration)
    assert "scheduled" in text(page, "subscription-locked")
    assert page.get_by_test_id("update-plan").count() == 0
    assert page.get_by_test_id("subscription-pending-change").count() == 0  # not the portal's change
    page.goto(f"{page.url}/subscriptions/{subscription.id}/update")
    assert "scheduled" in text(page, "portal-error-message")
    after = client.v1.subscription_schedules.retrieve(schedule.id)
    assert after.status == "active" and [p.items[0].price for p in after.phases] == [prices["Basic"], prices["Pro"]]
    # Once its last phase runs there is nothing left to protect: the portal offers changes again.
    advance(client, clock, ts(2026, 5, 1, 2))
    page.goto(page.url.split("/subscriptions/")[0])
    assert page.get_by_test_id("subscription-locked").count() == 0
    assert page.get_by_test_id("update-plan").count() == 1


def test_shorter_interval_is_scheduled_and_an_unmatched_change_applies_now(client: stripe.StripeClient,
                                                                           page: Any) -> None:
    product = client.v1.products.create(params={"name": "Team"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1500,
                                              "recurring": {"interval": "month"}}).id
    yearly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 15000,
                                             "recurring": {"interval": "year"}}).id
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"subscription_update": {
            "enabled": True, "default_allowed_updates": ["price", "quantity"],
            "products": [{"product": product.id, "prices": [monthly, yearly],
                          "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 5}}],
            "schedule_at_period_end": {"conditions": [{"type": "shortening_interval"}]}}}})
    clock, customer = clock_customer(client, ts(2026, 1, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer,
                                                          "items": [{"price": yearly, "quantity": 2}]})
    advance(client, clock, ts(2026, 3, 1))
    open_portal(client, page, customer, configuration.id)
    assert text(page, "subscription-price") == "$300.00" and text(page, "subscription-quantity") == "2"
    # Yearly -> monthly: a shorter interval waits for the end of the year.
    choose(page, monthly)
    assert text(page, "confirm-effective-date") == "January 1, 2027"
    # One product on both sides: the notice tells the plans apart by price and interval.
    assert text(page, "confirm-scheduled-notice") == (
        "Your plan will change to Team · $30.00 per month (qty 2) on January 1, 2027. "
        "You keep Team · $300.00 per year (qty 2) until then.")
    assert text(page, "confirm-next-invoice-amount") == "$30.00"
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "pending-plan") == "Team" and text(page, "pending-date") == "January 1, 2027"
    schedule = client.v1.subscription_schedules.retrieve(client.v1.subscriptions.retrieve(subscription.id).schedule)
    assert [(p.items[0].price, p.items[0].quantity, p.end_date) for p in schedule.phases] == [
        (yearly, 2, ts(2027, 1, 1)), (monthly, 2, ts(2027, 2, 1))]
    # Fewer seats on the yearly price: no condition configured for it, so it applies now, with the
    # configuration's default proration (none), and the pending change is dropped.
    page.get_by_test_id("update-plan").click()
    page.locator(f'[data-testid="plan-option"][data-price="{yearly}"]').click()
    page.get_by_test_id("plan-quantity").fill("1")
    page.get_by_test_id("plan-continue").click()
    assert text(page, "confirm-amount-due-today") == "$0.00"
    assert text(page, "confirm-next-invoice-amount") == "$150.00"
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan was updated to Team."
    assert page.get_by_test_id("subscription-quantity").count() == 0 and text(page, "subscription-price") == "$150.00"
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert_shape(after.to_dict())
    assert after.schedule is None and after["items"].data[0].quantity == 1
    assert after.latest_invoice == subscription.latest_invoice  # proration none: nothing billed now
    assert client.v1.invoice_items.list(params={"customer": customer}).data == []
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "released"
    # A quantity outside the configured range sends the customer back to the plan picker, which says why.
    page.goto(f"{page.url.split('?')[0]}/subscriptions/{subscription.id}/confirm?price={yearly}&quantity=9")
    assert text(page, "plan-error") == "Choose a quantity between 1 and 5."
    assert page.get_by_test_id("plan-picker").is_visible()


def test_each_adjustable_product_has_its_own_quantity(client: stripe.StripeClient, page: Any) -> None:
    """With two products whose quantities are adjustable, the quantity typed beside the chosen plan counts."""
    prices, products = {}, []
    for name, amount in (("Seats", 1000), ("Team", 3000)):
        product = client.v1.products.create(params={"name": name})
        prices[name] = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                                       "unit_amount": amount,
                                                       "recurring": {"interval": "month"}}).id
        products.append({"product": product.id, "prices": [prices[name]],
                         "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10}})
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"subscription_update": {"enabled": True, "default_allowed_updates": ["price", "quantity"],
                                             "products": products, "proration_behavior": "always_invoice"}}})
    clock, customer, subscription = subscribe(client, prices["Seats"])
    advance(client, clock, ts(2026, 4, 16))
    open_portal(client, page, customer, configuration.id)
    page.get_by_test_id("update-plan").click()
    quantities = page.get_by_test_id("plan-quantity")
    assert quantities.count() == 2
    quantities.nth(0).fill("7")  # beside Seats: not the plan chosen below
    quantities.nth(1).fill("3")
    page.locator(f'[data-testid="plan-option"][data-price="{prices["Team"]}"]').click()
    page.get_by_test_id("plan-continue").click()
    # Seats x1 (10.00) credited for half of April, Team x3 (90.00) charged for the other half.
    assert text(page, "confirm-amount-due-today") == "$40.00"
    page.get_by_test_id("confirm-submit").click()
    item = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    assert (item.price.id, item.quantity) == (prices["Team"], 3)
    assert client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice).total == 4000


def test_update_plan_is_hidden_when_the_picker_offers_nothing(client: stripe.StripeClient, page: Any) -> None:
    """"Update plan" needs at least one allowed price other than the current one, or a quantity to adjust: a
    EUR subscription under a USD-only configuration, or a configuration listing only the current price, gets
    no button, and the picker and confirm pages refuse."""
    prices, configuration = portal_catalog(client)
    euro_product = client.v1.products.create(params={"name": "Euro plan"})
    euro = client.v1.prices.create(params={"product": euro_product.id, "currency": "eur", "unit_amount": 2000,
                                           "recurring": {"interval": "month"}}).id
    clock, customer, subscription = subscribe(client, euro)
    assert subscription.currency == "eur"
    open_portal(client, page, customer, configuration)
    home = page.url
    assert text(page, "subscription-plan") == "Euro plan"
    assert page.get_by_test_id("update-plan").count() == 0
    page.goto(f"{home}/subscriptions/{subscription.id}/update")
    assert text(page, "portal-error-message") == "This subscription can't be changed here."
    assert page.get_by_test_id("plan-option").count() == 0
    page.goto(f"{home}/subscriptions/{subscription.id}/confirm?price={prices['Pro']}")
    assert text(page, "portal-error-message") == "This subscription can't be changed here."
    error = pytest.raises(stripe.InvalidRequestError, client.v1.billing_portal.sessions.create, params={
        "customer": customer, "configuration": configuration,
        "flow_data": {"type": "subscription_update", "subscription_update": {"subscription": subscription.id}}}).value
    assert error.param == "flow_data[subscription_update][subscription]"
    assert error.user_message == "This subscription can't be changed here."
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == euro

    # Only the current price listed and no adjustable quantity: nothing to pick either; with the quantity
    # adjustable the picker has something to offer again.
    product = client.v1.prices.retrieve(prices["Basic"]).product
    only_current = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"subscription_update": {"enabled": True, "default_allowed_updates": ["price", "quantity"],
                                             "products": [{"product": product, "prices": [prices["Basic"]]}]}}})
    _, basic_customer, basic = subscribe(client, prices["Basic"])
    open_portal(client, page, basic_customer, only_current.id)
    assert page.get_by_test_id("update-plan").count() == 0
    page.goto(f"{page.url}/subscriptions/{basic.id}/update")
    assert text(page, "portal-error-message") == "This subscription can't be changed here."
    client.v1.billing_portal.configurations.update(only_current.id, params={"features": {"subscription_update": {
        "products": [{"product": product, "prices": [prices["Basic"]],
                      "adjustable_quantity": {"enabled": True, "maximum": 5}}]}}})
    open_portal(client, page, basic_customer, only_current.id)
    page.get_by_test_id("update-plan").click()
    assert page.get_by_test_id("plan-option").count() == 1 and page.get_by_test_id("plan-quantity").count() == 1


def _upgrade_with_card(client: stripe.StripeClient, page: Any, card: str) -> tuple[dict[str, str], Any, str]:
    """Basic -> Pro (always_invoice) halfway through April, the customer's default card now `card`."""
    prices, configuration = portal_catalog(client, proration="always_invoice")
    clock, customer, subscription = subscribe(client, prices["Basic"])
    advance(client, clock, ts(2026, 4, 16))
    method = client.v1.payment_methods.attach(card, params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": method.id}})
    open_portal(client, page, customer, configuration)
    choose(page, prices["Pro"])
    page.get_by_test_id("confirm-submit").click()
    return prices, subscription, customer


def test_a_declined_upgrade_leaves_the_plan_and_says_why_on_the_confirm_page(client: stripe.StripeClient,
                                                                             page: Any) -> None:
    """Stripe's portal handles payment failures on the confirm page: the plan is not changed (the update
    waits as pending_update on the open invoice)."""
    prices, subscription, customer = _upgrade_with_card(client, page, "pm_card_chargeCustomerFail")
    assert page.get_by_test_id("confirm-page").is_visible()
    assert text(page, "confirm-error") == ("The payment didn't go through, so your plan wasn't changed. "
                                           "Your card was declined.")
    assert text(page, "confirm-new-plan").startswith("Pro · $50.00")  # the same change, ready to retry
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert after["items"].data[0].price.id == prices["Basic"] and after.status == "active"
    assert after.pending_update["subscription_items"][0]["price"]["id"] == prices["Pro"]
    assert (after.latest_invoice.status, after.latest_invoice.amount_remaining) == ("open", 1500)
    # The retry with a working card bills the same change again (the unpaid attempt is voided, not credited).
    assert text(page, "confirm-amount-due-today") == "$15.00"
    visa = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": visa.id}})
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan was updated to Pro."
    paid = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert paid["items"].data[0].price.id == prices["Pro"] and paid.pending_update is None
    assert (paid.latest_invoice.status, paid.latest_invoice.amount_paid) == ("paid", 1500)
    assert client.v1.invoices.retrieve(after.latest_invoice.id).status == "void"


@pytest.mark.parametrize("button", ["complete-authentication", "fail-authentication"])
def test_an_upgrade_needing_3d_secure_goes_through_stripes_test_page(client: stripe.StripeClient, page: Any,
                                                                     button: str) -> None:
    prices, subscription, _ = _upgrade_with_card(client, page, "pm_card_authenticationRequired")
    assert page.get_by_test_id("authentication-page").is_visible()
    page.get_by_test_id(button).click()
    after = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    if button == "complete-authentication":
        assert text(page, "portal-message") == "Your plan was updated to Pro."
        assert after["items"].data[0].price.id == prices["Pro"] and after.pending_update is None
        assert (after.latest_invoice.status, after.latest_invoice.amount_paid) == ("paid", 1500)
    else:
        assert text(page, "confirm-error") == ("The payment didn't go through, so your plan wasn't changed. "
                                               "We are unable to authenticate your payment method. Please choose "
                                               "a different payment method and try again.")
        assert after["items"].data[0].price.id == prices["Basic"] and after.pending_update is not None
        assert after.latest_invoice.status == "open"


def test_a_promotion_code_typed_on_the_plan_picker(client: stripe.StripeClient, page: Any) -> None:
    """default_allowed_updates with promotion_code: the picker takes a code (case-insensitive), the confirm
    page and the update carry its discount; codes the customer cannot use on an update are refused there."""
    prices, _ = portal_catalog(client)
    products = [{"product": client.v1.prices.retrieve(prices[name]).product, "prices": [prices[name]]}
                for name in ("Basic", "Pro")]
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price", "promotion_code"],
                                    "products": products, "proration_behavior": "none"}}}).id
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever", "name": "Spring"})
    client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                             "code": "SPRING25"})
    client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "BIG50",
                                             "restrictions": {"minimum_amount": 5000,
                                                              "minimum_amount_currency": "usd"}})
    clock, customer, subscription = subscribe(client, prices["Basic"])
    open_portal(client, page, customer, configuration)
    page.get_by_test_id("update-plan").click()
    for code, refusal in (("NOPE", "The promotion code NOPE isn't valid."),
                          ("big50", "The promotion code BIG50 can't be used for this subscription.")):
        page.locator(f'[data-testid="plan-option"][data-price="{prices["Pro"]}"]').click()
        page.get_by_test_id("plan-promotion-code").fill(code)
        page.get_by_test_id("plan-continue").click()
        assert text(page, "plan-error") == refusal
    page.locator(f'[data-testid="plan-option"][data-price="{prices["Pro"]}"]').click()
    page.get_by_test_id("plan-promotion-code").fill("spring25")
    page.get_by_test_id("plan-continue").click()
    assert text(page, "confirm-discount") == "Discount: SPRING25 · 25% off forever"
    lines = [line.inner_text() for line in page.get_by_test_id("confirm-line").all()]
    assert any("$50.00" in line for line in lines)  # the next invoice: Pro, then its 25% off
    assert text(page, "confirm-discount-line").endswith("-$12.50") and \
        text(page, "confirm-next-invoice-amount") == "$37.50"
    page.get_by_test_id("confirm-submit").click()
    assert text(page, "portal-message") == "Your plan was updated to Pro."
    assert text(page, "subscription-discount-code") == "SPRING25"
    updated = client.v1.subscriptions.retrieve(subscription.id)
    assert updated["items"].data[0].price.id == prices["Pro"] and len(updated.discounts) == 1
    discount = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["discounts"]}).discounts[0]
    assert client.v1.promotion_codes.retrieve(discount.promotion_code).code == "SPRING25"


def test_an_immediate_downgrade_shows_the_credit_it_leaves(client: stripe.StripeClient, page: Any) -> None:
    """A downgrade invoiced at once (no schedule_at_period_end) can total less than zero: the confirm page says
    the difference goes to the credit balance."""
    prices, _ = portal_catalog(client)
    products = [{"product": client.v1.prices.retrieve(prices[name]).product, "prices": [prices[name]]}
                for name in ("Basic", "Pro")]
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price"], "products": products,
                                    "proration_behavior": "always_invoice"}}}).id
    clock, customer, subscription = subscribe(client, prices["Pro"])
    advance(client, clock, ts(2026, 4, 16))
    open_portal(client, page, customer, configuration)
    choose(page, prices["Basic"])
    # -$25.00 unused Pro, +$10.00 remaining Basic.
    assert text(page, "confirm-amount-due-today") == "$0.00"
    assert text(page, "confirm-credit") == "$15.00 will be added to your credit balance and used for your next " \
        "invoices."
    page.get_by_test_id("confirm-submit").click()
    assert client.v1.customers.retrieve(customer).balance == -1500


def test_the_picker_toggles_between_billing_intervals(client: stripe.StripeClient, page: Any) -> None:
    """Prices covering several intervals get a Monthly / Yearly toggle (the current price's interval first)."""
    monthly = {name: price for name, price in portal_catalog(client)[0].items() if name in ("Basic", "Pro")}
    yearly = {name: client.v1.prices.create(params={
        "product": client.v1.prices.retrieve(price).product, "currency": "usd", "unit_amount": amount,
        "recurring": {"interval": "year"}}).id for (name, price), amount in zip(monthly.items(), (20000, 50000))}
    products = [{"product": client.v1.prices.retrieve(monthly[name]).product,
                 "prices": [monthly[name], yearly[name]]} for name in ("Basic", "Pro")]
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price"], "products": products,
                                    "proration_behavior": "none"}}}).id
    clock, customer, subscription = subscribe(client, monthly["Basic"])
    open_portal(client, page, customer, configuration)
    page.get_by_test_id("update-plan").click()
    toggles = page.get_by_test_id("plan-interval")
    assert [toggles.nth(i).inner_text() for i in range(toggles.count())] == ["Monthly", "Yearly"]
    assert page.locator('[data-testid="plan-interval"][aria-current="true"]').get_attribute("data-interval") == "month"
    shown = page.get_by_test_id("plan-option")
    listed = lambda: [shown.nth(i).get_attribute("data-price") for i in range(shown.count())]  # noqa: E731
    assert listed() == [monthly["Basic"], monthly["Pro"]]
    page.locator('[data-testid="plan-interval"][data-interval="year"]').click()
    assert listed() == [yearly["Basic"], yearly["Pro"]]
    page.locator(f'[data-testid="plan-option"][data-price="{yearly["Pro"]}"]').click()
    page.get_by_test_id("plan-continue").click()
    assert text(page, "confirm-new-plan").startswith("Pro · $500.00 per year")


def test_quantity_fields_start_inside_each_products_range(client: stripe.StripeClient, page: Any) -> None:
    """Each adjustable product's field starts at the current quantity kept in that product's own range, so a
    product that needs at least 2 does not stop the customer from choosing another plan."""
    prices, _ = portal_catalog(client)
    products = [{"product": client.v1.prices.retrieve(prices["Basic"]).product, "prices": [prices["Basic"]],
                 "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10}},
                {"product": client.v1.prices.retrieve(prices["Pro"]).product, "prices": [prices["Pro"]],
                 "adjustable_quantity": {"enabled": True, "minimum": 2, "maximum": 50}}]
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price", "quantity"],
                                    "products": products, "proration_behavior": "none"}}}).id
    clock, customer, subscription = subscribe(client, prices["Basic"])
    open_portal(client, page, customer, configuration)
    page.get_by_test_id("update-plan").click()
    fields = page.get_by_test_id("plan-quantity")
    assert [fields.nth(i).input_value() for i in range(fields.count())] == ["1", "2"]
    page.locator(f'[data-testid="plan-option"][data-price="{prices["Pro"]}"]').click()
    page.get_by_test_id("plan-continue").click()
    assert text(page, "confirm-new-plan").startswith("Pro · $100.00")  # 2 x $50.00


def test_the_confirm_page_lists_taxes(client: stripe.StripeClient, page: Any) -> None:
    """The confirm page's lines, taxes and amount due add up like the invoice they preview."""
    prices, configuration = portal_catalog(client)
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False})
    clock, customer = clock_customer(client, ts(2026, 4, 1))
    subscription = client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": prices["Basic"]}],
                                                          "default_tax_rates": [vat.id]})
    advance(client, clock, ts(2026, 4, 16))
    open_portal(client, page, customer, configuration)
    choose(page, prices["Pro"])
    assert text(page, "confirm-tax-line") == "VAT (20%)\t$3.00"  # on +$25.00 less $10.00 credited
    assert text(page, "confirm-amount-due-today") == "$18.00"
    page.get_by_test_id("confirm-submit").click()
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (invoice.subtotal, invoice.total) == (2500 - 1000, 1800)
