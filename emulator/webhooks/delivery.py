"""Sending queued deliveries: in order per endpoint, retried with capped exponential backoff, every attempt
recorded. Delivery state lives only in SQLite, so a restart resumes where it stopped and several worker
processes share the queue (a delivery is claimed before it is sent; only the oldest pending delivery of an
endpoint is ever claimable, which keeps per-endpoint order)."""

from __future__ import annotations

import http.client
import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

from emulator import clock
from emulator.context import Ctx
from emulator.events import EVENT_COLUMNS, row_to_event
from emulator.render import Renderer
from emulator.resources import accounts
from emulator.store import Store, connection_for
from emulator.webhooks import outbox, signing

log = logging.getLogger("emulator.webhooks")
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
EXCERPT_BYTES = 2000

# First attempts go out in the order the events happened, one at a time per endpoint; a delivery waiting for a
# retry does not hold back the ones after it (Stripe retries each event on its own and does not promise order).
_DUE = """
    SELECT d.id, d.account, d.event, d.endpoint, d.attempts FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.claimed_until IS NULL OR d.claimed_until < ?)
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.status = 'pending' AND x.endpoint = d.endpoint
                      AND x.id < d.id AND x.attempts = 0)
"""


class Deliverer:
    """Delivers what is due from one database, with the app's webhook settings."""

    def __init__(self, database: str, settings: dict[str, Any]) -> None:
        self.database = database
        self.settings = settings

    @property
    def store(self) -> Store:
        return Store(connection_for(self.database))

    def deliver_due(self, account: str | None = None) -> int:
        """Send every delivery that is due now (for one account, or all); returns how many were attempted."""
        attempted = 0
        while True:
            now = clock.wall_now_float()
            sql = _DUE + (" AND d.account = ?" if account else "") + " ORDER BY d.id"
            args: tuple[Any, ...] = (now, now, account) if account else (now, now)
            rows = self.store.execute(sql, args).fetchall()
            progressed = False
            for row in rows:
                if self._claim(row[0], now):
                    self._attempt(*row)
                    attempted += 1
                    progressed = True
            if not progressed:
                return attempted

    def _claim(self, delivery_id: int, now: float) -> bool:
        timeout = float(self.settings.get("WEBHOOK_TIMEOUT_SECONDS", 10))
        cursor = self.store.execute(
            "UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending' "
            "AND (claimed_until IS NULL OR claimed_until < ?)", (now + timeout + 5, delivery_id, now))
        return cursor.rowcount == 1

    def payload_for(self, account_id: str, event_id: str, endpoint: dict[str, Any]) -> bytes:
        """The event JSON as the endpoint receives it: rendered in the endpoint's API version (or the
        account's default), pending_webhooks counting deliveries not yet succeeded."""
        store = self.store
        account = accounts.load(store, account_id)
        row = store.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE account = ? AND id = ?",
                            (account_id, event_id)).fetchone()
        version = endpoint.get("api_version") or account.api_version
        ctx = Ctx(store=store, account=account, api_version=version, settings=self.settings)
        event = Renderer(ctx).render(row_to_event(row, version))
        return orjson.dumps(event, option=orjson.OPT_INDENT_2)

    def _attempt(self, delivery_id: int, account_id: str, event_id: str, endpoint_id: str, attempts: int) -> None:
        store = self.store
        endpoint = store.get(account_id, endpoint_id, "webhook_endpoint")
        secret_row = store.execute("SELECT secret FROM webhook_secrets WHERE account = ? AND endpoint = ?",
                                   (account_id, endpoint_id)).fetchone()
        if endpoint is None or endpoint.get("deleted") or endpoint.get("status") == "disabled" or secret_row is None:
            # A deleted or disabled endpoint gets no further attempts.
            store.execute("UPDATE webhook_deliveries SET status = 'canceled', claimed_until = NULL WHERE id = ?",
                          (delivery_id,))
            return
        payload = self.payload_for(account_id, event_id, endpoint)
        started = clock.wall_now_float()
        status_code, excerpt, error = send(endpoint["url"], payload, signing.header(
            payload, secret_row[0], clock.wall_now()), float(self.settings.get("WEBHOOK_TIMEOUT_SECONDS", 10)))
        duration_ms = (clock.wall_now_float() - started) * 1000
        attempts += 1
        ok = status_code is not None and 200 <= status_code < 300
        with store.transaction():
            store.execute(
                "INSERT INTO webhook_attempts (delivery, attempted_at, status_code, duration_ms, response_excerpt, "
                "error) VALUES (?, ?, ?, ?, ?, ?)", (delivery_id, started, status_code, duration_ms, excerpt, error))
            if ok:
                store.execute("UPDATE webhook_deliveries SET status = 'succeeded', attempts = ?, delivered_at = ?, "
                              "claimed_until = NULL WHERE id = ?", (attempts, clock.wall_now_float(), delivery_id))
            else:
                max_attempts = int(self.settings.get("WEBHOOK_MAX_ATTEMPTS", 10))
                delay = min(float(self.settings.get("WEBHOOK_RETRY_BASE_SECONDS", 2)) * 2 ** (attempts - 1),
                            float(self.settings.get("WEBHOOK_RETRY_MAX_SECONDS", 300)))
                status = "failed" if attempts >= max_attempts else "pending"
                store.execute("UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                              "claimed_until = NULL WHERE id = ?",
                              (status, attempts, clock.wall_now_float() + delay, delivery_id))
        if not ok:
            log.info("webhook %s to %s failed (%s); attempt %d", event_id, endpoint["url"], status_code or error,
                     attempts)


def send(url: str, payload: bytes, signature_header: str, timeout: float) -> tuple[int | None, str | None, str | None]:
    """POST the payload; (status code, response excerpt, error text)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = connection_class(parts.hostname or "localhost", parts.port, timeout=timeout)
        try:
            connection.request("POST", path, body=payload, headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header,
                "User-Agent": USER_AGENT,
                "Cache-Control": "no-cache",
                "Accept": "*/*; q=0.5, application/xml",
            })
            response = connection.getresponse()
            body = response.read(EXCERPT_BYTES)
            return response.status, body.decode("utf-8", "replace"), None
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as error:
        return None, None, f"{type(error).__name__}: {error}"


class DeliveryWorker:
    """The background thread of one process: wakes when deliveries are queued, polls for retries."""

    POLL_SECONDS = 0.25

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self.wakeup = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.deliverer.deliver_due()
            except Exception:  # keep the worker alive; the failure is logged and retried next round
                log.exception("webhook delivery round failed")
            self.wakeup.wait(self.POLL_SECONDS)
            self.wakeup.clear()


_workers: dict[tuple[int, str], DeliveryWorker] = {}
_workers_lock = threading.Lock()


def ensure_worker(database: str, settings: dict[str, Any]) -> None:
    """Start this process's delivery worker once (after a fork each gunicorn worker starts its own; claims
    in SQLite keep them from sending the same delivery twice)."""
    key = (os.getpid(), database)
    if key in _workers or settings.get("WEBHOOK_DELIVERY") != "background":
        return
    with _workers_lock:
        if key not in _workers:
            worker = DeliveryWorker(Deliverer(database, settings))
            _workers[key] = worker
            worker.start()


def _wake(ctx: Ctx) -> None:
    settings = ctx.settings
    mode = settings.get("WEBHOOK_DELIVERY")
    database = settings.get("DATABASE", "")
    if mode == "sync":
        Deliverer(database, settings).deliver_due(ctx.account_id)
        return
    worker = _workers.get((os.getpid(), database))
    if worker is not None:
        worker.wakeup.set()


outbox.on_queue(_wake)
