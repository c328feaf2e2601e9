"""Stripe's test cards: the PaymentMethod tokens (`pm_card_visa`...), legacy tokens (`tok_visa`...) and card
numbers of Stripe's testing docs (docs.stripe.com/testing), with what each one does when attached, set up
or charged.

A card is identified by its number; PaymentMethods keep the number's last4 and fingerprint, and
`behaviour_of(pm)` finds the test card again from the fingerprint. Any other number that passes the Luhn
check is a successful card of the brand its prefix implies, as in Stripe's test mode.

Flags per card:
- `attach_decline`: the decline families (4000000000000002, ...9995, ...9987, ...9979, ...0069, ...0127,
  ...0119, ...6975). Stripe verifies a card when it is attached to a customer or set up, so attaching
  fails with a 402 card_error; charging fails the same way.
- `charge_decline`: attaching and setting up succeed, every charge fails (`pm_card_chargeCustomerFail`,
  the Radar blocks, the 3-D Secure cards that decline after authenticating).
- `authentication`: `never`; `on_setup` (4000002500003155: authenticate when set up and on every
  on-session payment; off-session payments go through); `always` (4000002760003184 and the 3-D Secure
  required cards: every setup and on-session payment authenticates, off-session payments decline with
  authentication_required); `off_session_ok` (4000003800000446: on-session payments authenticate,
  setups and off-session payments go through as if already set up).
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
    risk_level: str = "normal"
    risk_score: int = 20

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
                "risk_level": self.risk_level, "risk_score": self.risk_score,
                "seller_message": self.seller_message, "type": self.outcome_type}


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
# Radar blocks the payment before it reaches the network (risk level "highest").
FRAUDULENT = Decline("card_declined", "Your card was declined.", "fraudulent", network_status="not_sent_to_network",
                     outcome_type="blocked", reason="highest_risk_level",
                     seller_message="Stripe blocked this payment as too risky.", risk_level="highest",
                     risk_score=95)
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

AUTHENTICATION_MODES = ("never", "on_setup", "always", "off_session_ok")
# PaymentMethod.card.display_brand spells some brands out.
DISPLAY_BRANDS = {"amex": "american_express", "diners": "diners_club", "unionpay": "union_pay"}


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    tokens: tuple[str, ...] = ()
    funding: str = "credit"
    country: str = "US"
    attach_decline: Decline | None = None   # refused when attached / set up (the decline families)
    charge_decline: Decline | None = None   # attaches, but every charge fails
    authentication: str = "never"           # one of AUTHENTICATION_MODES
    cvc_check: str = "pass"
    address_line1_check: str = "pass"       # when billing_details.address.line1 is given
    address_postal_code_check: str = "pass"  # when billing_details.address.postal_code is given
    three_d_secure_supported: bool = True
    networks: tuple[str, ...] = ()          # co-badged networks (Cartes Bancaires); default: the brand
    risk_level: str = "normal"              # Radar's risk level of a successful charge

    __test__ = False  # not a pytest class

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def display_brand(self) -> str:
        return DISPLAY_BRANDS.get(self.brand, self.brand)

    @property
    def available_networks(self) -> list[str]:
        return list(self.networks or (self.brand,))


def _country_cards() -> tuple[TestCard, ...]:
    """Stripe's international test cards: a successful Visa issued in each country (`pm_card_de`...;
    `pm_card_us` is pm_card_visa's card)."""
    numbers = {
        "ar": "4000000320000021", "br": "4000000760000002",
        "ca": "4000001240000000", "mx": "4000004840008001", "at": "4000000400000008",
        "be": "4000000560000004", "bg": "4000001000000000", "by": "4000001120000005", "hr": "4000001910000009",
        "cy": "4000001960000008", "cz": "4000002030000002", "dk": "4000002080000001", "ee": "4000002330000009",
        "fi": "4000002460000001", "fr": "4000002500000003", "de": "4000002760000016", "gi": "4000002920000005",
        "gr": "4000003000000030", "hu": "4000003480000005", "ie": "4000003720000005", "it": "4000003800000008",
        "lv": "4000004280000005", "li": "4000004380000004", "lt": "4000004400000000", "lu": "4000004420000006",
        "mt": "4000004700000007", "nl": "4000005280000002", "no": "4000005780000007", "pl": "4000006160000005",
        "pt": "4000006200000007", "ro": "4000006420000001", "si": "4000007050000006", "sk": "4000007030000001",
        "es": "4000007240000007", "se": "4000007520000008", "ch": "4000007560000009", "gb": "4000008260000000",
        "ae": "4000007840000001", "au": "4000000360000006", "cn": "4000001560000002", "hk": "4000003440000004",
        "in": "4000003560000008", "jp": "4000003920000003", "my": "4000004580000002", "nz": "4000005540000008",
        "sg": "4000007020000003",
    }
    return tuple(TestCard(number, "visa", (f"pm_card_{code}", f"tok_{code}"), country=code.upper())
                 for code, number in numbers.items()) + (
        TestCard("4000058260000005", "visa", ("pm_card_gb_debit", "tok_gb_debit"), funding="debit", country="GB"),
        TestCard("5555558265554449", "mastercard", country="GB"),
        TestCard("3530111333300000", "jcb", country="JP"),
        TestCard("4000007640000003", "visa", country="TH"),
        TestCard("4000057640000008", "visa", funding="debit", country="TH"),
    )


CARDS: tuple[TestCard, ...] = (
    # -- by brand ------------------------------------------------------------------------------------------
    TestCard("4242424242424242", "visa", ("pm_card_visa", "tok_visa", "pm_card_us", "tok_us")),
    TestCard("4000056655665556", "visa", ("pm_card_visa_debit", "tok_visa_debit"), funding="debit"),
    TestCard("5555555555554444", "mastercard", ("pm_card_mastercard", "tok_mastercard")),
    TestCard("2223003122003222", "mastercard"),
    TestCard("5200828282828210", "mastercard", ("pm_card_mastercard_debit", "tok_mastercard_debit"), funding="debit"),
    TestCard("5105105105105100", "mastercard", ("pm_card_mastercard_prepaid", "tok_mastercard_prepaid"),
             funding="prepaid"),
    # Stripe: American Express test cards do not support 3-D Secure (pm_card_amex_threeDSecureNotSupported).
    TestCard("378282246310005", "amex", ("pm_card_amex", "tok_amex", "pm_card_amex_threeDSecureNotSupported",
                                         "tok_amex_threeDSecureNotSupported"), three_d_secure_supported=False),
    TestCard("371449635398431", "amex", three_d_secure_supported=False),
    TestCard("6011111111111117", "discover", ("pm_card_discover", "tok_discover")),
    TestCard("6011000990139424", "discover"),
    TestCard("6011981111111113", "discover", funding="debit"),
    TestCard("3056930009020004", "diners", ("pm_card_diners", "tok_diners")),
    TestCard("36227206271667", "diners"),
    TestCard("3566002020360505", "jcb", ("pm_card_jcb", "tok_jcb"), country="JP"),
    TestCard("6200000000000005", "unionpay", ("pm_card_unionpay", "tok_unionpay"), country="CN"),
    TestCard("6200000000000047", "unionpay", funding="debit", country="CN"),
    TestCard("6205500000000000004", "unionpay", country="CN"),
    # Co-badged Cartes Bancaires cards.
    TestCard("4000002500001001", "visa", country="FR", networks=("cartes_bancaires", "visa")),
    TestCard("5555552500001001", "mastercard", country="FR", networks=("cartes_bancaires", "mastercard")),
    # -- balance, disputes, refunds (charges succeed; disputes and refund failures are not emulated) ---------
    TestCard("4000000000000077", "visa", ("pm_card_bypassPending", "tok_bypassPending")),
    TestCard("4000003720000278", "visa", ("pm_card_bypassPendingInternational", "tok_bypassPendingInternational"),
             country="IE"),
    TestCard("4000000000000259", "visa", ("pm_card_createDispute", "tok_createDispute")),
    TestCard("4000000000002685", "visa", ("pm_card_createDisputeProductNotReceived",
                                          "tok_createDisputeProductNotReceived")),
    TestCard("4000000000001976", "visa", ("pm_card_createDisputeInquiry", "tok_createDisputeInquiry")),
    TestCard("4000000000005126", "visa", ("pm_card_refundFail", "tok_refundFail")),
    # -- declines --------------------------------------------------------------------------------------------
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
    # -- fraud prevention ------------------------------------------------------------------------------------
    TestCard("4100000000000019", "visa", ("pm_card_radarBlock", "tok_radarBlock", "pm_card_chargeDeclinedFraudulent",
                                          "pm_card_visa_chargeDeclinedFraudulent", "tok_chargeDeclinedFraudulent",
                                          "tok_visa_chargeDeclinedFraudulent"),
             charge_decline=FRAUDULENT, risk_level="highest"),
    # Radar's default rules block payments of the highest risk level.
    TestCard("4000000000004954", "visa", ("pm_card_riskLevelHighest", "tok_riskLevelHighest"),
             charge_decline=FRAUDULENT, risk_level="highest"),
    TestCard("4000000000009235", "visa", ("pm_card_riskLevelElevated", "tok_riskLevelElevated"),
             risk_level="elevated"),
    TestCard("4000000000000101", "visa", ("pm_card_cvcCheckFail", "tok_cvcCheckFail"), cvc_check="fail"),
    TestCard("4000000000000036", "visa", ("pm_card_avsZipFail", "tok_avsZipFail"), address_postal_code_check="fail"),
    TestCard("4000000000000028", "visa", ("pm_card_avsLine1Fail", "tok_avsLine1Fail"), address_line1_check="fail"),
    TestCard("4000000000000010", "visa", ("pm_card_avsFail", "tok_avsFail"), address_line1_check="fail",
             address_postal_code_check="fail"),
    TestCard("4000000000000044", "visa", ("pm_card_avsUnchecked", "tok_avsUnchecked"),
             address_line1_check="unavailable", address_postal_code_check="unavailable"),
    # -- authentication (SCA) ----------------------------------------------------------------------------------
    TestCard("4000002500003155", "visa", ("pm_card_authenticationRequiredOnSetup",
                                          "tok_authenticationRequiredOnSetup"), authentication="on_setup"),
    TestCard("4000002760003184", "visa", ("pm_card_authenticationRequired", "tok_authenticationRequired"),
             authentication="always"),
    TestCard("4000003800000446", "visa", ("pm_card_authenticationRequiredSetupForOffSession",
                                          "tok_authenticationRequiredSetupForOffSession"),
             authentication="off_session_ok"),
    TestCard("4000008260003178", "visa", ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
                                          "tok_authenticationRequiredChargeDeclinedInsufficientFunds"),
             authentication="on_setup", charge_decline=INSUFFICIENT_FUNDS),
    # -- 3-D Secure ------------------------------------------------------------------------------------------
    TestCard("4000000000003220", "visa", ("pm_card_threeDSecure2Required", "tok_threeDSecure2Required"),
             authentication="always", country="IE"),
    TestCard("4000008400000027", "visa", authentication="always"),
    TestCard("4000000000003063", "visa", ("pm_card_threeDSecureRequired", "tok_threeDSecureRequired"),
             authentication="always"),
    TestCard("4000008400001629", "visa", ("pm_card_threeDSecureRequiredChargeDeclined",
                                          "tok_threeDSecureRequiredChargeDeclined"),
             authentication="always", charge_decline=GENERIC),
    # The 3-D Secure lookup itself fails: the payment fails with processing_error before any challenge.
    TestCard("4000008400001280", "visa", ("pm_card_threeDSecureRequiredProcessingError",
                                          "tok_threeDSecureRequiredProcessingError"), charge_decline=PROCESSING_ERROR),
    TestCard("4000000000003055", "visa", ("pm_card_threeDSecureOptional", "tok_threeDSecureOptional")),
    TestCard("4000000000003097", "visa", ("pm_card_threeDSecureOptionalProcessingError",
                                          "tok_threeDSecureOptionalProcessingError")),
    TestCard("4000000032200000", "visa"),
) + _country_cards()

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
        """The card error attaching (or setting up) this card fails with, if any."""
        return self.card.attach_decline

    def charge_decline(self) -> Decline | None:
        """The card error every charge of this card fails with, if any."""
        return self.card.attach_decline or self.card.charge_decline

    def needs_authentication(self, *, off_session: bool, setup: bool, already_authenticated: bool) -> bool:
        """Whether this attempt must go through 3-D Secure first (off-session, that means a decline with
        authentication_required)."""
        if already_authenticated:
            return False
        mode = self.card.authentication
        if mode == "always":
            return True
        if mode == "on_setup":
            return setup or not off_session
        if mode == "off_session_ok":
            return not setup and not off_session
        return False

    def success_outcome(self) -> dict[str, Any]:
        """A successful charge's `outcome` (Radar's risk level of the test card)."""
        score = {"normal": 12, "elevated": 70, "highest": 95}.get(self.card.risk_level, 12)
        return {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                "network_status": "approved_by_network", "reason": "elevated_risk_level"
                if self.card.risk_level == "elevated" else None, "risk_level": self.card.risk_level,
                "risk_score": score, "seller_message": "Payment complete.", "type": "authorized"}


def behaviour_of(pm: dict[str, Any]) -> CardBehaviour:
    """The test card behind a card PaymentMethod (or legacy card source); unknown fingerprints behave like
    a successful card."""
    card = pm.get("card") or (pm if pm.get("object") == "card" else {})
    known = BY_FINGERPRINT.get(card.get("fingerprint") or "")
    brand = str(card.get("brand") or "visa").lower().replace(" ", "").replace("americanexpress", "amex")
    return CardBehaviour(known or TestCard("0" * 12 + (card.get("last4") or "0000"), brand))
