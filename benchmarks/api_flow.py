"""Benchmark: the official stripe SDK running a 10-request catalog flow against a live emulator.

Flow: create product, 2 prices, customer, attach a PaymentMethod, set it as the default, then 4 reads
(retrieve customer with expand, list prices, retrieve product, list the customer's payment methods).
Prints ms per flow and requests/s on an empty store, after growing it to 10,000 customers, and against a
server that only returns fixed JSON (the cost of the SDK and HTTP alone) for comparison.

    .venv/bin/python benchmarks/api_flow.py [--flows 200] [--grow 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import LiveEmulator  # noqa: E402

REQUESTS_PER_FLOW = 10


def flow(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Bench"})
    client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 1000,
                                    "recurring": {"interval": "month"}})
    client.v1.prices.create(params={"product": product.id, "currency": "usd", "unit_amount": 10000,
                                    "recurring": {"interval": "year"}})
    customer = client.v1.customers.create(params={"email": "bench@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    client.v1.customers.retrieve(customer.id, params={"expand": ["invoice_settings.default_payment_method"]})
    client.v1.prices.list(params={"product": product.id})
    client.v1.products.retrieve(product.id)
    client.v1.customers.payment_methods.list(customer.id)


def measure(url: str, flows: int, rounds: int = 3) -> list[float]:
    """Median ms per flow for each round, on one keep-alive client per round."""
    results = []
    for _ in range(rounds):
        client = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}", base_addresses={"api": url},
                                     max_network_retries=0)
        flow(client)  # warm-up: connection, account creation
        timings = []
        for _ in range(flows):
            start = time.perf_counter()
            flow(client)
            timings.append((time.perf_counter() - start) * 1000)
        results.append(statistics.median(timings))
    return results


def grow(url: str, customers: int) -> None:
    client = stripe.StripeClient("sk_test_bench_growth", base_addresses={"api": url}, max_network_retries=0)
    for index in range(customers):
        client.v1.customers.create(params={"email": f"grow{index}@example.com"})


def fixed_json_server() -> tuple[str, object]:
    """A server that answers every request with one canned JSON object (the SDK+HTTP floor)."""
    from werkzeug.wrappers import Response

    from emulator.http_server import WSGIServer

    body = orjson.dumps({"id": "obj_123", "object": "customer", "livemode": False, "created": 0,
                         "data": [], "has_more": False, "url": "/v1/x"})

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        return Response(body, mimetype="application/json")(environ, start_response)

    server = WSGIServer(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def report(label: str, medians: list[float]) -> None:
    best = statistics.median(medians)
    print(f"{label:<40} {best:7.2f} ms/flow  {REQUESTS_PER_FLOW * 1000 / best:7.0f} req/s  "
          f"(rounds: {', '.join(f'{m:.2f}' for m in medians)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--grow", type=int, default=10000)
    args = parser.parse_args()
    floor_url, floor_server = fixed_json_server()
    report("fixed-JSON server (SDK + HTTP floor)", measure(floor_url, args.flows))
    floor_server.shutdown()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveEmulator(os.path.join(tmp, "bench.sqlite3"), verify=False)
        try:
            report("emulator, empty store", measure(live.url, args.flows))
            if args.grow:
                start = time.perf_counter()
                grow(live.url, args.grow)
                print(f"grew the store by {args.grow} customers in {time.perf_counter() - start:.1f} s")
                report(f"emulator, +{args.grow} customers", measure(live.url, args.flows))
        finally:
            live.stop()


if __name__ == "__main__":
    main()
