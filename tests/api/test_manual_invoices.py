"""Invoices made through the API and paid, voided, sent or written off, and the payments behind them."""

from __future__ import annotations

import pytest
import stripe

from tests.api.test_subscriptions import advance, clock_customer, ts
from tests.shape_oracle import assert_shape


def draft(client: stripe.StripeClient, customer: str, *amounts: int, **extra: object) -> stripe.Invoice:
    invoice = client.v1.invoices.create(params={"customer": customer, **extra})
    for amount in amounts:
        client.v1.invoice_items.create(params={"customer": customer, "amount": amount, "currency": "usd",
                                               "invoice": invoice.id})
    return client.v1.invoices.retrieve(invoice.id)


def test_api_invoices_wait_as_drafts_unless_auto_advance(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    waiting = draft(client, customer, 1500)
    assert (waiting.auto_advance, waiting.automatically_finalizes_at) == (False, None)
    advancing = draft(client, customer, 700, auto_advance=True)
    assert advancing.automatically_finalizes_at == ts(2026, 5, 1, 1)
    advance(client, clock, ts(2026, 5, 1, 3))
    assert client.v1.invoices.retrieve(waiting.id).status == "draft"
    assert client.v1.invoices.retrieve(advancing.id).status == "paid"


def test_editing_an_item_changes_its_draft(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    invoice = draft(client, customer, 1000, 500)
    first, second = client.v1.invoice_items.list(params={"invoice": invoice.id}).data[::-1]
    client.v1.invoice_items.update(first.id, params={"amount": 3000, "description": "Consulting"})
    client.v1.invoice_items.delete(second.id)
    edited = client.v1.invoices.retrieve(invoice.id)
    assert [(line.amount, line.description) for line in edited.lines.data] == [(3000, "Consulting")]
    assert (edited.subtotal, edited.total, edited.amount_due) == (3000, 3000, 3000)
    assert [line.amount for line in client.v1.invoices.line_items.list(invoice.id).data] == [3000]
    eur_invoice = client.v1.invoices.create(params={"customer": customer, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as currency:
        client.v1.invoice_items.create(params={"customer": customer, "amount": 500, "currency": "usd",
                                               "invoice": eur_invoice.id})
    assert currency.value.param == "currency"
    other = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as foreign:
        client.v1.invoice_items.create(params={"customer": other.id, "amount": 500, "currency": "usd",
                                               "invoice": invoice.id})
    assert foreign.value.param == "invoice"


def test_invoices_embed_their_first_ten_lines(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    invoice = draft(client, customer, *range(100, 1300, 100))
    assert (len(invoice.lines.data), invoice.lines.has_more) == (10, True)
    assert invoice.subtotal == sum(range(100, 1300, 100))
    everything = list(client.v1.invoices.line_items.list(invoice.id, params={"limit": 5}).auto_paging_iter())
    assert len(everything) == 12
    before = client.v1.invoices.line_items.list(invoice.id, params={"ending_before": everything[10].id, "limit": 3})
    assert [line.id for line in before.data] == [line.id for line in everything[7:10]] and before.has_more


def test_pay_is_off_session_by_default(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 5, 1), token="pm_card_authenticationRequired")
    off = draft(client, customer, 2000)
    client.v1.invoices.finalize_invoice(off.id)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(off.id)
    assert declined.value.code == "authentication_required"
    on = draft(client, customer, 2000)
    client.v1.invoices.finalize_invoice(on.id)
    with pytest.raises(stripe.CardError) as action:
        client.v1.invoices.pay(on.id, params={"off_session": False})
    assert action.value.code == "invoice_payment_intent_requires_action"


def test_void_after_writing_off_and_send_a_paid_invoice(client: stripe.StripeClient) -> None:
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    invoice = draft(client, customer, 2000)
    client.v1.invoices.finalize_invoice(invoice.id)
    written_off = client.v1.invoices.mark_uncollectible(invoice.id)
    assert written_off.status_details.uncollectible.reason == "user_forgiven"
    assert_shape(written_off.to_dict())
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void" and "status_details" not in voided
    paid = draft(client, customer, 1000, collection_method="send_invoice", days_until_due=30)
    client.v1.invoices.finalize_invoice(paid.id)
    client.v1.invoices.pay(paid.id, params={"paid_out_of_band": True})
    assert client.v1.invoices.send_invoice(paid.id).status == "paid"


def test_partial_capture_leaves_the_captured_amount_refundable(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "confirm": True,
                                                      "payment_method": "pm_card_visa", "capture_method": "manual",
                                                      "automatic_payment_methods": {"enabled": True,
                                                                                    "allow_redirects": "never"}})
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 600})
    refund = client.v1.refunds.create(params={"payment_intent": captured.id})
    assert refund.amount == 600
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})
    assert (small.value.param, small.value.code) == ("amount", "amount_too_small")


def test_finalizing_creates_the_payment_intent_and_collects_later(client: stripe.StripeClient) -> None:
    """Stripe creates the PaymentIntent when it finalizes an invoice (its client secret is the invoice's
    confirmation_secret, for the Payment Element); a finalized invoice keeping auto_advance is charged later."""
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    manual = draft(client, customer, 2500, collection_method="send_invoice", days_until_due=10)
    finalized = client.v1.invoices.finalize_invoice(manual.id, params={"expand": ["confirmation_secret",
                                                                                 "payments"]})
    secret = finalized.confirmation_secret
    assert secret.type == "payment_intent" and "_secret_" in secret.client_secret
    payment = finalized.payments.data[0]
    assert (payment.status, payment.is_default, payment.amount_requested) == ("open", True, 2500)
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert (intent.status, intent.amount) == ("requires_payment_method", 2500)
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa",
                                                                "return_url": "https://shop.test/done"})
    assert paid.status == "succeeded"
    assert client.v1.invoices.retrieve(manual.id).status == "paid"
    collected = draft(client, customer, 1200, auto_advance=True)
    opened = client.v1.invoices.finalize_invoice(collected.id)
    assert (opened.status, opened.next_payment_attempt) == ("open", ts(2026, 5, 1, 1))
    advance(client, clock, ts(2026, 5, 1, 2))
    charged = client.v1.invoices.retrieve(collected.id)
    assert (charged.status, charged.amount_paid, charged.attempt_count) == ("paid", 1200, 1)


def test_decimal_amounts_round_half_up_and_inclusive_rates_share_a_base(client: stripe.StripeClient) -> None:
    """Stripe rounds each line's decimal amount half up ("1.5 rounded up to 2 cents"); two inclusive rates on
    one line are carved out of one base (10% and 5% of 1000 in 1150)."""
    clock, customer = clock_customer(client, ts(2026, 5, 1))
    half = client.v1.invoice_items.create(params={"customer": customer, "currency": "usd", "quantity": 1,
                                                  "unit_amount_decimal": "2.5"})
    assert half.amount == 3
    ten = client.v1.tax_rates.create(params={"display_name": "A", "percentage": 10, "inclusive": True})
    five = client.v1.tax_rates.create(params={"display_name": "B", "percentage": 5, "inclusive": True})
    invoice = draft(client, customer)
    client.v1.invoice_items.create(params={"customer": customer, "amount": 1150, "currency": "usd",
                                           "invoice": invoice.id, "tax_rates": [ten.id, five.id]})
    taxed = client.v1.invoices.retrieve(invoice.id)
    assert [(t.amount, t.taxable_amount) for t in taxed.total_taxes] == [(100, 1000), (50, 1000)]
    assert (taxed.total, taxed.total_excluding_tax) == (1150, 1000)
    item = client.v1.invoice_items.list(params={"invoice": invoice.id}).data[0]
    client.v1.invoice_items.update(item.id, params={"tax_rates": [ten.id]})
    retaxed = client.v1.invoices.retrieve(invoice.id)
    assert [(t.amount, t.taxable_amount) for t in retaxed.total_taxes] == [(105, 1045)]
