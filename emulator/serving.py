"""Serving the app: emulator.http_server for one process, gunicorn (gthread, keep-alive) for
`--workers N > 1`, all processes sharing the one SQLite file."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask

from emulator.http_server import WSGIServer


def build_server(app: Flask, host: str, port: int) -> WSGIServer:
    """A ready (bound) threaded server; call serve_forever() on it."""
    return WSGIServer(app, host, port)


def tune_garbage_collector() -> None:
    """Requests allocate many short-lived JSON containers without reference cycles (freed as soon as they
    are dropped); Python's default collector still walks the young generation every 700 allocations and
    the whole heap (the loaded app) now and then, about a tenth of a test-clock renewal's cost. Freeze what
    is loaded at start-up and collect less often."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def serve(app: Flask, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted. With several workers every piece of state is in SQLite (WAL), so gunicorn
    processes share one database file safely."""
    tune_garbage_collector()
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
