"""The lifecycle engine: what happens when time moves.

Resources schedule timers (renew a subscription at its period end, finalize a draft invoice an hour after
it was created, expire an incomplete subscription after 23 hours, warn 3 days before a trial ends, retry a
failed payment...). A timer belongs to an account and, for objects on a test clock, to that clock. Running
the engine up to a moment pops the due timers in time order (ties in creation order) and calls the handler
registered for the timer's kind at the timer's own moment, so every transition happens exactly when Stripe
would have done it live, with events dated then. A timer is deleted in the same transaction as its
transition, so each transition happens once, completely or not at all.

Objects on test clocks move when the clock is advanced; the others move with the account's time (wall time
plus the account's shift) through a scheduler thread (leased in SQLite: one process runs it) and a catch-up
before each API request of the account.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from emulator import clock, events
from emulator.context import Ctx
from emulator.store import Store
from emulator.timers import begin_batch, next_due

log = logging.getLogger("emulator.engine")

Handler = Callable[[Ctx, str, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
# Transitions processed per transaction while catching up (all-or-nothing per batch).
BATCH = 500


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register what a timer of `kind` does: fn(ctx at the timer's moment, object id, payload)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def run_until(ctx: Ctx, until: int, *, test_clock: str | None = None,
              progress: Callable[[int], None] | None = None) -> int:
    """Run every transition due up to `until` (for one test clock, or the account's clock-less objects), in
    order, committing in batches. Must be called outside a transaction. Returns how many ran."""
    store = ctx.store
    ran = 0
    # A long run re-reads the webhook endpoints per transaction rather than trusting the request's first look.
    ctx.memo.pop("no_webhook_endpoints", None)
    while True:
        with store.transaction():
            batch = begin_batch(store, ctx.account_id, test_clock, until, BATCH)
            count = 0
            while count < BATCH:
                row = batch.pop()
                if row is None:
                    break
                due_at, _timer_id, kind, object_id, payload = row
                store.note_timers(ctx.account_id, object_id, kind, -1)
                fn = HANDLERS.get(kind)
                if fn is None:
                    log.warning("no handler for timer kind %s (object %s); dropped", kind, object_id)
                else:
                    fn(ctx.at(due_at), object_id, orjson.loads(payload) if payload else {})
                count += 1
            more = count == BATCH or batch.horizon is not None
        ran += count
        if progress is not None and count:
            progress(ran)
        if not more:
            return ran


def catch_up(ctx: Ctx) -> int:
    """Run what is due for the account's objects that are not on a test clock (before each request)."""
    now = ctx.now()
    if next_due(ctx.store, ctx.account_id, None, now) is None:
        return 0
    return run_until(ctx, now)


# -- the scheduler thread -------------------------------------------------------------------------------
class Scheduler:
    """Runs due clock-less transitions for every account, in one process at a time (SQLite lease)."""

    POLL_SECONDS = 1.0
    LEASE_SECONDS = 10.0

    def __init__(self, database: str, settings: dict[str, Any]) -> None:
        self.database = database
        self.settings = settings
        self.holder = f"{os.getpid()}:{id(self)}"
        self.stopped = threading.Event()

    def _store(self) -> Store:
        from emulator.store import connection_for

        return Store(connection_for(self.database))

    def acquire(self, store: Store) -> bool:
        now = clock.wall_now_float()
        store.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES ('scheduler', ?, ?) ON CONFLICT(name) DO UPDATE "
            "SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
            (self.holder, now + self.LEASE_SECONDS, now))
        row = store.execute("SELECT holder FROM leases WHERE name = 'scheduler'").fetchone()
        return row is not None and row[0] == self.holder

    def run_once(self) -> int:
        from emulator.resources import accounts

        store = self._store()
        if not self.acquire(store):
            return 0
        prune_idempotency_keys(store, float(self.settings.get("IDEMPOTENCY_TTL_SECONDS", 86400)))
        ran = 0
        rows = store.execute(
            "SELECT a.id FROM accounts a WHERE EXISTS (SELECT 1 FROM timers t WHERE t.account = a.id AND "
            "t.clock IS NULL AND t.due_at <= ? + a.clock_offset)", (clock.wall_now(),)).fetchall()
        for (account_id,) in rows:
            account = accounts.load(store, account_id)
            ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=self.settings)
            ran += catch_up(ctx)
        return ran

    def loop(self) -> None:
        while not self.stopped.is_set():
            try:
                self.run_once()
            except Exception:  # keep scheduling; the failed transition stays due and is retried
                log.exception("scheduler round failed")
            self.stopped.wait(self.POLL_SECONDS)


def prune_idempotency_keys(store: Store, ttl_seconds: float) -> int:
    """Stripe prunes idempotency keys after at least 24 hours; reusing a pruned key is a new request. Keys
    are dated in their account's time (wall time plus the account's shift)."""
    cursor = store.execute(
        "DELETE FROM idempotency_keys WHERE created < ? + (SELECT clock_offset FROM accounts "
        "WHERE accounts.id = idempotency_keys.account) - ?", (clock.wall_now(), ttl_seconds))
    return cursor.rowcount


_schedulers: dict[tuple[int, str], Scheduler] = {}
_lock = threading.Lock()


def ensure_scheduler(database: str, settings: dict[str, Any]) -> None:
    """Start this process's scheduler thread once; resume test clocks left advancing by a crash."""
    key = (os.getpid(), database)
    if key in _schedulers or not settings.get("SCHEDULER", True):
        return
    with _lock:
        if key in _schedulers:
            return
        scheduler = _schedulers[key] = Scheduler(database, settings)
    resume_interrupted_advances(scheduler._store(), settings)
    threading.Thread(target=scheduler.loop, name="scheduler", daemon=True).start()


def resume_interrupted_advances(store: Store, settings: dict[str, Any]) -> None:
    """A crash mid-advance left a clock `advancing`: finish its advance (every transition is atomic)."""
    from emulator.resources import accounts, test_clocks

    rows = store.execute("SELECT account, id FROM objects WHERE object = ? AND deleted = 0 AND "
                         "json_extract(data, '$.status') = 'advancing'", (test_clocks.OBJECT,)).fetchall()
    for account_id, clock_id in rows:
        account = accounts.load(store, account_id)
        ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=settings)
        try:
            finish_advance(ctx, clock_id)
        except Exception:
            log.exception("could not resume the advance of %s", clock_id)


def finish_advance(ctx: Ctx, clock_id: str) -> dict[str, Any]:
    """Run the clock's transitions up to its target, then mark it ready (outside any transaction; each batch
    of transitions commits on its own, so a crash resumes from the last committed transition)."""
    from emulator.resources import test_clocks

    test_clock = test_clocks.require(ctx, clock_id)
    if test_clock["status"] != "advancing":
        return test_clock
    target = test_clock["status_details"]["advancing"]["target_frozen_time"]
    run_until(ctx, target, test_clock=clock_id)
    with ctx.store.transaction():
        # Stripe reports `ready` on its own once the advance is done: no request is attached.
        return test_clocks.complete_advance(replace(ctx, request_id=None, idempotency_key=None), clock_id)


# -- what each kind of timer does ------------------------------------------------------------------------
def _register_handlers() -> None:
    from emulator.resources import invoices, subscription_schedules, subscriptions

    # Transitions that are one resource function of the object id.
    simple: dict[str, Callable[[Ctx, str], Any]] = {
        "subscription.renew": subscriptions.renew,
        "subscription.cancel": subscriptions.cancel_at_due,
        "subscription.expire_incomplete": subscriptions.expire_incomplete,
        "subscription.trial_will_end": subscriptions.trial_will_end,
        "subscription.pending_update_expire": subscriptions.expire_pending_update,
        "subscription.upcoming": subscriptions.upcoming,
        "subscription.resume_collection": subscriptions.resume_collection,
        "schedule.start": subscription_schedules.start_due,
        "schedule.phase": subscription_schedules.advance_phase,
        "schedule.expiring": subscription_schedules.expiring,
        "invoice.overdue": invoices.overdue,
    }
    for kind, fn in simple.items():
        handler(kind)(lambda ctx, object_id, payload, fn=fn: fn(ctx, object_id))

    @handler("invoice.finalize")
    def finalize(ctx: Ctx, invoice_id: str, payload: dict[str, Any]) -> None:
        invoice = ctx.store.get(ctx.account_id, invoice_id, "invoice")
        if invoice is None or invoice["status"] != "draft" or not invoice["auto_advance"]:
            return
        invoice = invoices.finalize(ctx, invoice_id)
        if invoice["status"] == "open" and invoice["collection_method"] == "charge_automatically":
            invoices.attempt_payment(ctx, invoice_id, off_session=True)
        elif invoice["status"] == "open":
            events.emit(ctx, "invoice.sent", invoice)  # send_invoice: Stripe emails the finalized invoice

    @handler("invoice.retry")
    def retry(ctx: Ctx, invoice_id: str, payload: dict[str, Any]) -> None:
        invoice = ctx.store.get(ctx.account_id, invoice_id, "invoice")
        if invoice is not None and invoice["status"] == "open":
            invoices.attempt_payment(ctx, invoice_id, off_session=True)


_register_handlers()
