"""Migrations bring databases written by earlier versions up to date."""

from __future__ import annotations

from pathlib import Path

import orjson
import sqlite_utils

from emulator.store import connect, forget_connections
from emulator.store.migrations import migrate


def test_subscriptions_on_a_clock_get_the_clock_as_owner(tmp_path: Path) -> None:
    """m018: subscriptions written before it (owner empty) are found through the owner index by their clock."""
    path = str(tmp_path / "old.sqlite3")
    conn = connect(path)
    rows = [("sub_on_clock", {"test_clock": "clock_1"}), ("sub_plain", {"test_clock": None})]
    for object_id, fields in rows:
        conn.execute("INSERT INTO objects (account, id, object, created, customer, owner, deleted, data) "
                     "VALUES ('acct_1', ?, 'subscription', 0, 'cus_1', NULL, 0, ?)",
                     (object_id, orjson.dumps({"id": object_id, "object": "subscription", **fields})))
    conn.execute("DELETE FROM _migrations WHERE name = 'm018_subscription_clock_owner'")
    migrate(sqlite_utils.Database(conn))
    owners = dict(conn.execute("SELECT id, owner FROM objects WHERE object = 'subscription'").fetchall())
    assert owners == {"sub_on_clock": "clock_1", "sub_plain": None}
    forget_connections()
