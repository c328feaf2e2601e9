"""Shared fixtures: a live emulator process per test session, SDK clients isolated by API key."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import stripe

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The store checks that no resource changes a stored document's nested values in place (see Store.get).
VERIFY = {"STRIPE_EMULATOR_VERIFY_SHARED": "1"}


class LiveEmulator:
    """An emulator started as its own process (`python -m emulator serve`), stopped by its PID."""

    def __init__(self, db_path: str, *extra_args: str, env: dict[str, str] | None = None,
                 python: str = sys.executable, cwd: Path | str = ROOT, verify: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [python, "-m", "emulator", "serve", "--port", str(self.port), "--db", db_path, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(VERIFY if verify else {}), **(env or {})}, cwd=cwd)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited early:\n{self.output()}")
            try:
                requests.get(f"{self.url}/v1/customers", auth=("sk_test_ready", ""), timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"emulator not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


# Fast webhook retries so retry behaviour is testable in a second, not minutes.
FAST_WEBHOOKS = {
    "STRIPE_EMULATOR_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    "STRIPE_EMULATOR_WEBHOOK_RETRY_MAX_SECONDS": "0.5",
    "STRIPE_EMULATOR_WEBHOOK_TIMEOUT_SECONDS": "2",
}


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEmulator]:
    live = LiveEmulator(str(tmp_path_factory.mktemp("db") / "emulator.sqlite3"), env=FAST_WEBHOOKS)
    yield live
    live.stop()


@pytest.fixture
def api_key() -> str:
    """A fresh key per test: each key is its own isolated account in the emulator."""
    return f"sk_test_{uuid.uuid4().hex}"


@pytest.fixture
def client(emulator: LiveEmulator, api_key: str) -> stripe.StripeClient:
    """The official SDK's client, pointed at the live emulator."""
    return stripe.StripeClient(api_key, base_addresses={"api": emulator.url}, max_network_retries=0)


@pytest.fixture
def http(emulator: LiveEmulator, api_key: str) -> "RawHttp":
    return RawHttp(emulator.url, api_key)


class RawHttp:
    """Raw HTTP against the emulator, for wire details the SDK hides (malformed bodies, headers)."""

    def __init__(self, base: str, api_key: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(self.base + path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: object = None, **kwargs: object) -> requests.Response:
        return self.session.post(self.base + path, data=data, **kwargs)  # type: ignore[arg-type]

    def delete(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.delete(self.base + path, **kwargs)  # type: ignore[arg-type]


def to_dict(obj: object) -> object:
    """An SDK StripeObject as plain JSON data (what the emulator sent), for the shape oracle."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return obj


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()
