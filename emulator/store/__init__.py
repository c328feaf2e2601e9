"""The SQLite store: one file holds every account's objects, events, idempotency keys and deliveries.

Objects are kept as JSON documents (orjson bytes) in one `objects` table keyed by (account, id), with the
few columns lists filter on (object type, customer, owner, created). Insertion order (`seq`) gives Stripe's
newest-first list order even when many objects share a `created` second. Hot paths use plain sqlite3
statements; sqlite-utils runs the migrations and is available for ad-hoc work.

Inside a transaction, object writes and event rows are held back and written in bulk (`executemany`) when
the transaction commits, or earlier when a query needs them: an invoice created, finalized and paid in one
transition is written once, not three times. Reads by id see the held-back state through the row cache.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlite_utils

from emulator.store.migrations import migrate

# Tests set STRIPE_EMULATOR_VERIFY_SHARED=1 to check that no resource changes a stored document in place.
VERIFY_SHARED = bool(os.environ.get("STRIPE_EMULATOR_VERIFY_SHARED"))
SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
_synchronous = "OFF"
_local = threading.local()
_OBJECT_INSERT = "INSERT INTO objects (account, id, object, created, customer, owner, deleted, data)"
_EVENT_INSERT = ("INSERT INTO events (account, id, type, created, object_id, request_id, idempotency_key, object, "
                 "previous_attributes)")
ROWS_PER_INSERT = 32
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def configure(*, synchronous: str) -> None:
    """Set how new connections sync commits to disk (the SQLITE_SYNCHRONOUS setting)."""
    global _synchronous
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_LEVELS).lower()}, "
                         f"not {synchronous!r}")
    _synchronous = level


def connect(path: str) -> sqlite3.Connection:
    """Open the database with the settings the emulator relies on (WAL so readers never block the
    writer, a busy timeout so gunicorn workers queue for the write lock instead of failing)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {_synchronous}")
    conn.execute("PRAGMA foreign_keys = OFF")
    with _migrate_lock:
        if path not in _migrated or path == ":memory:":
            migrate(sqlite_utils.Database(conn))
            _migrated.add(path)
    return conn


def connection_for(path: str) -> sqlite3.Connection:
    """A connection per thread and database path, reused across requests on a keep-alive connection."""
    cache: dict[str, sqlite3.Connection] | None = getattr(_local, "connections", None)
    if cache is None:
        cache = _local.connections = {}
    conn = cache.get(path)
    if conn is None:
        conn = cache[path] = connect(path)
    return conn


def forget_connections() -> None:
    """Close this thread's cached connections (tests that delete or reset the file call it)."""
    cache: dict[str, sqlite3.Connection] = getattr(_local, "connections", {}) or {}
    for conn in cache.values():
        conn.close()
    cache.clear()
    _migrated.clear()


@dataclass
class _Seen:
    """What a transaction knows beyond the database: rows read or written (kept until it ends: nobody else
    can write meanwhile), their parsed documents, and the objects it created with their owners and timers."""

    rows: dict[tuple[str, str], tuple[str, int, bytes] | None] = field(default_factory=dict)
    parsed: dict[tuple[str, str], tuple[bytes, dict[str, Any]]] = field(default_factory=dict)
    # An owner created in this transaction can only own objects created in it too: these lists answer owner
    # queries about it without the database.
    created: set[tuple[str, str]] = field(default_factory=set)
    created_by_owner: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    owner_of: dict[tuple[str, str], str] = field(default_factory=dict)
    # Per object created in this transaction: how many timers of each kind it has (see may_have_timer).
    new_object_timers: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def copy(self) -> "_Seen":
        return _Seen(dict(self.rows), dict(self.parsed), set(self.created),
                     {key: list(ids) for key, ids in self.created_by_owner.items()}, dict(self.owner_of),
                     {key: dict(kinds) for key, kinds in self.new_object_timers.items()})


class Store:
    """Typed access to one database connection. Every method is scoped by account id."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._depth = 0
        self._after_commit: dict[str, tuple[Any, Any]] = {}
        # Every write through this class updates `_seen`; `memo` holds other per-transaction facts.
        self._seen = _Seen()
        self.memo: dict[str, Any] = {}
        # Held-back writes: (account, id) -> [is_insert, object, created, customer, owner, data], in first-write
        # order so inserts keep their creation order (seq); event rows in emission order.
        self._pending_objects: dict[tuple[str, str], list[Any]] = {}
        self._pending_types: set[str] = set()
        self._pending_events: list[list[Any]] = []
        self._discarding = 0  # inside discarded(): nothing done will be kept
        # The engine's batch of timers (emulator.timers.DueBatch) while it runs transitions; written by flush().
        self.timer_batch: Any = None

    def after_commit(self, callback: Any, *, key: str, arg: Any = None) -> None:
        """Run `callback(arg)` once after the current transaction commits (dropped on rollback)."""
        if not self._depth:
            callback(arg)
            return
        self._after_commit.setdefault(key, (callback, arg))

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front, so two processes never
        interleave a read-modify-write). Nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        self._forget()
        try:
            yield
            if VERIFY_SHARED:
                self._verify_shared()
            self.flush()
        except BaseException:
            self._depth = 0
            self._after_commit.clear()
            self._forget()
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self._forget()
        self.conn.execute("COMMIT")
        pending, self._after_commit = self._after_commit, {}
        for callback, arg in pending.values():
            callback(arg)

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @property
    def discarding(self) -> bool:
        """Inside `discarded()`: whatever is written now is rolled back (events need not be built)."""
        return self._discarding > 0

    def _verify_shared(self, keys: Iterable[tuple[str, str]] | None = None) -> None:
        for key in keys if keys is not None else list(self._seen.parsed):
            shared = self._seen.parsed.get(key)
            if shared is not None and orjson.dumps(shared[1]) != shared[0]:
                raise AssertionError(f"a nested value of {key[1]} was changed in place")

    def _forget(self) -> None:
        self._seen = _Seen()
        self.timer_batch = None
        self.memo.clear()
        self._pending_objects.clear()
        self._pending_types.clear()
        self._pending_events.clear()

    def flush(self) -> None:
        """Write the held-back objects and events (before a query that reads them, and at commit)."""
        if self._pending_objects:
            inserts = [(account, object_id, row[1], row[2], row[3], row[4], row[5])
                       for (account, object_id), row in self._pending_objects.items() if row[0]]
            updates = [(row[5], row[3], row[4], account, object_id)
                       for (account, object_id), row in self._pending_objects.items() if not row[0]]
            # Setting only the document leaves the indexes on customer and owner untouched.
            data_only = [(update[0], update[3], update[4]) for update in updates
                         if update[1] is None and update[2] is None]
            if data_only:
                updates = [update for update in updates if update[1] is not None or update[2] is not None]
                self.conn.executemany("UPDATE objects SET data = ? WHERE account = ? AND id = ?", data_only)
            self._pending_objects.clear()
            self._pending_types.clear()
            if inserts:
                self._insert_rows(_OBJECT_INSERT, "(?, ?, ?, ?, ?, ?, 0, ?)", inserts)
            if updates:
                self.conn.executemany(
                    "UPDATE objects SET data = ?, customer = COALESCE(?, customer), owner = COALESCE(?, owner) "
                    "WHERE account = ? AND id = ?", updates)
        if self._pending_events:
            rows, self._pending_events = self._pending_events, []
            self._insert_rows(_EVENT_INSERT, "(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if self.timer_batch is not None:
            self.timer_batch.write()

    def _insert_rows(self, statement: str, placeholders: str, rows: list[Any]) -> None:
        """Insert rows ROWS_PER_INSERT at a time with one multi-row statement (a third cheaper per row than
        executemany), the rest with executemany."""
        whole = len(rows) - len(rows) % ROWS_PER_INSERT
        if whole:
            multi = f"{statement} VALUES {', '.join([placeholders] * ROWS_PER_INSERT)}"
            for start in range(0, whole, ROWS_PER_INSERT):
                self.conn.execute(multi, [value for row in rows[start:start + ROWS_PER_INSERT] for value in row])
        if whole < len(rows):
            self.conn.executemany(f"{statement} VALUES {placeholders}", rows[whole:])

    def _flush_for(self, object_type: str) -> None:
        """Before a query of one object type: only held-back objects of that type could change its answer."""
        if object_type in self._pending_types:
            self.flush()

    # -- events -------------------------------------------------------------------------------
    def add_event(self, row: list[Any]) -> None:
        """Record an event row (account, id, type, created, object_id, request_id, idempotency_key, object
        bytes, previous_attributes bytes); held back until the next flush inside a transaction."""
        self._pending_events.append(row)
        if not self._depth:
            self.flush()

    def replace_event_object(self, account: str, event_id: str, data: bytes) -> None:
        """Rewrite an event's object snapshot recorded earlier in this transaction."""
        for row in self._pending_events:
            if row[1] == event_id and row[0] == account:
                row[7] = data
                return
        self.conn.execute("UPDATE events SET object = ? WHERE account = ? AND id = ?", (data, account, event_id))

    @contextmanager
    def discarded(self) -> Iterator[None]:
        """Run work inside a savepoint that is always rolled back (previews compute with the real code)."""
        self.flush()
        self._discarding += 1
        seen, timer_batch = self._seen.copy(), self.timer_batch
        self.conn.execute("SAVEPOINT discarded")
        try:
            yield
        finally:
            self._discarding -= 1
            self.conn.execute("ROLLBACK TO discarded")
            self.conn.execute("RELEASE discarded")
            self._forget()
            if self._depth:
                # What was read or created before the savepoint is still true after rolling it back.
                self._seen, self.timer_batch = seen, timer_batch

    # -- objects ------------------------------------------------------------------------------
    def get(self, account: str, object_id: str, object_type: str | None = None) -> dict[str, Any] | None:
        """The stored object, or None. A deleted object is returned as Stripe's {id, object, deleted}."""
        key = (account, object_id)
        if self._depth and key in self._seen.rows:
            row = self._seen.rows[key]
        else:
            row = self.conn.execute(
                "SELECT object, deleted, data FROM objects WHERE account = ? AND id = ?", (account, object_id)
            ).fetchone()
            if self._depth:
                self._seen.rows[key] = row
        if row is None or (object_type is not None and row[0] != object_type):
            return None
        if not self._depth:
            obj = orjson.loads(row[2])
        else:
            # Within a transaction the parsed document is kept and each caller gets a shallow copy:
            # resources replace nested values ({**old, ...}) rather than changing them in place.
            shared = self._seen.parsed.get(key)
            if shared is None or shared[0] is not row[2]:
                shared = (row[2], orjson.loads(row[2]))
                self._seen.parsed[key] = shared
            elif VERIFY_SHARED:
                self._verify_shared((key,))
            obj = dict(shared[1])
        if row[1]:
            obj["deleted"] = True
        return obj

    def insert(self, account: str, obj: dict[str, Any], *, customer: str | None = None,
               owner: str | None = None) -> bytes:
        data = orjson.dumps(obj)
        key = (account, obj["id"])
        if self._depth:
            if key in self._pending_objects or self._seen.rows.get(key) is not None:
                raise sqlite3.IntegrityError(f"UNIQUE constraint failed: objects.account, objects.id ({obj['id']})")
            self._pending_objects[key] = [True, obj["object"], obj.get("created", 0), customer, owner, data]
            self._pending_types.add(obj["object"])
            self._seen.rows[key] = (obj["object"], 0, data)
            self._seen.parsed[key] = (data, dict(obj))
            self._seen.created.add(key)
            if owner is not None:
                self._note_owner(key, obj["object"], owner)
            return data
        self.conn.execute(
            "INSERT INTO objects (account, id, object, created, customer, owner, deleted, data) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            (account, obj["id"], obj["object"], obj.get("created", 0), customer, owner, data),
        )
        return data

    def exists(self, account: str, object_id: str) -> bool:
        if self._depth and (account, object_id) in self._pending_objects:
            return True
        self.flush()
        return self.conn.execute("SELECT 1 FROM objects WHERE account = ? AND id = ?",
                                 (account, object_id)).fetchone() is not None

    def update(self, account: str, obj: dict[str, Any], *, customer: str | None = None,
               owner: str | None = None) -> bytes:
        data = orjson.dumps(obj)
        key = (account, obj["id"])
        if self._depth:
            if VERIFY_SHARED:
                self._verify_shared((key,))
            pending = self._pending_objects.get(key)
            if pending is None:
                self._pending_objects[key] = [False, obj["object"], None, customer, owner, data]
                self._pending_types.add(obj["object"])
            else:
                pending[5] = data
                if customer is not None:
                    pending[3] = customer
                if owner is not None:
                    pending[4] = owner
            cached = self._seen.rows.get(key)
            self._seen.rows[key] = (obj["object"], cached[1] if cached else 0, data)
            self._seen.parsed[key] = (data, dict(obj))
            if owner is not None:
                self._note_owner(key, obj["object"], owner)
            return data
        self.conn.execute(
            "UPDATE objects SET data = ?, customer = COALESCE(?, customer), owner = COALESCE(?, owner) "
            "WHERE account = ? AND id = ?",
            (data, customer, owner, account, obj["id"]),
        )
        return data

    def mark_deleted(self, account: str, obj: dict[str, Any]) -> None:
        """Stripe keeps deleted customers/products retrievable as {id, object, deleted: true}."""
        self.flush()
        self.conn.execute("UPDATE objects SET deleted = 1, data = ? WHERE account = ? AND id = ?",
                          (orjson.dumps(obj), account, obj["id"]))
        self._seen.rows.pop((account, obj["id"]), None)

    def remove(self, account: str, object_id: str) -> None:
        self.flush()
        self.conn.execute("DELETE FROM objects WHERE account = ? AND id = ?", (account, object_id))
        self._seen.rows.pop((account, object_id), None)

    def seq_of(self, account: str, object_id: str) -> int | None:
        self.flush()
        row = self.conn.execute("SELECT seq FROM objects WHERE account = ? AND id = ?",
                                (account, object_id)).fetchone()
        return row[0] if row else None

    def select(self, account: str, object_type: str, *, where: str = "", args: tuple[Any, ...] = (),
               limit: int | None = None, after_seq: int | None = None, before_seq: int | None = None,
               oldest_first: bool = False, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Objects of one type, newest first (or oldest first), optionally around a cursor."""
        self._flush_for(object_type)
        sql = ["SELECT data FROM objects WHERE account = ? AND object = ?"]
        values: list[Any] = [account, object_type]
        if not include_deleted:
            sql.append("AND deleted = 0")
        if where:
            sql.append("AND " + where)
            values.extend(args)
        if after_seq is not None:
            sql.append("AND seq < ?")
            values.append(after_seq)
        if before_seq is not None:
            sql.append("AND seq > ?")
            values.append(before_seq)
        sql.append("ORDER BY seq " + ("ASC" if oldest_first or before_seq is not None else "DESC"))
        if limit is not None:
            sql.append("LIMIT ?")
            values.append(limit)
        rows = self.conn.execute(" ".join(sql), values).fetchall()
        objects = [orjson.loads(row[0]) for row in rows]
        if before_seq is not None and not oldest_first:
            objects.reverse()
        return objects

    # -- timer bookkeeping for objects created in this transaction ----------------------------------
    def may_have_timer(self, account: str, object_id: str, kind: str | None = None) -> bool:
        """False only when the object was created in this transaction and no timer of `kind` (any kind for
        None) was planned for it since: cancelling then needs no query."""
        key = (account, object_id)
        if not self._depth or key not in self._seen.created:
            return True
        kinds = self._seen.new_object_timers.get(key, {})
        return any(kinds.values()) if kind is None else kinds.get(kind, 0) > 0

    def note_timers(self, account: str, object_id: str, kind: str | None, change: int) -> None:
        """Count timers planned (+1), run (-1) or cancelled (reset, `change=0`) for an object created in this
        transaction (other objects are not tracked)."""
        key = (account, object_id)
        if not self._depth or key not in self._seen.created:
            return
        kinds = self._seen.new_object_timers.setdefault(key, {})
        if change == 0:
            if kind is None:
                kinds.clear()
            else:
                kinds.pop(kind, None)
        else:
            kinds[kind or ""] = max(0, kinds.get(kind or "", 0) + change)

    def _note_owner(self, key: tuple[str, str], object_type: str, owner: str) -> None:
        if self._seen.owner_of.get(key) != owner:
            self._seen.owner_of[key] = owner
            self._seen.created_by_owner.setdefault((key[0], object_type, owner), []).append(key[1])

    def select_owned(self, account: str, object_type: str, owner: str, *,
                     limit: int | None = None) -> list[dict[str, Any]]:
        """Objects of one type whose `owner` column is `owner`, newest first. For an owner created in this
        transaction the answer comes from memory (no query, no flush of held-back writes)."""
        if not (self._depth and (account, owner) in self._seen.created):
            return self.select(account, object_type, where="owner = ?", args=(owner,), limit=limit)
        found = []
        for object_id in reversed(self._seen.created_by_owner.get((account, object_type, owner), ())):
            if self._seen.owner_of.get((account, object_id)) != owner:
                continue  # moved to another owner since
            obj = self.get(account, object_id, object_type)
            if obj is not None and not obj.get("deleted"):
                found.append(obj)
                if limit is not None and len(found) == limit:
                    break
        return found

    def count(self, account: str, object_type: str, *, where: str = "", args: tuple[Any, ...] = ()) -> int:
        self._flush_for(object_type)
        sql = "SELECT COUNT(*) FROM objects WHERE account = ? AND object = ? AND deleted = 0"
        if where:
            sql += " AND " + where
        return self.conn.execute(sql, (account, object_type, *args)).fetchone()[0]

    # -- key/value rows in other tables ---------------------------------------------------------
    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Run one SQL statement; held-back writes go first when it touches objects, events or timers."""
        if (self._pending_objects or self._pending_events) and ("objects" in sql or "events" in sql):
            self.flush()
        if self.timer_batch is not None and "timers" in sql:
            self.timer_batch.write()
        return self.conn.execute(sql, args)
