"""Append-only schema migrations. Never edit one that has shipped; add a new one."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_core(db: sqlite_utils.Database) -> None:
    _run(db, """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            secret_key TEXT NOT NULL UNIQUE,
            publishable_key TEXT NOT NULL UNIQUE,
            api_version TEXT NOT NULL,
            clock_offset INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL,
            settings BLOB
        );
        CREATE TABLE objects (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            id TEXT NOT NULL,
            object TEXT NOT NULL,
            created INTEGER NOT NULL,
            customer TEXT,
            owner TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            data BLOB NOT NULL
        );
        CREATE UNIQUE INDEX objects_account_id ON objects (account, id);
        CREATE INDEX objects_account_type ON objects (account, object, seq);
        CREATE INDEX objects_customer ON objects (account, customer, object, seq) WHERE customer IS NOT NULL;
        CREATE INDEX objects_owner ON objects (account, owner, object, seq) WHERE owner IS NOT NULL;
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            created INTEGER NOT NULL,
            object_id TEXT NOT NULL,
            request_id TEXT,
            idempotency_key TEXT,
            object BLOB NOT NULL,
            previous_attributes BLOB
        );
        CREATE INDEX events_account ON events (account, seq);
        CREATE INDEX events_account_type ON events (account, type, seq);
        CREATE TABLE idempotency_keys (
            account TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (account, key)
        );
        """)


def _run(db: sqlite_utils.Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction half-way; run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration not yet recorded in `_migrations`, each in its own transaction."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    applied = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    for name, fn in MIGRATIONS:
        if name in applied:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone() is None:
                fn(db)
                db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", [name])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


@migration
def m002_webhooks(db: sqlite_utils.Database) -> None:
    _run(db, """
        CREATE TABLE webhook_secrets (
            account TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            secret TEXT NOT NULL,
            PRIMARY KEY (account, endpoint)
        );
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            event TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            claimed_until REAL,
            created REAL NOT NULL,
            delivered_at REAL
        );
        CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (status, endpoint, id);
        CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event);
        CREATE TABLE webhook_attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            delivery INTEGER NOT NULL,
            attempted_at REAL NOT NULL,
            status_code INTEGER,
            duration_ms REAL NOT NULL,
            response_excerpt TEXT,
            error TEXT
        );
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery);
    """)


@migration
def m003_timers(db: sqlite_utils.Database) -> None:
    _run(db, """
        CREATE TABLE timers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            clock TEXT,
            due_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            object_id TEXT NOT NULL,
            payload BLOB
        );
        CREATE INDEX timers_due ON timers (account, clock, due_at, id);
        CREATE INDEX timers_object ON timers (account, object_id, kind);
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL
        )
    """)


@migration
def m004_internal_marks(db: sqlite_utils.Database) -> None:
    # Facts Stripe keeps internally and never shows in objects (e.g. which surface created a schedule).
    _run(db, """
        CREATE TABLE internal_marks (
            account TEXT NOT NULL,
            object_id TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (account, object_id, name)
        )
    """)


@migration
def m010_meter_events(db: sqlite_utils.Database) -> None:
    # Billing meter events, kept outside `objects` so period sums are one indexed query.
    _run(db, """
        CREATE TABLE meter_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            meter TEXT NOT NULL,
            event_name TEXT NOT NULL,
            customer TEXT NOT NULL,
            identifier TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            value INTEGER NOT NULL,
            created INTEGER NOT NULL,
            canceled INTEGER NOT NULL DEFAULT 0,
            payload BLOB NOT NULL
        );
        CREATE UNIQUE INDEX meter_events_identifier ON meter_events (account, identifier);
        CREATE INDEX meter_events_usage ON meter_events (account, meter, customer, timestamp)
    """)


@migration
def m017_portal_login(db: sqlite_utils.Database) -> None:
    # The portal's one-time passcodes (login page and expired-session recovery): the emulator's "mailbox",
    # read back through the control API. A configuration's login page is found from its URL's id, across
    # accounts, through its `login_page` internal mark (a partial index keeps that lookup cheap).
    _run(db, """
        CREATE TABLE portal_login_codes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            purpose TEXT NOT NULL,
            configuration TEXT NOT NULL,
            session TEXT,
            customer TEXT NOT NULL,
            email TEXT NOT NULL,
            code TEXT NOT NULL,
            created INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL
        );
        CREATE INDEX portal_login_codes_account ON portal_login_codes (account, seq);
        CREATE INDEX internal_marks_login_page ON internal_marks (value) WHERE name = 'login_page'
    """)


@migration
def m018_subscription_clock_owner(db: sqlite_utils.Database) -> None:
    # A subscription on a test clock has the clock in its `owner` column, so each advance finds the clock's
    # subscriptions (Stripe's advance limit) through the owner index instead of parsing every subscription.
    _run(db, """
        UPDATE objects SET owner = json_extract(data, '$.test_clock')
        WHERE object = 'subscription' AND owner IS NULL AND json_extract(data, '$.test_clock') IS NOT NULL
    """)
