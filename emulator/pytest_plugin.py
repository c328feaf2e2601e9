"""pytest fixtures for users' test suites (installed as the `stripe_portal_emulator` pytest11 plugin).

    def test_signup(stripe_emulator_client):
        customer = stripe_emulator_client.v1.customers.create(params={"email": "a@example.com"})

`stripe_emulator` (session scope) serves a fresh emulator in a background thread on a free loopback port
with a temporary database; `stripe_emulator_client` gives each test its own account (a fresh
`sk_test_` key), so tests never see each other's objects. Set `STRIPE_EMULATOR_URL` to use an emulator
you started yourself instead.
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class EmulatorHandle:
    url: str

    def new_secret_key(self) -> str:
        """A key no other test uses: its own isolated account."""
        return f"sk_test_{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def stripe_emulator() -> Iterator[EmulatorHandle]:
    external = os.environ.get("STRIPE_EMULATOR_URL")
    if external:
        yield EmulatorHandle(external.rstrip("/"))
        return
    from emulator.app import create_app
    from emulator.serving import build_server

    with tempfile.TemporaryDirectory(prefix="stripe-emulator-") as folder:
        app = create_app({"DATABASE": os.path.join(folder, "emulator.sqlite3")})
        server = build_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, name="stripe-emulator", daemon=True)
        thread.start()
        try:
            yield EmulatorHandle(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def stripe_emulator_client(stripe_emulator: EmulatorHandle) -> Any:
    """A `stripe.StripeClient` bound to a fresh account on the emulator."""
    stripe = pytest.importorskip("stripe")
    return stripe.StripeClient(stripe_emulator.new_secret_key(),
                               base_addresses={"api": stripe_emulator.url}, max_network_retries=0)
