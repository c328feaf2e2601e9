"""Timers: what resources plan to happen later (renewals, draft finalization, expiries, retries). Resources
schedule and cancel them; emulator.engine runs them when their moment comes."""

from __future__ import annotations

from typing import Any

import orjson

from emulator.context import Ctx
from emulator.store import Store


def schedule(ctx: Ctx, kind: str, object_id: str, due_at: int, *, test_clock: str | None = None,
             payload: dict[str, Any] | None = None, replace: bool = True) -> None:
    """Plan `kind` for `object_id` at `due_at` (replacing an earlier plan of the same kind by default)."""
    if replace:
        cancel(ctx, kind, object_id)
    ctx.store.execute(
        "INSERT INTO timers (account, clock, due_at, kind, object_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.account_id, test_clock, due_at, kind, object_id, orjson.dumps(payload) if payload else None))
    ctx.store.note_timers(ctx.account_id, object_id, kind, +1)


def cancel(ctx: Ctx, kind: str | None, object_id: str) -> None:
    """Drop pending timers of `kind` (or all kinds) for the object."""
    if not ctx.store.may_have_timer(ctx.account_id, object_id, kind):
        return
    ctx.store.note_timers(ctx.account_id, object_id, kind, 0)
    if kind is None:
        ctx.store.execute("DELETE FROM timers WHERE account = ? AND object_id = ?", (ctx.account_id, object_id))
    else:
        ctx.store.execute("DELETE FROM timers WHERE account = ? AND object_id = ? AND kind = ?",
                          (ctx.account_id, object_id, kind))


def cancel_kinds(ctx: Ctx, kinds: tuple[str, ...], object_id: str) -> None:
    """Drop pending timers of several kinds for the object in one statement."""
    if not any(ctx.store.may_have_timer(ctx.account_id, object_id, kind) for kind in kinds):
        return
    for kind in kinds:
        ctx.store.note_timers(ctx.account_id, object_id, kind, 0)
    ctx.store.execute(f"DELETE FROM timers WHERE account = ? AND object_id = ? AND kind IN "
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


def pop_due(store: Store, account: str, test_clock: str | None, until: int) -> tuple[Any, ...] | None:
    """Take the next due timer (deleted in the same statement): (id, due_at, kind, object_id, payload)."""
    clock_clause = "clock IS NULL" if test_clock is None else "clock = ?"
    args = (account, until) if test_clock is None else (account, test_clock, until)
    return store.execute(
        f"DELETE FROM timers WHERE id = (SELECT id FROM timers WHERE account = ? AND {clock_clause} AND due_at <= ? "
        "ORDER BY due_at, id LIMIT 1) RETURNING id, due_at, kind, object_id, payload", args).fetchone()
