"""The portal's branding (the Dashboard's settings, set through the control API and the emulator's
dashboard) and its localization, in real Chromium: colours, font and shapes read back as computed styles,
the logo / icon / initials precedence, the hosted invoice page's colours, German and Japanese sessions, and
how `locale=auto` is resolved."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
import requests
import stripe

from tests.api.test_hosted_invoice import open_invoice
from tests.conftest import LiveEmulator, RawHttp
from tests.portal.test_plan_changes import portal_catalog, subscribe, text
from tests.shape_oracle import assert_shape

pytestmark = pytest.mark.browser


def png(rgb: tuple[int, int, int] = (200, 30, 30), size: int = 4) -> bytes:
    """A tiny valid PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def style(page: Any, testid: str, prop: str) -> str:
    return page.get_by_test_id(testid).first.evaluate(f"e => getComputedStyle(e).{prop}")


def set_branding(http: RawHttp, files: dict[str, bytes] | None = None, **fields: str) -> dict[str, Any]:
    response = http.post("/_emulator/api/branding", data=fields,
                         files={kind: (f"{kind}.png", data, "image/png") for kind, data in (files or {}).items()}
                         or None)
    assert response.status_code == 200, response.text
    return response.json()


def portal(client: stripe.StripeClient, page: Any, **params: Any) -> Any:
    prices, configuration = portal_catalog(client)
    _, customer, _ = subscribe(client, prices["Basic"])
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                               **params})
    assert_shape(session.to_dict())
    page.goto(session.url)
    assert page.get_by_test_id("portal-home").is_visible()
    return session


def test_branding_settings_are_validated(http: RawHttp) -> None:
    assert http.get("/_emulator/api/branding").json()["primary_color"] is None
    for fields, param in (({"primary_color": "red"}, "primary_color"), ({"button_color": "#12345"}, "button_color"),
                          ({"font_family": "comic_sans"}, "font_family"), ({"border_style": "oval"}, "border_style"),
                          ({"colour": "#fff"}, "colour")):
        response = http.post("/_emulator/api/branding", data=fields)
        assert response.status_code == 400 and response.json()["error"]["param"] == param, response.text
    for data in (b"GIF89a not accepted", b"\x89PNG\r\n\x1a\n" + b"\x00" * (512 * 1024)):
        response = http.post("/_emulator/api/branding", files={"icon": ("icon.png", data, "image/png")})
        assert response.status_code == 400 and response.json()["error"]["param"] == "icon"
    saved = set_branding(http, {"icon": png()}, primary_color="#ABC", font_family="lora", border_style="pill")
    assert saved["primary_color"] == "#aabbcc" and saved["font_family"] == "lora"
    assert saved["icon"]["content_type"] == "image/png" and saved["logo"] is None
    cleared = set_branding(http, primary_color="", icon="")
    assert cleared["primary_color"] is None and cleared["icon"] is None and cleared["border_style"] == "pill"


def test_colours_font_and_shapes_apply_to_the_portal(client: stripe.StripeClient, http: RawHttp, page: Any) -> None:
    portal(client, page)
    assert style(page, "portal-merchant", "backgroundColor") == "rgb(246, 249, 252)"  # defaults
    assert style(page, "update-plan", "borderRadius") == "6px"
    set_branding(http, background_color="#0a2540", button_color="#ff5733", font_family="roboto_slab",
                 border_style="pill")
    page.reload()
    assert style(page, "portal-merchant", "backgroundColor") == "rgb(10, 37, 64)"
    assert style(page, "portal-merchant", "color") == "rgb(255, 255, 255)"  # readable on a dark pane
    assert style(page, "portal-headline", "color") == "rgb(255, 255, 255)"
    assert style(page, "update-plan", "backgroundColor") == "rgb(255, 87, 51)"
    assert style(page, "update-plan", "borderRadius") == "999px"
    assert style(page, "subscription-card", "borderRadius") == "16px"
    # Links and the focus ring take the button colour darkened to a readable 4.5:1 on white (#ff5733 is 3.1:1).
    assert style(page, "invoice-history-link", "color") == "rgb(206, 70, 40)"
    assert style(page, "subscription-plan", "fontFamily").startswith('"Roboto Slab"')
    page.get_by_test_id("update-plan").focus()
    assert style(page, "update-plan", "outlineColor") == "rgb(206, 70, 40)"  # focus ring
    set_branding(http, background_color="", button_color="", secondary_color="#ffe8a3", primary_color="#1f7a3a",
                 border_style="rectangular")
    page.reload()
    assert style(page, "portal-merchant", "backgroundColor") == "rgb(255, 232, 163)"  # the accent colour
    assert style(page, "portal-merchant", "color") == "rgb(26, 31, 54)"  # dark text on a light pane
    assert style(page, "update-plan", "backgroundColor") == "rgb(31, 122, 58)"  # the brand colour
    assert style(page, "update-plan", "borderRadius") == "0px"


def test_logo_then_icon_then_initials(client: stripe.StripeClient, http: RawHttp, emulator: LiveEmulator,
                                      page: Any) -> None:
    portal(client, page)
    assert text(page, "portal-initials") == "SP"  # Stripe Portal Emulator
    icon, logo = png((10, 200, 10)), png((10, 10, 200), size=6)
    set_branding(http, {"icon": icon})
    page.reload()
    assert page.get_by_test_id("portal-initials").count() == 0
    source = page.get_by_test_id("portal-icon").get_attribute("src")
    served = requests.get(emulator.url + source)
    assert served.headers["Content-Type"] == "image/png" and served.content == icon
    assert page.get_by_test_id("portal-icon").evaluate("e => e.complete && e.naturalWidth") == 4
    set_branding(http, {"logo": logo})
    page.reload()
    assert page.get_by_test_id("portal-icon").count() == 0
    assert page.get_by_test_id("portal-logo").evaluate("e => e.complete && e.naturalWidth") == 6
    set_branding(http, logo="")
    page.reload()
    assert page.get_by_test_id("portal-icon").is_visible()


def test_hosted_invoice_page_uses_icon_brand_and_accent(client: stripe.StripeClient, http: RawHttp,
                                                        emulator: LiveEmulator, page: Any) -> None:
    set_branding(http, {"icon": png(), "logo": png(size=6)}, primary_color="#1f7a3a", secondary_color="#0a2540")
    invoice = open_invoice(client)
    assert_shape(invoice.to_dict())
    page.goto(invoice.hosted_invoice_url)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(10, 37, 64)"
    assert style(page, "invoice-brand", "color") == "rgb(255, 255, 255)"
    assert style(page, "invoice-pay", "backgroundColor") == "rgb(31, 122, 58)"
    assert page.get_by_test_id("invoice-icon").evaluate("e => e.complete && e.naturalWidth") == 4  # icon, not logo


def test_dashboard_branding_form(client: stripe.StripeClient, http: RawHttp, emulator: LiveEmulator,
                                 page: Any) -> None:
    account = client.v1.accounts.retrieve_current().id
    page.goto(f"{emulator.url}/_emulator/accounts/{account}")
    page.get_by_test_id("branding-primary-color").fill("not-a-colour")
    page.get_by_test_id("branding-save").click()
    assert "primary_color" in text(page, "dashboard-message")
    page.get_by_test_id("branding-primary-color").fill("#ff5733")
    page.get_by_test_id("branding-font-family").select_option("inter")
    page.get_by_test_id("branding-border-style").select_option("rectangular")
    page.get_by_test_id("branding-icon").set_input_files({"name": "icon.png", "mimeType": "image/png",
                                                         "buffer": png()})
    page.get_by_test_id("branding-save").click()
    assert text(page, "dashboard-message") == "Branding saved."
    assert page.get_by_test_id("branding-icon-preview").evaluate("e => e.complete && e.naturalWidth") == 4
    saved = http.get("/_emulator/api/branding").json()
    assert (saved["primary_color"], saved["font_family"], saved["border_style"]) == ("#ff5733", "inter",
                                                                                     "rectangular")
    page.get_by_test_id("branding-clear-icon").check()
    page.get_by_test_id("branding-save").click()
    assert page.get_by_test_id("branding-icon-preview").count() == 0
    assert http.get("/_emulator/api/branding").json()["icon"] is None


# -- locales ---------------------------------------------------------------------------------------------
def local_catalog(client: stripe.StripeClient, currency: str, amount: int) -> tuple[str, str, str]:
    """A monthly and a quarterly price in `currency` and a configuration offering both."""
    product = client.v1.products.create(params={"name": "Pro"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": currency, "unit_amount": amount,
                                              "recurring": {"interval": "month"}}).id
    team = client.v1.products.create(params={"name": "Team"})
    quarterly = client.v1.prices.create(params={"product": team.id, "currency": currency,
                                                "unit_amount": amount * 3,
                                                "recurring": {"interval": "month", "interval_count": 3}}).id
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account",
        "features": {"invoice_history": {"enabled": True},
                     "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                     "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                             "products": [{"product": product.id, "prices": [monthly]},
                                                          {"product": team.id, "prices": [quarterly]}]}}})
    assert_shape(configuration.to_dict())
    return monthly, quarterly, configuration.id


def localized_portal(client: stripe.StripeClient, page: Any, currency: str, amount: int, **params: Any) -> str:
    monthly, quarterly, configuration = local_catalog(client, currency, amount)
    _, customer, _ = subscribe(client, monthly)  # April 1st 2026: renews May 1st
    session = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": configuration,
                                                               **params})
    assert_shape(session.to_dict())
    page.goto(session.url)
    return quarterly


def test_a_german_session(client: stripe.StripeClient, page: Any) -> None:
    quarterly = localized_portal(client, page, "eur", 1000, locale="de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert text(page, "subscription-price") == "10,00\xa0€"  # CLDR puts a no-break space before the sign
    assert "pro Monat" in text(page, "subscription-card")
    assert text(page, "subscription-status") == "Verlängert sich am 1. Mai 2026"
    assert text(page, "subscription-renewal") == "1. Mai 2026"
    assert text(page, "update-plan") == "Tarif ändern" and text(page, "cancel-plan") == "Tarif kündigen"
    assert text(page, "portal-test-mode") == "Testmodus"
    assert text(page, "invoice-history-status") == "Bezahlt"
    assert text(page, "invoice-history-link") == "10,00\xa0€"
    page.get_by_test_id("update-plan").click()
    toggles = page.get_by_test_id("plan-interval")
    assert [toggles.nth(i).inner_text() for i in range(toggles.count())] == ["Monatlich", "alle 3 Monate"]
    page.locator('[data-testid="plan-interval"][data-interval="3_month"]').click()
    option = page.locator(f'[data-testid="plan-option"][data-price="{quarterly}"]')
    assert "30,00\xa0€ alle 3 Monate" in option.inner_text()
    page.go_back()
    page.go_back()
    page.get_by_test_id("cancel-plan").click()
    assert text(page, "cancel-ends-at") == "1. Mai 2026"
    assert text(page, "cancel-summary").startswith("Ihr Tarif wird gekündigt")
    page.get_by_test_id("cancel-continue").click()
    page.get_by_test_id("cancel-confirm").click()
    assert text(page, "portal-message") == "Ihr Tarif Pro wird am 1. Mai 2026 gekündigt."
    assert text(page, "subscription-cancels-at") == "1. Mai 2026"


def test_a_japanese_session(client: stripe.StripeClient, page: Any) -> None:
    localized_portal(client, page, "jpy", 1000, locale="ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    # CLDR's Japanese yen sign is the full-width ￥ (U+FFE5); JPY is zero-decimal (1000 is ¥1,000).
    assert text(page, "subscription-price") == "￥1,000"
    assert text(page, "subscription-renewal") == "2026年5月1日"
    assert text(page, "subscription-status") == "2026年5月1日 に更新"
    assert "毎月" in text(page, "subscription-card")
    assert text(page, "update-plan") == "プランを変更"
    assert text(page, "portal-headline") == "Stripe Portal Emulator は Stripe と提携し、お支払いを簡単にしています。"


def test_auto_locale_uses_preferred_locales_then_the_browser(client: stripe.StripeClient, browser: Any) -> None:
    monthly, _, configuration = local_catalog(client, "eur", 1000)
    card = {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    customer = client.v1.customers.create(params={"preferred_locales": ["fr-FR", "de"], **card})
    bare = client.v1.customers.create(params=card)
    for customer_id in (customer.id, bare.id):
        client.v1.subscriptions.create(params={"customer": customer_id, "items": [{"price": monthly}]})

    def visit(customer_id: str, accept: str, **params: Any) -> Any:
        context = browser.new_context(locale=accept)
        tab = context.new_page()
        session = client.v1.billing_portal.sessions.create(params={"customer": customer_id,
                                                                   "configuration": configuration, **params})
        tab.goto(session.url)
        return context, tab

    for customer_id, accept, params, expected in (
            (customer.id, "de-DE", {"locale": "auto"}, "Changer de forfait"),  # preferred_locales[0] first
            (customer.id, "de-DE", {}, "Changer de forfait"),
            (customer.id, "ja-JP", {"locale": "es"}, "Cambiar de plan"),  # an explicit locale wins
            (bare.id, "de-DE", {"locale": "auto"}, "Tarif ändern"),  # then the browser's Accept-Language
            (bare.id, "is-IS", {}, "Update plan"),  # a language the portal does not offer: English
            (bare.id, "en-GB", {}, "Update plan")):
        context, tab = visit(customer_id, accept, **params)
        try:
            assert text(tab, "update-plan") == expected, (accept, params)
            if accept == "en-GB":
                assert "€10.00" in text(tab, "subscription-price") and tab.locator("html").get_attribute(
                    "lang") == "en-GB"
        finally:
            context.close()


def test_catalogue_languages_match_english() -> None:
    """Every translated text has an English key and the same placeholders (a typo would fall back or crash)."""
    import string

    from emulator.portal.messages import EN, MESSAGES

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for language, texts in MESSAGES.items():
        assert set(texts) <= set(EN), language
        assert [key for key, text in texts.items() if fields(text) != fields(EN[key])] == [], language
    for language in MESSAGES:
        if "-" not in language or language in ("pt-BR", "zh-TW"):  # regional catalogues only override
            assert set(MESSAGES[language]) == set(EN), language


# The locales Stripe's portal offers (billing_portal.sessions.create `locale`, stripe-python 16).
STRIPE_PORTAL_LOCALES = (
    "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN", "en-NZ", "en-SG", "es",
    "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb",
    "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW")


def test_every_stripe_portal_locale_has_texts_and_formats() -> None:
    """Each of Stripe's portal locales reads a catalogue of its own language and formats money and dates
    with its CLDR rules; a language Stripe does not offer falls back to English."""
    from emulator.portal.i18n import Translator, texts_for

    for tag in STRIPE_PORTAL_LOCALES:
        language = texts_for(tag)
        assert language is not None and language.split("-")[0] == tag.split("-")[0], tag
        translator = Translator(tag)
        assert translator.html_lang == tag and translator.money(1000, "eur") and translator.date(1_800_000_000)
    assert Translator("zh-HK").text("home.update_plan") == Translator("zh-TW").text("home.update_plan")
    assert Translator("zh-HK").text("home.update_plan") != Translator("zh").text("home.update_plan")
    assert Translator("pt-BR").language == "pt-BR" and Translator("pt-PT").language == "pt"
    assert Translator("is").language == "en" and Translator("is").html_lang == "en"


def test_coupon_terms_are_worded_in_the_page_language() -> None:
    """A coupon's terms (home page, plan confirmation, retention offer) follow the page's language, with CLDR's
    percent and money formats."""
    from emulator.portal.i18n import Translator
    from emulator.resources.portal_updates import CouponTerms

    quarter = CouponTerms(25.0, None, None, "repeating", 3)
    five_off = CouponTerms(None, 500, "eur", "once", None)
    assert Translator("en").coupon_terms(quarter) == "25% off for 3 months"
    assert Translator("en").coupon_terms(CouponTerms(12.5, None, None, "repeating", 1)) == "12.5% off for 1 month"
    assert Translator("en").coupon_terms(five_off) == "€5.00 off once"
    assert Translator("fr").coupon_terms(quarter) == "25\xa0% de réduction pendant 3 mois"
    assert Translator("de").coupon_terms(five_off) == "5,00\xa0€ Rabatt einmalig"
    assert Translator("ja").coupon_terms(CouponTerms(10.0, None, None, "forever", None)) == "10% オフ（無期限）"


def test_card_errors_are_worded_by_decline_code_then_error_code() -> None:
    """The portal words card errors itself (decline code first, then the error code, or the error's own
    catalogue key); any other refusal shows the API's message."""
    from emulator.errors import CardError, InvalidRequestError
    from emulator.portal.i18n import Translator

    german = Translator("de")
    assert german.refusal(CardError("Your card has insufficient funds.", code="card_declined",
                                    decline_code="insufficient_funds")) == "Ihre Karte ist nicht ausreichend gedeckt."
    assert german.refusal(CardError("Your card was declined.", code="card_declined",
                                    decline_code="lost_card")) == "Ihre Karte wurde abgelehnt."
    assert german.refusal(CardError("Your card has expired.", code="expired_card")) == "Ihre Karte ist abgelaufen."
    abandoned = CardError("The authentication of your card was not completed.",
                          code="setup_intent_authentication_failure")
    abandoned.message_key = "decline.authentication_incomplete"
    assert german.refusal(abandoned).startswith("Die Authentifizierung Ihrer Karte wurde nicht abgeschlossen.")
    assert Translator("en").refusal(CardError("x", code="setup_intent_authentication_failure")).startswith(
        "We are unable to authenticate your payment method.")
    assert german.refusal(CardError("Something new.", code="some_new_code")) == "Something new."
    assert german.refusal(InvalidRequestError("Choose a quantity between 1 and 5.")) == \
        "Choose a quantity between 1 and 5."


def test_portal_refusals_are_worded_in_the_page_language(client: stripe.StripeClient, page: Any) -> None:
    """The portal's own refusals (here the portal without plan changes) show on its error page in the session's
    language; the API's refusal of the same action as a deep link keeps the English message."""
    from emulator.portal.i18n import Translator
    from emulator.resources.portal_updates import PortalError

    monthly, _, _ = local_catalog(client, "eur", 1000)
    customer = client.v1.customers.create(params={
        "payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": monthly}]})
    configuration = client.v1.billing_portal.configurations.create(params={
        "default_return_url": "https://acme.test/account", "features": {"invoice_history": {"enabled": True}}})
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id, "locale": "fr",
                                                               "configuration": configuration.id})
    page.goto(f"{session.url.split('?')[0]}/subscriptions/{subscription.id}/update")
    french = Translator("fr").text("refusal.no_plan_changes")
    assert text(page, "portal-error-message") == french and french != "This portal does not offer plan changes."
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.sessions.create(params={
            "customer": customer.id, "configuration": configuration.id,
            "flow_data": {"type": "subscription_update", "subscription_update": {"subscription": subscription.id}}})
    assert "does not offer" in str(refused.value)
    quantity = PortalError("refusal.quantity_range", param="quantity", minimum=1, maximum=5)
    assert quantity.message == "Choose a quantity between 1 and 5."
    assert Translator("de").refusal(quantity) == Translator("de").text("refusal.quantity_range", minimum=1, maximum=5)
    assert "1" in Translator("ja").refusal(quantity) and "5" in Translator("ja").refusal(quantity)
