"""Event snapshots are stored compressed with the shipped dictionary and read back byte for byte; rows stored
before compression existed (plain JSON) stay readable."""

from __future__ import annotations

import orjson

from emulator import snapshots
from emulator.events import row_to_event


def test_snapshots_round_trip_compressed() -> None:
    invoice = {"id": "in_1VcU5QvgGlERPcUPUbLsAe3a", "object": "invoice", "amount_due": 5000, "currency": "usd",
               "lines": {"object": "list", "data": [], "has_more": False, "url": "/v1/invoices/in_1/lines"},
               "status": "paid", "status_transitions": {"finalized_at": 1767225600, "paid_at": 1767229200}}
    raw = orjson.dumps(invoice)
    stored = snapshots.pack(raw)
    assert stored.startswith(snapshots.ZSTD_MAGIC) and len(stored) < len(raw) / 2
    assert snapshots.unpack(stored) == raw


def test_plain_snapshots_from_older_databases_are_read_as_they_are() -> None:
    plain = orjson.dumps({"id": "cus_1VcU5Qvf63CuZw", "object": "customer", "email": "old@example.com"})
    assert snapshots.unpack(plain) == plain
    event = row_to_event(("evt_1", "customer.created", 1767225600, None, None, plain, None, 0), "2026-10-28.endive")
    assert event["data"]["object"]["email"] == "old@example.com"
