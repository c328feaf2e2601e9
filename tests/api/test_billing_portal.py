"""Customer portal configurations and sessions through the SDK (the portal pages are in tests/portal/)."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
import requests
import stripe

from tests.conftest import LiveEmulator
from tests.shape_oracle import assert_shape


def catalog(client: stripe.StripeClient) -> tuple[str, str, str]:
    product = client.v1.products.create(params={"name": "Team"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1500,
                                              "recurring": {"interval": "month"}})
    yearly = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 15000,
                                             "recurring": {"interval": "year"}})
    return product.id, monthly.id, yearly.id


def full_configuration(client: stripe.StripeClient) -> stripe.billing_portal.Configuration:
    product, monthly, yearly = catalog(client)
    return client.v1.billing_portal.configurations.create(params={
        "business_profile": {"headline": "Acme partners with Stripe", "privacy_policy_url": "https://acme.test/p",
                             "terms_of_service_url": "https://acme.test/t"},
        "default_return_url": "https://acme.test/account",
        "name": "Main",
        "metadata": {"team": "billing"},
        "features": {
            "customer_update": {"enabled": True, "allowed_updates": ["email", "address"]},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True, "mode": "immediately", "proration_behavior": "create_prorations",
                                    "cancellation_reason": {"enabled": True, "options": ["too_expensive", "other"]}},
            "subscription_update": {
                "enabled": True, "default_allowed_updates": ["price", "quantity"],
                "products": [{"product": product, "prices": [monthly, yearly],
                              "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 20}}],
                "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"},
                                                          {"type": "shortening_interval"}]},
                "billing_cycle_anchor": "unchanged",
            },
        },
    })


def test_configuration_create_retrieve_update_list(client: stripe.StripeClient) -> None:
    configuration = full_configuration(client)
    assert_shape(configuration.to_dict())
    assert configuration.id.startswith("bpc_") and configuration.is_default is True and configuration.active
    assert configuration.business_profile.headline == "Acme partners with Stripe"
    update = configuration.features.subscription_update
    assert update.proration_behavior == "none"  # Stripe's default when not set
    assert [c.type for c in update.schedule_at_period_end.conditions] == ["decreasing_item_amount",
                                                                          "shortening_interval"]
    assert update.products[0].adjustable_quantity.maximum == 20 and update.trial_update_behavior == "end_trial"
    assert configuration.features.subscription_cancel.cancellation_reason.options == ["too_expensive", "other"]
    assert configuration.login_page.enabled is False and configuration.login_page.url is None
    second = client.v1.billing_portal.configurations.create(params={"features": {"invoice_history": {"enabled": True}}})
    assert_shape(second.to_dict())
    assert second.is_default is False and second.features.subscription_update.enabled is False
    assert second.features.subscription_update.products == [] and second.default_return_url is None
    updated = client.v1.billing_portal.configurations.update(second.id, params={
        "active": False, "business_profile": {"headline": ""}, "metadata": {"k": "v"},
        "features": {"subscription_update": {"proration_behavior": "always_invoice"}},
        "login_page": {"enabled": True}})
    assert_shape(updated.to_dict())
    assert updated.active is False and updated.metadata.to_dict() == {"k": "v"} and updated.login_page.enabled is True
    assert updated.login_page.url.startswith("http") and "/p/login/test_" in updated.login_page.url
    assert updated.features.subscription_update.proration_behavior == "always_invoice"
    assert updated.features.invoice_history.enabled is True  # untouched features are kept
    fetched = client.v1.billing_portal.configurations.retrieve(configuration.id)
    assert_shape(fetched.to_dict())
    assert fetched.to_dict() == configuration.to_dict()
    listed = client.v1.billing_portal.configurations.list()
    assert [c.id for c in listed.data] == [second.id, configuration.id]
    assert [c.id for c in client.v1.billing_portal.configurations.list(params={"active": False}).data] == [second.id]
    assert [c.id for c in client.v1.billing_portal.configurations.list(
        params={"is_default": True}).data] == [configuration.id]
    for item in listed.data:
        assert_shape(item.to_dict())
    types = [e.type for e in client.v1.events.list(params={"type": "billing_portal.configuration.*"}).data]
    assert types == ["billing_portal.configuration.updated", "billing_portal.configuration.created",
                     "billing_portal.configuration.created"]


def error_of(call: object) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_configuration_validation(client: stripe.StripeClient) -> None:
    product, monthly, yearly = catalog(client)
    other = client.v1.products.create(params={"name": "Other"})
    create = client.v1.billing_portal.configurations.create
    assert error_of(lambda: create(params={})).param == "features"
    off = {"invoice_history": {"enabled": False}}
    assert error_of(lambda: create(params={"features": off, "business_profile": {"headline": "x" * 61}})
                    ).param == "business_profile[headline]"
    assert error_of(lambda: create(params={"features": off, "default_return_url": "not a url"})
                    ).param == "default_return_url"
    update = {"enabled": True, "default_allowed_updates": ["price"]}
    error = error_of(lambda: create(params={"features": {"subscription_update": update}}))
    assert error.param == "features[subscription_update][products]" and error.code == "parameter_missing"
    error = error_of(lambda: create(params={"features": {"subscription_update": {
        **update, "products": [{"product": other.id, "prices": [monthly]}]}}}))
    assert error.param == "features[subscription_update][products][0][prices][0]"
    error = error_of(lambda: create(params={"features": {"subscription_update": {
        **update, "products": [{"product": "prod_missing", "prices": [monthly]}]}}}))
    assert error.param == "features[subscription_update][products][0][product]" and error.http_status == 404
    second_monthly = client.v1.prices.create(params={"product": product, "currency": "usd", "unit_amount": 900,
                                                     "recurring": {"interval": "month"}})
    error = error_of(lambda: create(params={"features": {"subscription_update": {
        **update, "products": [{"product": product, "prices": [monthly, second_monthly.id]}]}}}))
    assert error.param == "features[subscription_update][products][0][prices][1]"
    error = error_of(lambda: create(params={"features": {"subscription_cancel": {
        "enabled": True, "proration_behavior": "always_invoice"}}}))
    assert error.param == "features[subscription_cancel][proration_behavior]"
    error = error_of(lambda: create(params={"features": {"subscription_update": {
        **update, "products": [{"product": product, "prices": [monthly],
                                "adjustable_quantity": {"enabled": True, "minimum": 5, "maximum": 2}}]}}}))
    assert error.param == "features[subscription_update][products][0][adjustable_quantity][maximum]"
    default = create(params={"features": {"invoice_history": {"enabled": True}}})
    error = error_of(lambda: client.v1.billing_portal.configurations.update(default.id, params={"active": False}))
    assert error.param == "active"
    assert error_of(lambda: client.v1.billing_portal.configurations.retrieve("bpc_missing")).http_status == 404


def test_session_create(client: stripe.StripeClient, emulator: LiveEmulator) -> None:
    configuration = full_configuration(client)
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id, "locale": "en"})
    assert_shape(session.to_dict())
    assert session.id.startswith("bps_") and session.configuration == configuration.id
    assert session.return_url == "https://acme.test/account" and session.locale == "en"
    assert session.url.startswith(emulator.url + "/p/session/test_")
    expanded = client.v1.billing_portal.sessions.create(params={
        "customer": customer.id, "return_url": "http://localhost:3000/back", "expand": ["configuration"]})
    assert_shape(expanded.to_dict())
    assert expanded.configuration.id == configuration.id and expanded.return_url == "http://localhost:3000/back"
    assert expanded.url != session.url
    assert requests.get(session.url).status_code == 200
    token = urlsplit(session.url).path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert requests.get(f"{emulator.url}/p/session/{tampered}").status_code == 404
    events = client.v1.events.list(params={"type": "billing_portal.session.created"}).data
    assert [e.data.object.id for e in events] == [expanded.id, session.id]
    # The token's secret part comes from `secrets`, not from the (seedable) id generator.
    decoded = base64.urlsafe_b64decode(token[5:] + "=" * (-len(token[5:]) % 4)).decode()
    assert decoded.split(":")[1] == session.id and len(decoded.split(":")[2]) >= 32


def test_session_validation(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    plain = client.v1.billing_portal.configurations.create(params={"features": {"invoice_history": {"enabled": True}}})
    create = client.v1.billing_portal.sessions.create
    error = error_of(lambda: create(params={"customer": customer.id}))
    assert error.param == "return_url" and error.code == "parameter_missing"
    assert error_of(lambda: create(params={"customer": "cus_missing", "return_url": "https://a.test"})
                    ).param == "customer"
    assert error_of(lambda: create(params={"customer": customer.id, "configuration": "bpc_nope",
                                           "return_url": "https://a.test"})).param == "configuration"
    assert error_of(lambda: create(params={"return_url": "https://a.test"})).param == "customer"
    error = error_of(lambda: create(params={"customer": customer.id, "return_url": "https://a.test",
                                            "flow_data": {"type": "customer_update"}}))
    assert error.param == "flow_data[type]" and "does not offer customer information updates" in error.user_message
    error = error_of(lambda: create(params={"customer": customer.id, "return_url": "https://a.test",
                                            "flow_data": {"type": "payment_method_update"}}))
    assert error.param == "flow_data[type]" and "does not offer payment method updates" in error.user_message
    inactive = client.v1.billing_portal.configurations.create(params={"features": {"invoice_history": {
        "enabled": True}}})
    client.v1.billing_portal.configurations.update(inactive.id, params={"active": False})
    assert error_of(lambda: create(params={"customer": customer.id, "configuration": inactive.id,
                                           "return_url": "https://a.test"})).param == "configuration"
    assert plain.is_default


def test_default_configuration_is_created_on_first_use(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                               "return_url": "https://a.test"})
    configuration = client.v1.billing_portal.configurations.retrieve(session.configuration)
    assert_shape(configuration.to_dict())
    assert configuration.is_default and configuration.active
    features = configuration.features
    assert features.subscription_cancel.enabled and features.invoice_history.enabled
    assert features.customer_update.allowed_updates == ["address", "email", "name", "phone"]
    assert features.subscription_update.enabled is False


def test_missing_default_configuration_is_refused_when_configured(tmp_path: object) -> None:
    live = LiveEmulator(str(tmp_path / "strict.sqlite3"),  # type: ignore[operator]
                        env={"STRIPE_EMULATOR_PORTAL_DEFAULT_CONFIGURATION": "error"})
    try:
        client = stripe.StripeClient("sk_test_strictportal", base_addresses={"api": live.url},
                                     max_network_retries=0)
        customer = client.v1.customers.create(params={"email": "ada@example.com"})
        error = error_of(lambda: client.v1.billing_portal.sessions.create(params={
            "customer": customer.id, "return_url": "https://a.test"}))
        assert error.param == "configuration" and "default configuration has not been created" in error.user_message
        client.v1.billing_portal.configurations.create(params={"features": {"invoice_history": {"enabled": True}}})
        session = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                                   "return_url": "https://a.test"})
        assert_shape(session.to_dict())
    finally:
        live.stop()


def test_session_expiry_follows_the_account_clock(client: stripe.StripeClient, emulator: LiveEmulator,
                                                  api_key: str) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    unopened = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                                "return_url": "https://a.test"})
    opened = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                              "return_url": "https://a.test"})
    assert requests.get(opened.url).status_code == 200

    def shift(by: str) -> None:
        answer = requests.post(f"{emulator.url}/_emulator/api/clock/advance", data={"by": by}, auth=(api_key, ""))
        assert answer.status_code == 200

    shift("6m")  # more than 5 minutes: a link never opened has expired
    page = requests.get(unopened.url)
    assert page.status_code == 410 and 'data-testid="portal-expired"' in page.text
    shift("50m")  # an opened session lives an hour after the last visit
    assert requests.get(opened.url).status_code == 200
    shift("59m")
    assert requests.get(opened.url).status_code == 200
    shift("61m")
    assert requests.get(opened.url).status_code == 410


def test_portal_forms_need_the_csrf_token(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id,
                                                               "return_url": "https://a.test"})
    answer = requests.post(f"{session.url}/subscriptions/sub_x/confirm", data={"price": "price_x"})
    assert answer.status_code == 403 and 'data-testid="portal-error-message"' in answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_flow_data_validation(client: stripe.StripeClient, emulator: LiveEmulator, api_key: str) -> None:
    product, monthly, yearly = catalog(client)
    other_product = client.v1.products.create(params={"name": "Other"})
    other_price = client.v1.prices.create(params={"product": other_product.id, "currency": "usd", "unit_amount": 700,
                                                  "recurring": {"interval": "month"}})
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"subscription_cancel": {"enabled": True},
                     "subscription_update": {"enabled": True, "default_allowed_updates": ["price", "quantity"],
                                             "products": [{"product": product, "prices": [monthly, yearly]}]}}})
    no_cancel = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {"invoice_history": {"enabled": True}}})
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    stranger = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": monthly}]})
    item = subscription["items"].data[0].id
    theirs = client.v1.subscriptions.create(params={"customer": stranger.id, "items": [{"price": monthly}]})
    ended = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": monthly}]})
    client.v1.subscriptions.cancel(ended.id)
    canceling = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": monthly}],
                                                       "cancel_at_period_end": True})
    coupon = client.v1.coupons.create(params={"percent_off": 10})

    def refused(flow_data: dict, configuration_id: str = configuration.id) -> stripe.InvalidRequestError:
        return error_of(lambda: client.v1.billing_portal.sessions.create(params={
            "customer": customer.id, "configuration": configuration_id, "flow_data": flow_data}))

    def cancel_flow(subscription_id: str, **extra: object) -> dict:
        return {"type": "subscription_cancel", "subscription_cancel": {"subscription": subscription_id}, **extra}

    error = refused({"type": "customer_update"})
    assert error.param == "flow_data[type]" and "does not offer customer information updates" in error.user_message
    error = refused({"type": "subscription_pause"})
    assert error.param == "flow_data[type]" and "not implemented" in error.user_message
    assert refused({"type": "subscription_pause", "subscription_pause": {"subscription": subscription.id}}
                   ).param == "flow_data[subscription_pause]"  # a parameter the emulator does not implement
    error = refused({"type": "subscription_cancel"})
    assert error.param == "flow_data[subscription_cancel]" and error.code == "parameter_missing"
    assert refused({"type": "subscription_update", "subscription_cancel": {"subscription": subscription.id},
                    "subscription_update": {"subscription": subscription.id}}).param == "flow_data[subscription_cancel]"
    error = refused(cancel_flow("sub_missing"))
    assert (error.param, error.code) == ("flow_data[subscription_cancel][subscription]", "resource_missing")
    error = refused(cancel_flow(theirs.id))
    assert error.param == "flow_data[subscription_cancel][subscription]" and "does not belong" in error.user_message
    assert "canceled" in refused(cancel_flow(ended.id)).user_message
    error = refused(cancel_flow(canceling.id))
    assert error.param == "flow_data[subscription_cancel][subscription]" and "already set to cancel" in \
        error.user_message
    assert "does not offer cancellation" in refused(cancel_flow(subscription.id), no_cancel.id).user_message
    error = refused(cancel_flow(subscription.id), no_cancel.id)
    assert error.param == "flow_data[subscription_cancel][subscription]"
    error = refused({"type": "subscription_cancel", "subscription_cancel": {
        "subscription": subscription.id, "retention": {"type": "coupon_offer", "coupon_offer": {"coupon": "nope"}}}})
    assert (error.param, error.code) == ("flow_data[subscription_cancel][retention][coupon_offer][coupon]",
                                         "resource_missing")
    error = refused(cancel_flow(subscription.id, after_completion={"type": "redirect"}))
    assert (error.param, error.code) == ("flow_data[after_completion][redirect][return_url]", "parameter_missing")
    assert refused(cancel_flow(subscription.id, after_completion={
        "type": "redirect", "redirect": {"return_url": "not a url"}})).param == \
        "flow_data[after_completion][redirect][return_url]"
    assert refused(cancel_flow(subscription.id, after_completion={
        "type": "hosted_confirmation", "redirect": {"return_url": "https://a.test"}})).param == \
        "flow_data[after_completion][redirect]"
    assert refused(cancel_flow(subscription.id, after_completion={
        "type": "hosted_confirmation", "hosted_confirmation": {"custom_message": "x" * 501}})).param == \
        "flow_data[after_completion][hosted_confirmation][custom_message]"
    assert refused(cancel_flow(subscription.id, after_completion={"type": "elsewhere"})).param == \
        "flow_data[after_completion][type]"
    assert refused({"type": "subscription_update", "subscription_update": {"subscription": subscription.id}},
                   no_cancel.id).param == "flow_data[subscription_update][subscription]"

    def confirm_flow(items: list, discounts: list | None = None) -> dict:
        spec: dict = {"subscription": subscription.id, "items": items}
        if discounts is not None:
            spec["discounts"] = discounts
        return {"type": "subscription_update_confirm", "subscription_update_confirm": spec}

    prefix = "flow_data[subscription_update_confirm]"
    assert refused(confirm_flow([{"id": item, "price": yearly}, {"id": item, "quantity": 2}])).param == \
        f"{prefix}[items]"
    assert refused(confirm_flow([{"id": "si_other", "price": yearly}])).param == f"{prefix}[items][0][id]"
    assert refused(confirm_flow([{"id": item, "price": other_price.id}])).param == f"{prefix}[items][0][price]"
    assert refused(confirm_flow([{"id": item}])).param == f"{prefix}[items][0]"  # nothing would change
    assert refused(confirm_flow([{"id": item, "quantity": 2}], [{"coupon": coupon.id}, {"coupon": coupon.id}])
                   ).param == f"{prefix}[discounts]"
    assert refused(confirm_flow([{"id": item, "quantity": 2}], [{"coupon": "nope"}])).param == \
        f"{prefix}[discounts][0][coupon]"
    # What passes: each accepted flow comes back in Stripe's shape.
    create = client.v1.billing_portal.sessions.create
    session = create(params={"customer": customer.id, "configuration": configuration.id,
                             "flow_data": confirm_flow([{"id": item, "quantity": 3}], [{"coupon": coupon.id}])})
    assert_shape(session.to_dict())
    assert session.flow.subscription_update_confirm.to_dict() == {
        "discounts": [{"coupon": coupon.id, "promotion_code": None}], "items": [{"id": item, "price": None,
                                                                                "quantity": 3}],
        "subscription": subscription.id}
    events = client.v1.events.list(params={"type": "billing_portal.session.created"}).data
    assert events[0].data.object.flow.type == "subscription_update_confirm"
    assert_shape(events[0].to_dict())
    plain = create(params={"customer": customer.id, "configuration": configuration.id})
    assert plain.flow is None
    # Clients pinned to 2023-08-16 get that version's flow (no customer_update / subscription_pause).
    old = requests.post(f"{emulator.url}/v1/billing_portal/sessions", auth=(api_key, ""),
                        headers={"Stripe-Version": "2023-08-16"},
                        data={"customer": customer.id, "configuration": configuration.id,
                              "flow_data[type]": "subscription_cancel",
                              "flow_data[subscription_cancel][subscription]": subscription.id}).json()
    assert "flow" in old, old
    assert_shape(old, version="2023-08-16")
    assert "customer_update" not in old["flow"] and old["flow"]["subscription_cancel"]["retention"] is None


def test_update_confirm_promotion_code_must_be_redeemable_by_the_customer(client: stripe.StripeClient,
                                                                         emulator: LiveEmulator,
                                                                         api_key: str) -> None:
    """A `subscription_update_confirm` deep link's promotion code is checked with the API's redemption rules
    when the session is created (a code for another customer, for first-time customers, or inactive)."""
    product, monthly, yearly = catalog(client)
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                             "products": [{"product": product, "prices": [monthly, yearly]}]}}})
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa",
                                                  "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    stranger = client.v1.customers.create(params={"email": "someone@example.com"})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": monthly}]})
    item = subscription["items"].data[0].id
    coupon = client.v1.coupons.create(params={"percent_off": 20, "duration": "forever"})

    def code(**params: object) -> str:
        return client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                        **params}).id

    def flow(promotion_code: str) -> dict:
        return {"customer": customer.id, "configuration": configuration.id, "flow_data": {
            "type": "subscription_update_confirm", "subscription_update_confirm": {
                "subscription": subscription.id, "items": [{"id": item, "price": yearly}],
                "discounts": [{"promotion_code": promotion_code}]}}}

    param = "flow_data[subscription_update_confirm][discounts][0][promotion_code]"
    theirs = code(customer=stranger.id)
    error = error_of(lambda: client.v1.billing_portal.sessions.create(params=flow(theirs)))
    assert (error.http_status, error.param, error.user_message) == (
        400, param, "This promotion code cannot be redeemed by this customer.")
    first_time = code(restrictions={"first_time_transaction": True})
    error = error_of(lambda: client.v1.billing_portal.sessions.create(params=flow(first_time)))
    assert (error.param, error.user_message) == (
        param, "This promotion code cannot be redeemed because the associated customer has prior transactions.")
    inactive = code(active=False)
    error = error_of(lambda: client.v1.billing_portal.sessions.create(params=flow(inactive)))
    assert (error.param, error.user_message) == (param, "This promotion code cannot be redeemed because it is "
                                                        "inactive.")
    # The same answer the API gives when the subscription itself is updated with that code.
    api_error = error_of(lambda: client.v1.subscriptions.update(subscription.id, params={
        "discounts": [{"promotion_code": theirs}]}))
    assert api_error.user_message == "This promotion code cannot be redeemed by this customer."
    assert client.v1.events.list(params={"type": "billing_portal.session.created"}).data == []
    # A code the customer can redeem (their own, or anyone's) passes, and nothing is redeemed yet.
    for accepted in (code(customer=customer.id), code()):
        session = client.v1.billing_portal.sessions.create(params=flow(accepted))
        assert_shape(session.to_dict())
        assert session.flow.subscription_update_confirm.discounts[0].to_dict() == {"coupon": None,
                                                                                  "promotion_code": accepted}
        assert client.v1.promotion_codes.retrieve(accepted).times_redeemed == 0


def test_retention_coupon_is_an_emulator_setting(client: stripe.StripeClient, emulator: LiveEmulator,
                                                 api_key: str) -> None:
    configuration = client.v1.billing_portal.configurations.create(params={"features": {
        "subscription_cancel": {"enabled": True}}})
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    url = f"{emulator.url}/_emulator/api/billing_portal/configurations/{configuration.id}/retention_coupon"
    assert requests.get(url, auth=(api_key, "")).json() == {"configuration": configuration.id,
                                                           "retention_coupon": None}
    assert requests.post(url, data={"coupon": coupon.id}, auth=(api_key, "")).json()["retention_coupon"] == coupon.id
    assert requests.get(url, auth=(api_key, "")).json()["retention_coupon"] == coupon.id
    missing = requests.post(url, data={"coupon": "nope"}, auth=(api_key, ""))
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "coupon"
    assert requests.post(url, data={}, auth=(api_key, "")).json()["error"]["param"] == "coupon"
    assert requests.post(url, data={"coupon": ""}, auth=(api_key, "")).json()["retention_coupon"] is None
    # Not part of Stripe's object: the configuration is unchanged.
    fetched = client.v1.billing_portal.configurations.retrieve(configuration.id)
    assert_shape(fetched.to_dict())
    assert fetched.to_dict() == configuration.to_dict()
    other = requests.get(f"{emulator.url}/_emulator/api/billing_portal/configurations/bpc_nope/retention_coupon",
                         auth=(api_key, ""))
    assert other.status_code == 404


def test_session_after_expiration(client: stripe.StripeClient, emulator: LiveEmulator, api_key: str) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    create = client.v1.billing_portal.sessions.create
    base = {"customer": customer.id, "return_url": "https://a.test"}
    plain = create(params=base)
    assert_shape(plain.to_dict())
    assert plain.after_expiration is None
    now = requests.get(f"{emulator.url}/_emulator/api/clock", auth=(api_key, "")).json()["now"]
    limited = create(params={**base, "after_expiration": {"type": "customer_login",
                                                          "customer_login": {"expires_at": now + 3600}}})
    assert_shape(limited.to_dict())
    assert limited.after_expiration.to_dict() == {"customer_login": {"expires_at": now + 3600},
                                                  "type": "customer_login"}
    open_ended = create(params={**base, "after_expiration": {"type": "customer_login"}})
    assert open_ended.after_expiration.customer_login.expires_at is None
    error = error_of(lambda: create(params={**base, "after_expiration": {"type": "magic_link"}}))
    assert error.param == "after_expiration[type]"
    error = error_of(lambda: create(params={**base, "after_expiration": {
        "type": "customer_login", "customer_login": {"expires_at": now - 1}}}))
    assert error.param == "after_expiration[customer_login][expires_at]"
    error = error_of(lambda: create(params={**base, "after_expiration": {"customer_login": {"expires_at": now + 60}}}))
    assert error.param == "after_expiration[type]"

    requests.post(f"{emulator.url}/_emulator/api/clock/advance", data={"by": "2h"}, auth=(api_key, ""))
    # Past `expires_at` the expired page offers no recovery; without it, recovery stays open.
    assert 'data-testid="recover-form"' not in requests.get(limited.url).text
    expired = requests.get(open_ended.url)
    assert expired.status_code == 410 and 'data-testid="recover-form"' in expired.text
    assert 'data-testid="recover-form"' not in requests.get(plain.url).text
    refused = requests.post(f"{limited.url}/recover", data={"email": "ada@example.com"})
    assert refused.status_code == 410 and 'data-testid="recover-form"' not in refused.text
    no_csrf = requests.post(f"{open_ended.url}/recover", data={"email": "ada@example.com"})
    assert no_csrf.status_code == 403
    codes = requests.get(f"{emulator.url}/_emulator/api/billing_portal/login_codes", auth=(api_key, ""))
    assert codes.json() == {"object": "list", "data": [], "url": "/_emulator/api/billing_portal/login_codes"}


def test_login_codes_control_api_needs_the_secret_key(emulator: LiveEmulator, api_key: str) -> None:
    url = f"{emulator.url}/_emulator/api/billing_portal/login_codes"
    assert requests.get(url).status_code == 401
    bad = requests.get(url, params={"limit": "x"}, auth=(api_key, ""))
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


def test_payment_method_update_flow_session(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://a.test", "features": {"payment_method_update": {"enabled": True}}})
    session = client.v1.billing_portal.sessions.create(params={
        "customer": customer.id, "configuration": configuration.id, "flow_data": {"type": "payment_method_update"}})
    assert_shape(session.to_dict())
    assert session.flow.to_dict() == {
        "after_completion": {"hosted_confirmation": {"custom_message": None}, "redirect": None,
                             "type": "hosted_confirmation"},
        "customer_update": None, "subscription_cancel": None, "subscription_pause": None,
        "subscription_update": None, "subscription_update_confirm": None, "type": "payment_method_update"}
    opened = requests.get(session.url, allow_redirects=False)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/payment-methods/new")
    error = error_of(lambda: client.v1.billing_portal.sessions.create(params={
        "customer": customer.id, "configuration": configuration.id,
        "flow_data": {"type": "payment_method_update", "subscription_cancel": {"subscription": "sub_x"}}}))
    assert error.param == "flow_data[subscription_cancel]"


def test_session_locale(client: stripe.StripeClient) -> None:
    full_configuration(client)
    customer = client.v1.customers.create(params={"preferred_locales": ["de"]})
    for locale in ("auto", "ja", "en-GB", "es-419", "zh-TW"):
        session = client.v1.billing_portal.sessions.create(params={"customer": customer.id, "locale": locale})
        assert_shape(session.to_dict())
        assert session.locale == locale
    assert client.v1.billing_portal.sessions.create(params={"customer": customer.id}).locale is None
    for locale in ("klingon", "de-DE", "EN"):
        error = error_of(lambda: client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "locale": locale}))
        assert error.http_status == 400 and error.param == "locale"
