"""Train emulator/spec/events.zdict: the zstd dictionary event snapshots are compressed with.

Runs a scripted tour of the emulator in-process (catalog, customers on a test clock, subscriptions with trials,
coupons, taxes, quantity and plan changes, cancellations, schedules, one-off invoices, declined payments, months
of renewals), collects every event's object JSON and trains a dictionary on them. The dictionary keeps its fixed
id (DICT_ID): databases written with it stay readable as long as the file ships. If it is ever retrained with
different content, give it a new id and keep the old file beside it.

    .venv/bin/python tools/train_event_dictionary.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import zstandard
from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import snapshots  # noqa: E402
from emulator.app import create_app  # noqa: E402
from emulator.store import connection_for  # noqa: E402

OUTPUT = ROOT / "emulator" / snapshots.DICTIONARY_FILE
DICT_ID = 1
DICT_SIZE = 64 * 1024


class Tour:
    """A Flask test client speaking the form encoding the SDKs use."""

    def __init__(self, database: str) -> None:
        self.app = create_app({"DATABASE": database, "WEBHOOK_DELIVERY": "off", "SCHEDULER": False})
        self.client = self.app.test_client()
        self.headers = {"Authorization": "Bearer sk_test_dictionary_tour"}

    def post(self, path: str, data: dict[str, Any] | None = None, ok: bool = True) -> dict[str, Any]:
        answer = self.client.post(path, data=data or {}, headers=self.headers)
        if ok and answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.get_data(as_text=True)}")
        return answer.get_json()


def tour(api: Tour, start: datetime) -> None:
    product = api.post("/v1/products", {"name": "Pro plan", "description": "For teams"})
    basic = api.post("/v1/products", {"name": "Basic plan"})
    monthly = api.post("/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 5000,
                                      "recurring[interval]": "month", "lookup_key": f"pro_monthly_{start.year}"})
    yearly = api.post("/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 50000,
                                     "recurring[interval]": "year"})
    cheap = api.post("/v1/prices", {"product": basic["id"], "currency": "eur", "unit_amount": 1900,
                                    "recurring[interval]": "month"})
    coupon = api.post("/v1/coupons", {"percent_off": 20, "duration": "repeating", "duration_in_months": 2})
    api.post("/v1/promotion_codes", {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"],
                                     "code": f"WELCOME{start.year}"})
    tax = api.post("/v1/tax_rates", {"display_name": "VAT", "percentage": 19, "inclusive": "false",
                                     "country": "DE"})
    clock = api.post("/v1/test_helpers/test_clocks", {"frozen_time": int(start.timestamp()), "name": "tour"})
    plans: list[dict[str, Any]] = [
        {"items[0][price]": monthly["id"]},
        {"items[0][price]": monthly["id"], "items[0][quantity]": 3, "discounts[0][coupon]": coupon["id"]},
        {"items[0][price]": yearly["id"], "default_tax_rates[0]": tax["id"]},
        {"items[0][price]": cheap["id"], "trial_period_days": 14},
        {"items[0][price]": monthly["id"], "collection_method": "send_invoice", "days_until_due": 30},
    ]
    subscriptions = []
    for index, plan in enumerate(plans):
        card = "pm_card_chargeCustomerFail" if index == 4 else "pm_card_visa"
        customer = api.post("/v1/customers", {"email": f"tour{index}@example.com", "name": f"Tour {index}",
                                              "test_clock": clock["id"], "payment_method": card,
                                              "invoice_settings[default_payment_method]": card,
                                              "address[country]": "DE", "address[city]": "Berlin"})
        subscriptions.append(api.post("/v1/subscriptions", {"customer": customer["id"], **plan}))
    failing = api.post("/v1/customers", {"test_clock": clock["id"], "payment_method": "pm_card_visa",
                                         "invoice_settings[default_payment_method]": "pm_card_visa"})
    failing_subscription = api.post("/v1/subscriptions", {"customer": failing["id"],
                                                          "items[0][price]": monthly["id"]})
    card = api.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", {"customer": failing["id"]})
    api.post(f"/v1/customers/{failing['id']}", {"invoice_settings[default_payment_method]": card["id"]})
    api.post(f"/v1/customers/{failing['id']}/tax_ids", {"type": "eu_vat", "value": "DE123456789"})
    moment = start + relativedelta(days=10)
    api.post(f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": int(moment.timestamp())})
    first = subscriptions[0]
    api.post(f"/v1/subscriptions/{first['id']}", {"items[0][id]": first["items"]["data"][0]["id"],
                                                  "items[0][price]": yearly["id"],
                                                  "proration_behavior": "always_invoice"})
    second = subscriptions[1]
    api.post(f"/v1/subscriptions/{second['id']}", {"items[0][id]": second["items"]["data"][0]["id"],
                                                   "items[0][quantity]": 5})
    api.post(f"/v1/subscriptions/{subscriptions[2]['id']}", {"cancel_at_period_end": "true",
                                                             "cancellation_details[feedback]": "too_expensive"})
    api.post("/v1/subscription_schedules", {"from_subscription": subscriptions[3]["id"]})
    customer = subscriptions[0]["customer"]
    api.post("/v1/invoiceitems", {"customer": customer, "amount": 1250, "currency": "usd",
                                  "description": "Onboarding"})
    invoice = api.post("/v1/invoices", {"customer": customer, "pending_invoice_items_behavior": "include"})
    api.post(f"/v1/invoices/{invoice['id']}/finalize")
    api.post(f"/v1/invoices/{invoice['id']}/pay")
    for months in range(1, 9):
        moment = start + relativedelta(months=months, hours=2)
        api.post(f"/v1/test_helpers/test_clocks/{clock['id']}/advance", {"frozen_time": int(moment.timestamp())})
    api.client.delete(f"/v1/subscriptions/{failing_subscription['id']}", headers=api.headers)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = os.path.join(folder, "tour.sqlite3")
        api = Tour(database)
        for year in range(2026, 2030):
            tour(api, datetime(year, 1, 31, 9, tzinfo=timezone.utc))
        rows = connection_for(database).execute("SELECT object FROM events").fetchall()
        samples = [snapshots.unpack(row[0]) for row in rows]
    dictionary = zstandard.train_dictionary(DICT_SIZE, samples, dict_id=DICT_ID, level=snapshots.LEVEL)
    OUTPUT.write_bytes(dictionary.as_bytes())
    raw = sum(len(sample) for sample in samples)
    compressor = zstandard.ZstdCompressor(level=snapshots.LEVEL, dict_data=dictionary)
    packed = sum(len(compressor.compress(sample)) for sample in samples)
    print(f"{len(samples)} event snapshots, {raw} bytes -> {packed} compressed ({raw / packed:.1f}x); "
          f"wrote {OUTPUT.relative_to(ROOT)} ({len(dictionary.as_bytes())} bytes)")


if __name__ == "__main__":
    main()
