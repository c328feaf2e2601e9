"""Where a test-clock renewal's time goes: the clock_renewals workload run in-process (no HTTP), with each
transition kind, the store's bulk writes and the commits timed separately. Prints microseconds per renewal.

    .venv/bin/python benchmarks/renewal_breakdown.py [--subscriptions 500] [--clocks 5] [--months 6]

The figures add timing overhead of their own (a few percent), and a flush a transition forces (a query of an
object type it holds back) counts in both lines; use benchmarks/clock_renewals.py for the headline number and
this script to see which part to work on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import engine  # noqa: E402
from emulator.app import create_app  # noqa: E402
from emulator.serving import tune_garbage_collector  # noqa: E402
from emulator.store import Store  # noqa: E402

HEADERS = {"Authorization": "Bearer sk_test_renewal_breakdown"}


def _timed(spent: Counter[str], label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
    return run


def instrument(spent: Counter[str]) -> None:
    """Time every transition kind, Store.flush (the bulk writes) and each transaction's COMMIT."""
    for kind, handler in list(engine.HANDLERS.items()):
        engine.HANDLERS[kind] = _timed(spent, f"transition {kind}", handler)
    Store.flush = _timed(spent, "writes (Store.flush)", Store.flush)  # type: ignore[method-assign]
    original = Store.transaction

    @contextmanager
    def transaction(self: Store) -> Iterator[None]:
        outer = not self.in_transaction
        execute = self.conn.execute
        if outer:
            # The COMMIT statement is the last thing the outermost transaction runs.
            def timed_execute(sql: str, *args: Any) -> Any:
                if sql == "COMMIT":
                    return _timed(spent, "commit", execute)(sql, *args)
                return execute(sql, *args)
            self.conn = _ConnectionProxy(self.conn, timed_execute)  # type: ignore[assignment]
        try:
            with original(self):
                yield
        finally:
            if outer:
                self.conn = self.conn.wrapped  # type: ignore[attr-defined]

    Store.transaction = transaction  # type: ignore[assignment]


class _ConnectionProxy:
    def __init__(self, wrapped: Any, execute: Callable[..., Any]) -> None:
        self.wrapped = wrapped
        self.execute = execute

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=500)
    parser.add_argument("--clocks", type=int, default=5)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    start = datetime(2027, 1, 15, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE": str(Path(tmp) / "breakdown.sqlite3"), "WEBHOOK_DELIVERY": "off",
                          "SCHEDULER": False})
        client = app.test_client()

        def post(path: str, data: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, data=data, headers=HEADERS)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.get_json()

        product = post("/v1/products", {"name": "Bench"})
        price = post("/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 1500,
                                    "recurring[interval]": "month"})
        clocks = [post("/v1/test_helpers/test_clocks", {"frozen_time": int(start.timestamp())})["id"]
                  for _ in range(args.clocks)]
        for index in range(args.subscriptions):
            customer = post("/v1/customers", {"test_clock": clocks[index % args.clocks],
                                              "payment_method": "pm_card_visa",
                                              "invoice_settings[default_payment_method]": "pm_card_visa"})
            post("/v1/subscriptions", {"customer": customer["id"], "items[0][price]": price["id"]})
        tune_garbage_collector()
        spent: Counter[str] = Counter()
        instrument(spent)
        began = time.perf_counter()
        for month in range(1, args.months + 1):
            target = int((start + relativedelta(months=month, hours=2)).timestamp())
            for clock_id in clocks:
                post(f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": target})
        elapsed = time.perf_counter() - began
    renewals = args.subscriptions * args.months
    print(f"{renewals} renewals in {elapsed:.2f} s: {elapsed / renewals * 1e6:.0f} µs per renewal")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {label:40s} {seconds / renewals * 1e6:7.0f} µs")
    other = elapsed - sum(spent.values())
    print(f"  {'everything else (requests, engine loop)':40s} {other / renewals * 1e6:7.0f} µs")


if __name__ == "__main__":
    main()
