"""Serving the app: emulator.http_server for one process, gunicorn for `--workers N > 1`.

FastRequestHandler is kept for Werkzeug-based set-ups (benchmark comparisons): http.server writes the
headers and the body separately, and without TCP_NODELAY the second write waits for the client's delayed
ACK (~40 ms per request).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from emulator.http_server import WSGIServer

log = logging.getLogger("emulator.serving")


class FastRequestHandler(WSGIRequestHandler):
    """Keep-alive, no Nagle delay, request logging only at DEBUG."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if log.isEnabledFor(logging.DEBUG):
            super().log_request(code, size)


def build_server(app: Flask, host: str, port: int) -> WSGIServer:
    """A ready (bound) threaded server; call serve_forever() on it."""
    return WSGIServer(app, host, port)


def serve(app: Flask, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted. With several workers every piece of state is in SQLite (WAL), so gunicorn
    processes share one database file safely."""
    if workers <= 1:
        server = build_server(app, host, port)
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
                "keepalive": 30, "accesslog": None, "loglevel": "warning", "timeout": 120,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    _Gunicorn().run()
