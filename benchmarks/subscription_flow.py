"""Benchmark: a 10-request subscription flow with the official SDK, against the emulator, localstripe and a
server that only returns fixed JSON (the cost of the SDK and HTTP alone).

Flow: product, plan/price, customer, attach PaymentMethod, set it as default, create a subscription, update
its quantity, list invoices, retrieve the subscription, cancel it. localstripe has no Prices, so it is
driven through its Plans API (as the issue asks); it is installed in its own venv (`--localstripe-venv`,
created with `pip install localstripe==1.15.10` when missing). Three rounds of 16 flows per server, each
round on a fresh server, servers alternating; the median of each round is printed.

    .venv/bin/python benchmarks/subscription_flow.py [--rounds 3] [--flows 16] [--no-localstripe]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.api_flow import fixed_json_server  # noqa: E402
from tests.conftest import LiveEmulator, free_port  # noqa: E402


def flow(client: stripe.StripeClient, use_plans: bool) -> None:
    product = client.v1.products.create(params={"name": "Bench"})
    if use_plans:
        price_id = client.v1.plans.create(params={"product": product.id, "currency": "usd", "amount": 1000,
                                                  "interval": "month"}).id
        item = {"plan": price_id}
    else:
        price_id = client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1000,
                                                   "recurring": {"interval": "month"}}).id
        item = {"price": price_id}
    customer = client.v1.customers.create(params={"email": "bench@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [item]})
    item_id = subscription["items"]["data"][0]["id"]
    client.v1.subscriptions.update(subscription.id, params={"items": [{"id": item_id, "quantity": 2}]})
    client.v1.invoices.list(params={"customer": customer.id})
    client.v1.subscriptions.retrieve(subscription.id)
    client.v1.subscriptions.cancel(subscription.id)


def timed_round(url: str, flows: int, use_plans: bool, run: Callable[[stripe.StripeClient, bool], None] = flow
                ) -> float:
    client = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}", base_addresses={"api": url}, max_network_retries=0)
    run(client, use_plans)  # warm-up
    timings = []
    for _ in range(flows):
        start = time.perf_counter()
        run(client, use_plans)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def localstripe_server(venv: Path) -> tuple[str, subprocess.Popen[bytes]]:
    if not (venv / "bin" / "localstripe").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "localstripe==1.15.10"], check=True)
    port = free_port()
    process = subprocess.Popen([str(venv / "bin" / "localstripe"), "--port", str(port), "--from-scratch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            return url, process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("localstripe did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flows", type=int, default=16)
    parser.add_argument("--no-localstripe", action="store_true")
    parser.add_argument("--localstripe-venv", default=str(Path(tempfile.gettempdir()) / "localstripe-venv"))
    args = parser.parse_args()
    results: dict[str, list[float]] = {"emulator": [], "localstripe (plans)": [], "fixed JSON": []}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            live = LiveEmulator(os.path.join(tmp, "bench.sqlite3"),
                                env={"STRIPE_EMULATOR_WEBHOOK_DELIVERY": "off"}, verify=False)
            try:
                results["emulator"].append(timed_round(live.url, args.flows, use_plans=False))
            finally:
                live.stop()
        if not args.no_localstripe:
            url, process = localstripe_server(Path(args.localstripe_venv))
            try:
                results["localstripe (plans)"].append(timed_round(url, args.flows, use_plans=True))
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
        floor_url, floor = fixed_json_server()
        try:
            results["fixed JSON"].append(timed_round(floor_url, args.flows, use_plans=False,
                                                     run=lambda client, _: _fixed_flow(client)))
        finally:
            floor.shutdown()  # type: ignore[attr-defined]
    for name, medians in results.items():
        if medians:
            print(f"{name:<22} {statistics.median(medians):7.2f} ms/flow  (round medians: "
                  f"{', '.join(f'{m:.2f}' for m in medians)})")


def _fixed_flow(client: stripe.StripeClient) -> None:
    """The same 10 calls against the fixed-JSON server (ids do not matter there)."""
    client.v1.products.create(params={"name": "Bench"})
    client.v1.prices.create(params={"product": "prod_1", "currency": "usd", "unit_amount": 1000,
                                    "recurring": {"interval": "month"}})
    client.v1.customers.create(params={"email": "bench@example.com"})
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": "cus_1"})
    client.v1.customers.update("cus_1", params={"invoice_settings": {"default_payment_method": "pm_1"}})
    client.v1.subscriptions.create(params={"customer": "cus_1", "items": [{"price": "price_1"}]})
    client.v1.subscriptions.update("sub_1", params={"items": [{"id": "si_1", "quantity": 2}]})
    client.v1.invoices.list(params={"customer": "cus_1"})
    client.v1.subscriptions.retrieve("sub_1")
    client.v1.subscriptions.cancel("sub_1")


if __name__ == "__main__":
    main()
