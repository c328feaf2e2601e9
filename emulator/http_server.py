"""A small threaded HTTP/1.1 server for WSGI apps, built for request latency on loopback.

Werkzeug's development server (http.server underneath) costs ~1.7 ms per request before the app runs,
more than the whole emulator's work for most Stripe calls. This server parses the request line and headers
by hand, keeps connections alive (the SDKs reuse them), writes each response with one `sendall` (so no
write waits for a delayed ACK) and sets TCP_NODELAY. One thread per connection; bodies with Content-Length
or chunked transfer encoding; `Expect: 100-continue` answered. Responses are buffered whole, which suits an
API that answers with small JSON documents and server-rendered pages.
"""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("emulator.http")

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 75
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 408: "Request Timeout", 411: "Length Required",
            413: "Payload Too Large", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
            505: "HTTP Version Not Supported"}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Connection:
    """Reads requests off one socket; keeps unread bytes between pipelined/keep-alive requests."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def read_head(self) -> bytes | None:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
                return head
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise BadRequest(431, "request headers too large")
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buffer.strip():
                    raise BadRequest(400, "connection closed mid-request")
                return None
            self.buffer += chunk
            if self.buffer.startswith(b"\r\n"):
                self.buffer = self.buffer.lstrip(b"\r\n")

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(max(65536, size - len(self.buffer)))
            if not chunk:
                raise BadRequest(400, "connection closed mid-body")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise BadRequest(400, "chunk header too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BadRequest(400, "connection closed mid-body")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_text = self.read_line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest(400, "invalid chunk size") from None
            if size == 0:
                while self.read_line():
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise BadRequest(413, "request body too large")
            parts.append(self.read_exact(size))
            self.read_exact(2)


class WSGIServer:
    """Serve `app` on (host, port); port 0 picks a free one (see `server_port`)."""

    def __init__(self, app: WSGIApp, host: str, port: int) -> None:
        self.app = app
        self.socket = socket.create_server((host, port), backlog=128, reuse_port=False)
        self.server_address = self.socket.getsockname()[:2]
        self.server_port: int = self.server_address[1]
        self.host = host
        self._shutdown = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        self.socket.settimeout(0.5)
        try:
            while not self._shutdown.is_set():
                try:
                    conn, address = self.socket.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self._shutdown.is_set():
                        break
                    raise
                thread = threading.Thread(target=self._serve_connection, args=(conn, address), daemon=True)
                thread.start()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self._shutdown.set()
        self._stopped.wait(5)

    def server_close(self) -> None:
        self.socket.close()

    # -- one connection ---------------------------------------------------------------------------
    def _serve_connection(self, sock: socket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(IDLE_TIMEOUT_SECONDS)
        connection = _Connection(sock)
        try:
            while True:
                try:
                    keep_alive = self._serve_request(connection, address)
                except BadRequest as error:
                    self._send_plain(sock, error.status, str(error))
                    return
                if not keep_alive:
                    return
        except (ConnectionError, TimeoutError, OSError):
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _serve_request(self, connection: _Connection, address: tuple[str, int]) -> bool:
        head = connection.read_head()
        if head is None:
            return False
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise BadRequest(400, "malformed request line") from None
        if not version.startswith("HTTP/1."):
            raise BadRequest(505, "HTTP version not supported")
        headers: dict[str, str] = {}
        environ: dict[str, Any] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(400, "malformed header line")
            name = name.strip()
            value = value.strip()
            lower = name.lower()
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
            key = "HTTP_" + name.upper().replace("-", "_")
            if lower not in ("content-type", "content-length"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if headers.get("expect", "").lower() == "100-continue":
            connection.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = connection.read_chunked()
        else:
            length_text = headers.get("content-length", "0") or "0"
            try:
                length = int(length_text)
            except ValueError:
                raise BadRequest(400, "invalid Content-Length") from None
            if length < 0:
                raise BadRequest(400, "invalid Content-Length")
            if length > MAX_BODY_BYTES:
                raise BadRequest(413, "request body too large")
            body = connection.read_exact(length) if length else b""
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        from urllib.parse import unquote_to_bytes

        environ.update({
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.server_port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": address[0],
            "REMOTE_PORT": str(address[1]),
            "CONTENT_LENGTH": str(len(body)) if body or "content-length" in headers else "",
            "CONTENT_TYPE": headers.get("content-type", ""),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        })
        connection_header = headers.get("connection", "").lower()
        keep_alive = ("close" not in connection_header) if version == "HTTP/1.1" else ("keep-alive" in connection_header)
        status_line, response_headers, payload = self._call_app(environ)
        if method == "HEAD":
            payload = b""
        lines_out = [f"HTTP/1.1 {status_line}"]
        has_length = False
        for name, value in response_headers:
            if name.lower() == "content-length":
                has_length = True
            if name.lower() == "connection":
                continue
            lines_out.append(f"{name}: {value}")
        if not has_length:
            lines_out.append(f"Content-Length: {len(payload)}")
        lines_out.append("Connection: keep-alive" if keep_alive else "Connection: close")
        connection.sock.sendall(("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1") + payload)
        return keep_alive

    def _call_app(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: captured.setdefault("written", []).append(data)

        try:
            result = self.app(environ, start_response)
            try:
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:  # the app's own handlers render errors; this is the last resort
            log.exception("WSGI app crashed")
            return "500 Internal Server Error", [("Content-Type", "application/json")], \
                b'{"error":{"type":"api_error","message":"Internal server error"}}'
        payload = b"".join(captured.get("written", [])) + b"".join(chunks)
        return captured["status"], captured["headers"], payload

    @staticmethod
    def _send_plain(sock: socket.socket, status: int, message: str) -> None:
        body = message.encode()
        try:
            sock.sendall(f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        except OSError:
            pass
