"""A real HTTP receiver for webhook tests: records every delivery, answers with scripted status codes."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    path: str


@dataclass
class WebhookReceiver:
    """Serves on a free loopback port; `statuses` are answered in turn (then 200); events of `failing_types`
    are always answered 500."""

    statuses: list[int] = field(default_factory=list)
    failing_types: set[str] = field(default_factory=set)
    deliveries: list[Delivery] = field(default_factory=list)
    delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.deliveries.append(Delivery(body, dict(self.headers.items()), self.path))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if receiver.failing_types and json.loads(body).get("type") in receiver.failing_types:
                        status = 500
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                payload = b"ok" if status < 300 else b"receiver says no"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
