"""Timers: what resources plan to happen later (renewals, draft finalization, expiries, retries). Resources
schedule and cancel them; emulator.engine runs them when their moment comes.

While the engine runs a batch of transitions (one transaction), a `DueBatch` holds that batch's timers in
memory: the due ones in a heap, and the complete timer set of every object the batch has touched. Popping,
scheduling and cancelling then cost no query; the batch's inserts and deletes are written in bulk when the
store flushes (at commit, or before any query of the timers table).
"""

from __future__ import annotations

import heapq
from typing import Any

import orjson

from emulator.context import Ctx
from emulator.store import Store

# (due_at, id, kind, object_id, payload): a timer as the engine runs it; ties run in creation (id) order.
TimerRow = tuple[int, int, str, str, bytes | None]


class DueBatch:
    """The timers of one engine batch (an account's test clock, or its clock-less objects, up to `until`)."""

    def __init__(self, store: Store, account: str, test_clock: str | None, until: int, limit: int) -> None:
        self.store = store
        self.account = account
        self.clock = test_clock
        self.until = until
        clock_clause = "clock IS NULL" if test_clock is None else "clock = ?"
        args = (account, until, limit) if test_clock is None else (account, test_clock, until, limit)
        rows = store.execute(
            f"SELECT due_at, id, kind, object_id, payload FROM timers WHERE account = ? AND {clock_clause} "
            "AND due_at <= ? ORDER BY due_at, id LIMIT ?", args).fetchall()
        self.heap: list[TimerRow] = [tuple(row) for row in rows]  # type: ignore[misc]  # already in heap order
        # Rows past the last one loaded were left in the database: nothing after it may run in this batch.
        self.horizon: tuple[int, int] | None = (rows[-1][0], rows[-1][1]) if len(rows) == limit else None
        self.dead: set[int] = set()
        # object id -> {timer id: kind} for objects whose whole timer set is known (see _timers_of).
        self.objects: dict[str, dict[int, str]] = {}
        self.inserts: list[tuple[Any, ...]] = []
        self.deletes: list[tuple[int]] = []
        self.removed: set[int] = set()  # deleted by this batch (some maybe not written yet)
        row = store.execute("SELECT seq FROM sqlite_sequence WHERE name = 'timers'").fetchone()
        self.last_id = max(row[0] if row else 0, rows[-1][1] if rows else 0)

    # -- what the engine runs ------------------------------------------------------------------------
    def pop(self) -> TimerRow | None:
        """The next timer to run (deleted with the batch), or None when the batch has run what it may."""
        while self.heap:
            head = self.heap[0]
            if self.horizon is not None and (head[0], head[1]) > self.horizon:
                return None
            heapq.heappop(self.heap)
            if head[1] in self.dead:
                continue
            self._delete(head[1], head[3])
            return head
        return None

    # -- what resources do -----------------------------------------------------------------------------
    def schedule(self, kind: str, object_id: str, due_at: int, test_clock: str | None,
                 payload: bytes | None) -> None:
        timers = self._timers_of(object_id)
        self.last_id += 1
        timer_id = self.last_id
        self.inserts.append((timer_id, self.account, test_clock, due_at, kind, object_id, payload))
        timers[timer_id] = kind
        if test_clock == self.clock and due_at <= self.until:
            heapq.heappush(self.heap, (due_at, timer_id, kind, object_id, payload))

    def cancel(self, kinds: tuple[str, ...] | None, object_id: str) -> None:
        timers = self._timers_of(object_id)
        for timer_id, kind in list(timers.items()):
            if kinds is None or kind in kinds:
                self._delete(timer_id, object_id)
                self.dead.add(timer_id)

    def _timers_of(self, object_id: str) -> dict[int, str]:
        """The object's pending timers, read once per batch (an object created in this transaction with no
        timer planned has none: no query)."""
        timers = self.objects.get(object_id)
        if timers is None:
            timers = {}
            if self.store.may_have_timer(self.account, object_id):
                for timer_id, kind in self.store.conn.execute(
                        "SELECT id, kind FROM timers WHERE account = ? AND object_id = ?", (self.account, object_id)):
                    if timer_id not in self.removed:
                        timers[timer_id] = kind
            self.objects[object_id] = timers
        return timers

    def _delete(self, timer_id: int, object_id: str) -> None:
        self.deletes.append((timer_id,))
        self.removed.add(timer_id)
        timers = self.objects.get(object_id)
        if timers is not None:
            timers.pop(timer_id, None)

    def write(self) -> None:
        """Write the batch's new and run or cancelled timers (inserts first: a timer may come and go)."""
        if self.inserts:
            inserts, self.inserts = self.inserts, []
            self.store.conn.executemany(
                "INSERT INTO timers (id, account, clock, due_at, kind, object_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                inserts)
        if self.deletes:
            deletes, self.deletes = self.deletes, []
            self.store.conn.executemany("DELETE FROM timers WHERE id = ?", deletes)


def begin_batch(store: Store, account: str, test_clock: str | None, until: int, limit: int) -> DueBatch:
    """Load the due timers for one engine batch; the store keeps the batch until its transaction ends."""
    batch = DueBatch(store, account, test_clock, until, limit)
    store.timer_batch = batch
    return batch


def _batch_for(ctx: Ctx) -> DueBatch | None:
    batch = ctx.store.timer_batch
    if batch is None or batch.account != ctx.account_id or ctx.store.discarding:
        return None
    return batch


def schedule(ctx: Ctx, kind: str, object_id: str, due_at: int, *, test_clock: str | None = None,
             payload: dict[str, Any] | None = None, replace: bool = True) -> None:
    """Plan `kind` for `object_id` at `due_at` (replacing an earlier plan of the same kind by default)."""
    if replace:
        cancel(ctx, kind, object_id)
    data = orjson.dumps(payload) if payload else None
    batch = _batch_for(ctx)
    if batch is not None:
        batch.schedule(kind, object_id, due_at, test_clock, data)
    else:
        ctx.store.execute(
            "INSERT INTO timers (account, clock, due_at, kind, object_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
            (ctx.account_id, test_clock, due_at, kind, object_id, data))
    ctx.store.note_timers(ctx.account_id, object_id, kind, +1)


def cancel(ctx: Ctx, kind: str | None, object_id: str) -> None:
    """Drop pending timers of `kind` (or all kinds) for the object."""
    cancel_kinds(ctx, None if kind is None else (kind,), object_id)


def cancel_kinds(ctx: Ctx, kinds: tuple[str, ...] | None, object_id: str) -> None:
    """Drop pending timers of several kinds (all kinds for None) for the object."""
    store = ctx.store
    if not (any(store.may_have_timer(ctx.account_id, object_id, kind) for kind in kinds) if kinds is not None
            else store.may_have_timer(ctx.account_id, object_id)):
        return
    for kind in kinds or (None,):
        store.note_timers(ctx.account_id, object_id, kind, 0)
    batch = _batch_for(ctx)
    if batch is not None:
        batch.cancel(kinds, object_id)
    elif kinds is None:
        store.execute("DELETE FROM timers WHERE account = ? AND object_id = ?", (ctx.account_id, object_id))
    else:
        store.execute(f"DELETE FROM timers WHERE account = ? AND object_id = ? AND kind IN "
                      f"({','.join('?' * len(kinds))})", (ctx.account_id, object_id, *kinds))


def pending(ctx: Ctx, object_id: str) -> list[tuple[str, int]]:
    """(kind, due_at) of the object's pending timers, soonest first."""
    return [tuple(row) for row in ctx.store.execute(  # type: ignore[misc]
        "SELECT kind, due_at FROM timers WHERE account = ? AND object_id = ? ORDER BY due_at, id",
        (ctx.account_id, object_id)).fetchall()]


def next_due(store: Store, account: str, test_clock: str | None, until: int) -> tuple[Any, ...] | None:
    """The next due timer without taking it (is there anything to run?)."""
    if test_clock is None:
        return store.execute("SELECT id, due_at, kind, object_id, payload FROM timers WHERE account = ? AND clock "
                             "IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT 1", (account, until)).fetchone()
    return store.execute("SELECT id, due_at, kind, object_id, payload FROM timers WHERE account = ? AND clock = ? "
                         "AND due_at <= ? ORDER BY due_at, id LIMIT 1", (account, test_clock, until)).fetchone()
