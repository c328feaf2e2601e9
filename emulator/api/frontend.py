"""The WSGI front of the /v1 API: routes a request straight to its operation.

Flask's request machinery (request context, URL adapter, before/after hooks, Response objects) costs more
than a typical emulated call itself, so /v1 requests in Stripe's usual form (GET, POST with a form body,
DELETE) are answered here with the same `run_operation` the Flask views use. Anything else (an unknown
path or method, another content type, HEAD/OPTIONS) goes on to Flask, which answers exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import HTTP_STATUS_CODES

from emulator.api import FORM_CONTENT_TYPE, OPERATIONS, ApiRequest, Operation, run_operation

FAST_METHODS = ("GET", "POST", "DELETE")


class Router:
    """Operations by method and path; a path segment in `<...>` matches any non-empty segment, and static
    segments win over placeholders (as Werkzeug orders `/v1/customers/search` before `/v1/customers/<id>`)."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._routes: dict[tuple[str, int, str], list[tuple[tuple[str | None, ...], Operation]]] = {}
        for op in operations:
            segments = tuple(None if part.startswith("<") else part for part in op.path.split("/"))
            key = (op.method, len(segments), segments[2] or "")
            self._routes.setdefault(key, []).append((segments, op))
        for candidates in self._routes.values():
            # More static segments first, then static segments earlier in the path.
            candidates.sort(key=lambda entry: [part is None for part in entry[0]])

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        parts = path.split("/")
        if len(parts) < 3:
            return None
        for segments, op in self._routes.get((method, len(parts), parts[2]), ()):
            args: dict[str, str] = {}
            for index, expected in enumerate(segments):
                part = parts[index]
                if expected is None:
                    if not part:
                        break
                    name = op.path.split("/")[index][1:-1].split(":")[-1]
                    args[name] = part
                elif expected != part:
                    break
            else:
                return op, args
        return None


class ApiFrontend:
    """WSGI middleware: answers /v1 calls itself, hands everything else to the Flask app."""

    def __init__(self, flask_wsgi: Callable[..., Any], config: Mapping[str, Any],
                 on_request: Callable[[], None]) -> None:
        self.flask_wsgi = flask_wsgi
        self.config = config
        self.on_request = on_request
        self.router = Router(OPERATIONS)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if method not in FAST_METHODS or not path.startswith("/v1/"):
            return self.flask_wsgi(environ, start_response)
        content_type = environ.get("CONTENT_TYPE", "")
        if method == "POST" and content_type and not content_type.startswith(FORM_CONTENT_TYPE):
            return self.flask_wsgi(environ, start_response)
        path = path.encode("latin-1").decode("utf-8", "replace")
        found = self.router.match(method, path)
        if found is None:
            return self.flask_wsgi(environ, start_response)
        op, path_args = found
        self.on_request()
        if method == "POST":
            length = environ.get("CONTENT_LENGTH") or "0"
            body = environ["wsgi.input"].read(int(length)) if length.isdigit() and int(length) else b""
            query = body.decode("utf-8", "replace")  # raw (unescaped) UTF-8 text reads as such
        else:
            query = environ.get("QUERY_STRING", "")
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace")
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT')}"
        api_request = ApiRequest(method, path, EnvironHeaders(environ), pairs,
                                 f"{environ.get('wsgi.url_scheme', 'http')}://{host}")
        answer = run_operation(self.config, api_request, op, path_args)
        start_response(f"{answer.status} {HTTP_STATUS_CODES.get(answer.status, 'Unknown')}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(answer.body))),
                        *answer.headers])
        return [answer.body]
