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
    assert style(page, "invoice-history-link", "color") == "rgb(255, 87, 51)"  # links
    assert style(page, "subscription-plan", "fontFamily").startswith('"Roboto Slab"')
    page.get_by_test_id("update-plan").focus()
    assert style(page, "update-plan", "outlineColor") == "rgb(255, 87, 51)"  # focus ring
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
