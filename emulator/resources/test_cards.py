"""Stripe's test cards: the PaymentMethod tokens (`pm_card_visa`...), legacy tokens (`tok_visa`...) and card
numbers Stripe documents for test mode, with what each one does when attached, set up or charged.

A card is identified by its number; PaymentMethods keep the number's last4 and fingerprint, and
`behaviour_of(pm)` finds the test card again from the fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import DOC_URL


@dataclass(frozen=True)
class Decline:
    """A card error as Stripe reports it (HTTP 402, type card_error)."""

    code: str
    message: str
    decline_code: str | None = None
    network_status: str = "declined_by_network"
    outcome_type: str = "issuer_declined"
    reason: str | None = None
    seller_message: str = "The bank did not return any further details with this decline."
    advice_code: str | None = None

    def error_body(self, *, charge_id: str | None, payment_method: dict[str, Any]) -> dict[str, Any]:
        """The `last_payment_error` / `last_setup_error` object (and the 402 error body's fields)."""
        body: dict[str, Any] = {"type": "card_error", "code": self.code,
                                "doc_url": DOC_URL.format(self.code.replace("_", "-")), "message": self.message,
                                "payment_method": payment_method}
        if charge_id:
            body["charge"] = charge_id
        if self.decline_code:
            body["decline_code"] = self.decline_code
        if self.advice_code:
            body["advice_code"] = self.advice_code
        return body

    def outcome(self) -> dict[str, Any]:
        """The failed charge's `outcome`."""
        return {"advice_code": self.advice_code, "network_advice_code": None, "network_decline_code": None,
                "network_status": self.network_status, "reason": self.reason or self.decline_code,
                "risk_level": "normal", "risk_score": 20, "seller_message": self.seller_message,
                "type": self.outcome_type}


GENERIC = Decline("card_declined", "Your card was declined.", "generic_decline", reason="generic_decline",
                  advice_code="try_again_later")
INSUFFICIENT_FUNDS = Decline("card_declined", "Your card has insufficient funds.", "insufficient_funds",
                             advice_code="try_again_later")
LOST_CARD = Decline("card_declined", "Your card was declined.", "lost_card", advice_code="do_not_try_again")
STOLEN_CARD = Decline("card_declined", "Your card was declined.", "stolen_card", advice_code="do_not_try_again")
EXPIRED_CARD = Decline("expired_card", "Your card has expired.", "expired_card")
INCORRECT_CVC = Decline("incorrect_cvc", "Your card's security code is incorrect.", "incorrect_cvc")
PROCESSING_ERROR = Decline("processing_error", "An error occurred while processing your card. Try again in a "
                           "little bit.", "processing_error", network_status="not_sent_to_network",
                           outcome_type="blocked")
VELOCITY = Decline("card_declined", "Your card was declined for making repeated attempts too frequently or "
                   "exceeding its amount limit.", "card_velocity_exceeded")
AUTHENTICATION_REQUIRED = Decline("authentication_required", "Your card was declined. This transaction requires "
                                  "authentication.", "authentication_required")
AUTHENTICATION_FAILED = Decline(
    "payment_intent_authentication_failure", "We are unable to authenticate your payment method. Please choose a "
    "different payment method and try again.", None, network_status="not_sent_to_network",
    outcome_type="blocked")
SETUP_AUTHENTICATION_FAILED = Decline(
    "setup_intent_authentication_failure", "We are unable to authenticate your payment method. Please choose a "
    "different payment method and try again.", None, network_status="not_sent_to_network",
    outcome_type="blocked")


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    tokens: tuple[str, ...] = ()
    funding: str = "credit"
    country: str = "US"
    attach_decline: Decline | None = None   # refused when attached / set up (the decline families)
    charge_decline: Decline | None = None   # every charge fails (pm_card_chargeCustomerFail)
    # never | always | on_setup (authenticate once when set up, then off-session charges work)
    # | off_session_fails (authenticate on every on-session charge; off-session charges decline)
    authentication: str = "never"
    cvc_check: str = "pass"

    @property
    def last4(self) -> str:
        return self.number[-4:]


CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "visa", ("pm_card_visa", "tok_visa")),
    TestCard("4000056655665556", "visa", ("pm_card_visa_debit", "tok_visa_debit"), funding="debit"),
    TestCard("5555555555554444", "mastercard", ("pm_card_mastercard", "tok_mastercard")),
    TestCard("5200828282828210", "mastercard", ("pm_card_mastercard_debit", "tok_mastercard_debit"), funding="debit"),
    TestCard("5105105105105100", "mastercard", ("pm_card_mastercard_prepaid", "tok_mastercard_prepaid"),
             funding="prepaid"),
    TestCard("378282246310005", "amex", ("pm_card_amex", "tok_amex")),
    TestCard("6011111111111117", "discover", ("pm_card_discover", "tok_discover")),
    TestCard("3056930009020004", "diners", ("pm_card_diners", "tok_diners")),
    TestCard("3566002020360505", "jcb", ("pm_card_jcb", "tok_jcb"), country="JP"),
    TestCard("6200000000000005", "unionpay", ("pm_card_unionpay", "tok_unionpay"), country="CN"),
    TestCard("4000000000000077", "visa", ("pm_card_bypassPending", "tok_bypassPending")),
    TestCard("4000000000000341", "visa", ("pm_card_chargeCustomerFail", "tok_chargeCustomerFail"),
             charge_decline=GENERIC),
    TestCard("4000000000000002", "visa", ("pm_card_visa_chargeDeclined", "pm_card_chargeDeclined",
                                          "tok_chargeDeclined", "tok_visa_chargeDeclined"), attach_decline=GENERIC),
    TestCard("4000000000009995", "visa", ("pm_card_visa_chargeDeclinedInsufficientFunds",
                                          "pm_card_chargeDeclinedInsufficientFunds",
                                          "tok_chargeDeclinedInsufficientFunds",
                                          "tok_visa_chargeDeclinedInsufficientFunds"),
             attach_decline=INSUFFICIENT_FUNDS),
    TestCard("4000000000009987", "visa", ("pm_card_visa_chargeDeclinedLostCard", "pm_card_chargeDeclinedLostCard",
                                          "tok_chargeDeclinedLostCard", "tok_visa_chargeDeclinedLostCard"),
             attach_decline=LOST_CARD),
    TestCard("4000000000009979", "visa", ("pm_card_visa_chargeDeclinedStolenCard",
                                          "pm_card_chargeDeclinedStolenCard", "tok_chargeDeclinedStolenCard",
                                          "tok_visa_chargeDeclinedStolenCard"), attach_decline=STOLEN_CARD),
    TestCard("4000000000000069", "visa", ("pm_card_chargeDeclinedExpiredCard", "tok_chargeDeclinedExpiredCard"),
             attach_decline=EXPIRED_CARD),
    TestCard("4000000000000127", "visa", ("pm_card_chargeDeclinedIncorrectCvc", "tok_chargeDeclinedIncorrectCvc"),
             attach_decline=INCORRECT_CVC, cvc_check="fail"),
    TestCard("4000000000000119", "visa", ("pm_card_chargeDeclinedProcessingError",
                                          "tok_chargeDeclinedProcessingError"), attach_decline=PROCESSING_ERROR),
    TestCard("4000000000006975", "visa", ("pm_card_chargeDeclinedVelocityLimitExceeded",
                                          "tok_chargeDeclinedVelocityLimitExceeded"), attach_decline=VELOCITY),
    TestCard("4000002500003155", "visa", ("pm_card_authenticationRequiredOnSetup",
                                          "tok_authenticationRequiredOnSetup"), authentication="on_setup"),
    TestCard("4000002760003184", "visa", ("pm_card_authenticationRequired", "tok_authenticationRequired"),
             authentication="off_session_fails"),
    TestCard("4000000000003063", "visa", ("pm_card_threeDSecure2Required", "tok_threeDSecure2Required"),
             authentication="always"),
    TestCard("4000000000003220", "visa", ("pm_card_threeDSecureRequired", "tok_threeDSecureRequired"),
             authentication="always"),
)
BY_TOKEN: dict[str, TestCard] = {token: card for card in CARDS for token in card.tokens}
BY_NUMBER: dict[str, TestCard] = {card.number: card for card in CARDS}


def fingerprint(number: str) -> str:
    """Stable per card number, like Stripe's (16 characters)."""
    return hashlib.sha256(f"emulator-card:{number}".encode()).hexdigest()[:16]


BY_FINGERPRINT: dict[str, TestCard] = {fingerprint(card.number): card for card in CARDS}


def card_for_number(number: str) -> TestCard:
    """A documented test card, or a plain successful card of the brand its prefix implies (any number that
    passes the Luhn check works in Stripe's test mode)."""
    known = BY_NUMBER.get(number)
    if known is not None:
        return known
    return TestCard(number, brand_of(number))


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith(("6011", "65")) or "644" <= number[:3] <= "649":
        return "discover"
    if number.startswith(("36", "30", "38")):
        return "diners"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class CardBehaviour:
    """What happens when a PaymentMethod is attached, set up or charged."""

    card: TestCard
    extra: dict[str, Any] = field(default_factory=dict)

    def attach_decline(self) -> Decline | None:
        return self.card.attach_decline

    def charge_decline(self) -> Decline | None:
        return self.card.attach_decline or self.card.charge_decline

    def needs_authentication(self, *, off_session: bool, setup: bool, already_authenticated: bool) -> bool:
        """Whether this attempt must go through 3-D Secure first."""
        if already_authenticated:
            return False
        mode = self.card.authentication
        if mode == "always":
            return True
        if mode == "on_setup":
            return setup or not off_session
        if mode == "off_session_fails":
            return not setup
        return False


def behaviour_of(pm: dict[str, Any]) -> CardBehaviour:
    """The test card behind a card PaymentMethod (unknown fingerprints behave like a successful card)."""
    card = pm.get("card") or {}
    known = BY_FINGERPRINT.get(card.get("fingerprint") or "")
    return CardBehaviour(known or TestCard("0" * 12 + (card.get("last4") or "0000"), card.get("brand") or "visa"))
