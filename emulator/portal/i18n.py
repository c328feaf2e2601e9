"""The portal's languages: which locale a request is shown in, its texts (`emulator/portal/messages.py`, the
one catalogue) and its money, dates and billing intervals (Babel, CLDR rules).

Stripe's order: the session's `locale`; blank or `auto` → the customer's `preferred_locales[0]`, then the
browser's language (Accept-Language), then English. Every locale Stripe's portal offers has texts (regional
variants read their language's catalogue); any other language is shown entirely in English, amounts and dates
included."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from markupsafe import Markup

from emulator.billing.money import format_amount
from emulator.errors import StripeError
from emulator.portal.messages import MESSAGES

# Locales whose texts are another catalogue's (regional English reads en-GB; Latin-American Spanish reads es;
# Hong Kong reads Traditional Chinese; browsers' `no` and `tl` are Bokmål and Filipino).
TEXT_ALIASES = {"en-AU": "en-GB", "en-IE": "en-GB", "en-IN": "en-GB", "en-NZ": "en-GB", "en-SG": "en-GB",
                "en-CA": "en", "en-US": "en", "es-419": "es", "fr-CA": "fr", "de-AT": "de", "de-CH": "de",
                "zh-HK": "zh-TW", "zh-MO": "zh-TW", "zh-Hant": "zh-TW", "zh-Hans": "zh", "no": "nb", "tl": "fil"}


# Card errors shown in the page's language: by decline code first (a card_declined error says why), then by
# error code.
CARD_ERROR_KEYS = {
    "insufficient_funds": "decline.insufficient_funds", "card_velocity_exceeded": "decline.card_velocity_exceeded",
    "card_declined": "decline.card_declined", "expired_card": "decline.expired_card",
    "incorrect_cvc": "decline.incorrect_cvc", "processing_error": "decline.processing_error",
    "authentication_required": "decline.authentication_required",
    "payment_intent_authentication_failure": "decline.authentication_failed",
    "setup_intent_authentication_failure": "decline.authentication_failed",
    "invalid_number": "decline.invalid_number", "incorrect_number": "decline.incorrect_number",
    "invalid_expiry_month": "decline.invalid_expiry_month", "invalid_expiry_year": "decline.invalid_expiry_year",
    "invalid_cvc": "decline.invalid_cvc",
}


def _card_error_key(decline_code: str | None, code: str | None) -> str | None:
    return CARD_ERROR_KEYS.get(decline_code or "") or CARD_ERROR_KEYS.get(code or "")


def texts_for(tag: str | None) -> str | None:
    """The catalogue language for an IETF tag (exact, alias, then its primary language), or None."""
    if not tag:
        return None
    tag = tag.replace("_", "-")
    for candidate in (tag, TEXT_ALIASES.get(tag), tag.split("-")[0].lower()):
        if candidate and candidate in MESSAGES:
            return candidate
    return None


def from_accept_language(accepted: list[tuple[str, float]]) -> str | None:
    """The first language (by the browser's preference) the portal has texts for, as a tag."""
    for tag, quality in sorted(accepted, key=lambda item: -item[1]):
        if quality > 0 and tag != "*" and texts_for(tag):
            return tag
    return None


class Translator:
    """Texts, money, dates and intervals in one locale (`t`/`text`, `money`, `date`, `interval`)."""

    def __init__(self, tag: str | None) -> None:
        language = texts_for(tag)
        self.language = language or "en"
        # Formats follow the requested tag when its texts exist (en-AU → en-GB texts, Australian formats).
        source = tag if language else "en-US"
        self.tag = (source or "en-US").replace("_", "-")
        self.babel = self.tag.replace("-", "_") if "-" in self.tag else {"en": "en_US"}.get(self.tag, self.tag)
        self.html_lang = self.tag if language else "en"

    def text(self, key: str, **values: Any) -> str:
        """A catalogue text with its `{placeholders}` filled in (plain text, for messages)."""
        template = MESSAGES[self.language].get(key) or MESSAGES["en"][key]
        return template.format(**values) if values else template

    def t(self, key: str, **values: Any) -> Markup:
        """The same for templates: the catalogue's text is trusted, values are escaped unless Markup."""
        template = Markup(MESSAGES[self.language].get(key) or MESSAGES["en"][key])
        return template.format(**values) if values else template

    def money(self, amount: int, currency: str) -> str:
        """`$10.00`, `10,00 €`, `￥1,000` (zero-decimal currencies are whole units)."""
        return format_amount(amount, currency, self.babel)

    def date(self, value: int | None) -> str:
        """The long date of a Unix time (UTC): `May 1, 2026`, `1. Mai 2026`, `2026年5月1日`."""
        if value is None:
            return ""
        return format_date(datetime.fromtimestamp(value, timezone.utc).date(), format="long", locale=self.babel)

    def refusal(self, error: StripeError) -> str:
        """What the portal shows for an error: its own refusals (errors carrying a catalogue key) and card
        errors in the page's language, anything else as the API words it."""
        key = error.message_key
        if key is None and error.error_type == "card_error":
            key = _card_error_key(error.extra.get("decline_code"), error.code)
        return self.text(key, **error.message_values) if key else error.message

    def payment_error(self, error: dict[str, Any] | None) -> str:
        """A PaymentIntent's `last_payment_error` as the portal words card errors (a declined card when the
        intent still awaits authentication)."""
        error = error or {}
        key = _card_error_key(error.get("decline_code"), error.get("code")) or "decline.card_declined"
        return self.text(key)

    def coupon_terms(self, terms: Any) -> str:
        """A coupon's terms (emulator.resources.portal_updates.CouponTerms): "25% off for 3 months",
        "25 % de réduction pendant 3 mois", "$5.00 off once"."""
        if terms.percent_off is not None:
            percent = format_percent(terms.percent_off / 100, locale=self.babel, decimal_quantization=False)
            off = self.text("coupon.percent_off", percent=percent)
        else:
            off = self.text("coupon.amount_off", amount=self.money(terms.amount_off, terms.currency))
        if terms.duration == "repeating":
            return self.text("coupon.months.one" if terms.months == 1 else "coupon.months.other", off=off,
                             months=terms.months)
        return self.text("coupon.once" if terms.duration == "once" else "coupon.forever", off=off)

    def tax_label(self, row: dict[str, Any]) -> str:
        """A tax row's name as invoices show it: "VAT (20%)", "MwSt. (19 %)"."""
        if row.get("percentage") is None:
            return row["display_name"]
        percent = format_percent(row["percentage"] / 100, locale=self.babel, decimal_quantization=False)
        return f"{row['display_name']} ({percent})"

    def interval(self, recurring: dict[str, Any]) -> str:
        """"per month", "every 3 months"."""
        count, interval = recurring["interval_count"], recurring["interval"]
        return self.text(f"interval.{interval}.one") if count == 1 else \
            self.text(f"interval.{interval}.other", count=count)


def hook(testid: str, value: Any, tag: str = "span") -> Markup:
    """A value wrapped in its `data-testid` element, to place inside a translated sentence."""
    return Markup('<{0} data-testid="{1}">{2}</{0}>').format(Markup(tag), testid, value)


def hook_link(url: str, label: Any) -> Markup:
    """A link to place inside a translated sentence ("you agree to the <a>terms of service</a>")."""
    return Markup('<a href="{0}">{1}</a>').format(url, label)
