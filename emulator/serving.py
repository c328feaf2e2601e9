"""Serving the app: emulator.http_server for one process, gunicorn (gthread, keep-alive) for
`--workers N > 1`, all processes sharing the one SQLite file."""

from __future__ import annotations

from typing import Any

from flask import Flask

from emulator.http_server import WSGIServer


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
