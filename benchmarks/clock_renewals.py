"""Benchmark: 500 monthly subscriptions on 5 test clocks, each clock advanced one month at a time for 12
months (6,000 renewals: subscription update, draft invoice, finalization an hour later, PaymentIntent,
charge, invoice payment and all their events). Prints the seconds the 60 advances took and invoices/s.

    .venv/bin/python benchmarks/clock_renewals.py [--subscriptions 500] [--clocks 5] [--months 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import stripe
from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveEmulator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=500)
    parser.add_argument("--clocks", type=int, default=5)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    start = datetime(2027, 1, 15, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveEmulator(os.path.join(tmp, "bench.sqlite3"),
                            env={"STRIPE_EMULATOR_WEBHOOK_DELIVERY": "off"}, verify=False)
        try:
            client = stripe.StripeClient("sk_test_bench_clocks", base_addresses={"api": live.url},
                                         max_network_retries=0)
            product = client.v1.products.create(params={"name": "Bench"})
            price = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1500,
                                                    "recurring": {"interval": "month"}})
            clocks = [client.v1.test_helpers.test_clocks.create(params={"frozen_time": int(start.timestamp())}).id
                      for _ in range(args.clocks)]
            setup = time.perf_counter()
            for index in range(args.subscriptions):
                customer = client.v1.customers.create(params={
                    "test_clock": clocks[index % args.clocks], "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"}})
                client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
            print(f"set-up: {args.subscriptions} customers + subscriptions in {time.perf_counter() - setup:.1f} s")
            began = time.perf_counter()
            for month in range(1, args.months + 1):
                target = int((start + relativedelta(months=month, hours=2)).timestamp())
                for clock_id in clocks:
                    client.v1.test_helpers.test_clocks.advance(clock_id, params={"frozen_time": target})
            elapsed = time.perf_counter() - began
            invoices = sum(1 for _ in client.v1.invoices.list(params={"limit": 100, "status": "paid"})
                           .auto_paging_iter())
            renewals = invoices - args.subscriptions
            print(f"{args.months} months x {args.clocks} clocks: {elapsed:.2f} s for {renewals} renewal invoices "
                  f"({renewals / elapsed:.0f} invoices/s); {invoices} paid invoices in all")
        finally:
            live.stop()


if __name__ == "__main__":
    main()
