"""`stripe-portal-emulator listen`: print events as they happen and forward them, like `stripe listen`.

It reads `/v1/events` of one account (by secret key) through the public API, oldest first from the moment
it starts, prints a line per event and POSTs each to `--forward-to` signed with a signing secret printed at
start (or given with `--secret`), so a local webhook handler verifies it with stripe.Webhook.construct_event.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from emulator import clock, ids
from emulator.webhooks import delivery, signing


class EventReader:
    """Pages through an account's new events in the order they were created."""

    def __init__(self, api_base: str, api_key: str) -> None:
        self.api_base = api_base.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
        self.cursor: str | None = None

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api_base}/v1/events?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Authorization": self.auth})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def start_from_now(self) -> None:
        latest = self._get({"limit": 1})["data"]
        self.cursor = latest[0]["id"] if latest else None

    def new_events(self) -> list[dict[str, Any]]:
        if not self.cursor:
            return self._first_events()
        found: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": 100}
            if self.cursor:
                params["ending_before"] = self.cursor
            page = self._get(params)
            batch = list(reversed(page["data"]))
            if not self.cursor and not batch:
                return found
            found.extend(batch)
            if batch:
                self.cursor = batch[-1]["id"]
            if not page["has_more"]:
                return found


    def _first_events(self) -> list[dict[str, Any]]:
        """Every event of an account that had none when listening began (all pages, oldest first)."""
        newest_first: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": 100}
            if newest_first:
                params["starting_after"] = newest_first[-1]["id"]
            page = self._get(params)
            newest_first.extend(page["data"])
            if not page["has_more"]:
                break
        if newest_first:
            self.cursor = newest_first[0]["id"]
        return list(reversed(newest_first))


def forward(event: dict[str, Any], url: str, secret: str) -> tuple[int | None, str | None]:
    payload = json.dumps(event, indent=2).encode()
    status, _, error = delivery.send(url, payload, signing.header(payload, secret, clock.wall_now()), 10)
    return status, error


def run(api_base: str, api_key: str, forward_to: str | None, secret: str | None, events: set[str] | None,
        echo: Callable[[str], None], poll_seconds: float = 0.25, stop_after: float | None = None) -> None:
    """Poll and print/forward until interrupted (or `stop_after` seconds, for tests)."""
    secret = secret or ids.new_secret("whsec_", 24)
    reader = EventReader(api_base, api_key)
    reader.start_from_now()
    echo(f"Ready! Your webhook signing secret is {secret} (^C to quit)")
    started = time.monotonic()
    while stop_after is None or time.monotonic() - started < stop_after:
        for event in reader.new_events():
            if events and event["type"] not in events:
                continue
            stamp = datetime.fromtimestamp(clock.wall_now(), timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            echo(f"{stamp}   --> {event['type']} [{event['id']}]")
            if forward_to:
                status, error = forward(event, forward_to, secret)
                echo(f"{stamp}  <--  [{status or 'ERR'}] POST {forward_to} [{event['id']}]"
                     + (f" {error}" if error else ""))
        time.sleep(poll_seconds)
