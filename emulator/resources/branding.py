"""The account's branding, which Stripe keeps in the Dashboard (Settings → Branding) and not in any API
object of a standard account: the icon and logo (PNG or JPEG under 512 KB), the brand colour and accent
colour, and the customer portal's newer "look and feel" settings (background colour, button colour, font,
shapes), which mirror Checkout's `branding_settings` (`background_color`, `button_color`, `font_family`,
`border_style`). The emulator stores them as internal marks of the account; the control API and the
dashboard set them, the portal and the hosted invoice page apply them (`theme`, `invoice_theme`)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import orjson

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

COLOR_FIELDS = ("primary_color", "secondary_color", "background_color", "button_color")
IMAGE_FIELDS = ("icon", "logo")
MAX_IMAGE_BYTES = 512 * 1024
BORDER_STYLES = ("rounded", "rectangular", "pill")
# Checkout's `font_family` values. Nothing is downloaded (no web fonts): each name is asked for by family
# and falls back to a close system stack when the machine does not have it.
_SANS = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
_SERIF = 'Georgia, "Times New Roman", serif'
_MONO = 'ui-monospace, SFMono-Regular, Menlo, monospace'
FONTS = {
    "default": _SANS, "be_vietnam_pro": f'"Be Vietnam Pro", {_SANS}', "bitter": f"Bitter, {_SERIF}",
    "chakra_petch": f'"Chakra Petch", {_SANS}', "hahmlet": f"Hahmlet, {_SERIF}",
    "inconsolata": f"Inconsolata, {_MONO}", "inter": f"Inter, {_SANS}", "lato": f"Lato, {_SANS}",
    "lora": f"Lora, {_SERIF}", "m_plus_1_code": f'"M PLUS 1 Code", {_MONO}',
    "montserrat": f"Montserrat, {_SANS}", "noto_sans": f'"Noto Sans", {_SANS}',
    "noto_sans_jp": f'"Noto Sans JP", {_SANS}', "noto_serif": f'"Noto Serif", {_SERIF}',
    "nunito": f"Nunito, {_SANS}", "open_sans": f'"Open Sans", {_SANS}', "pridi": f"Pridi, {_SERIF}",
    "pt_sans": f'"PT Sans", {_SANS}', "pt_serif": f'"PT Serif", {_SERIF}', "raleway": f"Raleway, {_SANS}",
    "roboto": f"Roboto, {_SANS}", "roboto_slab": f'"Roboto Slab", {_SERIF}',
    "source_sans_pro": f'"Source Sans Pro", {_SANS}', "titillium_web": f'"Titillium Web", {_SANS}',
    "ubuntu_mono": f'"Ubuntu Mono", {_MONO}', "zen_maru_gothic": f'"Zen Maru Gothic", {_SANS}',
}
# Corner radius of buttons and inputs, and of cards (a pill-shaped card would be a stadium).
RADII = {"rounded": ("6px", "8px"), "rectangular": ("0px", "0px"), "pill": ("999px", "16px")}
DEFAULT_BUTTON = "#635bff"
DEFAULT_PANE = "#f6f9fc"
DARK_TEXT, LIGHT_TEXT = "#1a1f36", "#ffffff"
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_MARK = "branding"


def _image_mark(kind: str) -> str:
    return f"branding_{kind}"


def settings(ctx: Ctx) -> dict[str, Any]:
    """The account's branding settings, every field present (None when unset); images as metadata."""
    stored = orjson.loads(common.mark_of(ctx, ctx.account_id, _MARK) or "{}")
    result: dict[str, Any] = {key: stored.get(key) for key in (*COLOR_FIELDS, "font_family", "border_style")}
    for kind in IMAGE_FIELDS:
        raw = common.mark_of(ctx, ctx.account_id, _image_mark(kind))
        result[kind] = None if raw is None else {
            key: value for key, value in orjson.loads(raw).items() if key != "data"}
    return result


def image(ctx: Ctx, kind: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of the stored icon or logo, or None."""
    raw = common.mark_of(ctx, ctx.account_id, _image_mark(kind)) if kind in IMAGE_FIELDS else None
    if raw is None:
        return None
    stored = orjson.loads(raw)
    return stored["content_type"], base64.b64decode(stored["data"])


def _color(value: str, param: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not _HEX.match(value):
        raise InvalidRequestError(f"Invalid hex color for {param}: {value!r}. Use #RRGGBB (or #RGB).", param=param)
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value.lower()


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def update(ctx: Ctx, params: dict[str, str], images: dict[str, bytes | None]) -> dict[str, Any]:
    """Change the Dashboard's branding settings. Only the given fields change; an empty value clears one.
    Colours are hex (`#RRGGBB` or `#RGB`), `font_family` one of Checkout's fonts, `border_style` one of
    rounded / rectangular / pill; `images` maps icon/logo to a PNG or JPEG under 512 KB (None clears it).
    Everything is validated before anything is stored."""
    unknown = sorted(set(params) - {*COLOR_FIELDS, "font_family", "border_style"})
    if unknown:
        raise InvalidRequestError(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    stored = orjson.loads(common.mark_of(ctx, ctx.account_id, _MARK) or "{}")
    for key in COLOR_FIELDS:
        if key in params:
            stored[key] = _color(params[key], key)
    for key, allowed in (("font_family", FONTS), ("border_style", BORDER_STYLES)):
        if key in params:
            choice = params[key].strip() or None
            if choice is not None and choice not in allowed:
                raise InvalidRequestError(f"Invalid {key}: must be one of {', '.join(allowed)}.", param=key)
            stored[key] = choice
    checked: dict[str, dict[str, Any] | None] = {}
    for kind, data in images.items():
        if kind not in IMAGE_FIELDS:
            raise InvalidRequestError(f"Received unknown parameter: {kind}", param=kind)
        if not data:
            checked[kind] = None
            continue
        content_type = _sniff(data)
        if content_type is None:
            raise InvalidRequestError(f"The {kind} must be a PNG or JPEG image.", param=kind)
        if len(data) >= MAX_IMAGE_BYTES:
            raise InvalidRequestError(f"The {kind} must be smaller than 512 KB.", param=kind)
        checked[kind] = {"content_type": content_type, "size": len(data),
                         "version": hashlib.sha256(data).hexdigest()[:12],
                         "data": base64.b64encode(data).decode()}
    common.set_mark(ctx, ctx.account_id, _MARK, orjson.dumps(stored).decode())
    for kind, value in checked.items():
        if value is None:
            common.clear_mark(ctx, ctx.account_id, _image_mark(kind))
        else:
            common.set_mark(ctx, ctx.account_id, _image_mark(kind), orjson.dumps(value).decode())
    return settings(ctx)


def _luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_text(background: str) -> str:
    """Dark or white text, whichever contrasts more with `background` (WCAG contrast ratio)."""
    lum = _luminance(background)
    dark = (lum + 0.05) / (_luminance(DARK_TEXT) + 0.05)
    light = 1.05 / (lum + 0.05)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def readable_on_white(color: str, minimum: float = 4.5) -> str:
    """`color` darkened just enough for text on a white page to reach WCAG's 4.5:1 (links and focus rings in a
    light brand colour stay readable; dark colours are kept as they are)."""
    channels = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    candidate = color
    while 1.05 / (_luminance(candidate) + 0.05) < minimum and any(channels):
        channels = [int(channel * 0.9) for channel in channels]
        candidate = "#" + "".join(f"{channel:02x}" for channel in channels)
    return candidate


def initials(name: str) -> str:
    """Up to two initials of the business name (the portal's avatar when there is no logo or icon)."""
    words = [word for word in re.split(r"\s+", name.strip()) if word]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def theme(ctx: Ctx, business_name: str) -> dict[str, Any]:
    """How the portal applies the branding: the background (else accent) colour fills the merchant pane with
    readable text on it; the button (else brand) colour paints primary buttons, links and focus rings; the
    font everywhere; the shape as corner radius; the logo if set, else the icon, else the initials."""
    current = settings(ctx)
    button = current["button_color"] or current["primary_color"] or DEFAULT_BUTTON
    pane = current["background_color"] or current["secondary_color"] or DEFAULT_PANE
    style = current["border_style"] or "rounded"
    picture = "logo" if current["logo"] else "icon" if current["icon"] else None
    return {"button": button, "button_text": readable_text(button), "link": readable_on_white(button),
            "pane": pane, "pane_text": readable_text(pane),
            "font": FONTS[current["font_family"] or "default"], "font_family": current["font_family"] or "default",
            "radius": RADII[style][0], "card_radius": RADII[style][1], "border_style": style,
            "image": picture, "image_version": current[picture]["version"] if picture else None,
            "initials": initials(business_name)}


def invoice_theme(ctx: Ctx) -> dict[str, Any]:
    """What the hosted invoice page uses (Stripe's table: icon, brand colour, accent colour; no logo)."""
    current = settings(ctx)
    brand = current["primary_color"] or current["button_color"] or DEFAULT_BUTTON
    accent = current["secondary_color"] or current["background_color"]
    return {"brand": brand, "brand_text": readable_text(brand), "link": readable_on_white(brand), "accent": accent,
            "accent_text": readable_text(accent) if accent else None,
            "icon_version": current["icon"]["version"] if current["icon"] else None}
