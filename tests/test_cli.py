"""The command line: serve with several gunicorn workers over one SQLite file, seed, reset, --help."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import stripe
from click.testing import CliRunner

from emulator.cli import cli
from tests.conftest import ROOT, LiveEmulator


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "seed", "reset", "listen"):
        assert command in result.output
    module = subprocess.run([sys.executable, "-m", "emulator", "--help"], capture_output=True, text=True,
                            cwd=ROOT)
    assert module.returncode == 0 and "serve" in module.stdout


def test_reset_removes_the_database(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).write_text("x")
    result = CliRunner().invoke(cli, ["reset", "--db", str(db), "--yes"])
    assert result.exit_code == 0, result.output
    assert not any(Path(str(db) + suffix).exists() for suffix in ("", "-wal", "-shm"))


@pytest.mark.slow
def test_workers_share_one_database(tmp_path: Path) -> None:
    live = LiveEmulator(str(tmp_path / "multi.sqlite3"), "--workers", "2")
    try:
        key = f"sk_test_{uuid.uuid4().hex}"
        ids = set()
        for index in range(40):
            # A new connection each time so requests spread over both worker processes.
            response = requests.post(f"{live.url}/v1/customers", data={"name": f"n{index}"}, auth=(key, ""),
                                     headers={"Connection": "close"})
            assert response.status_code == 200, response.text
            ids.add(response.json()["id"])
        assert len(ids) == 40
        client = stripe.StripeClient(key, base_addresses={"api": live.url})
        listed = [c.id for c in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()]
        assert set(listed) == ids
        assert len(client.v1.events.list(params={"limit": 100}).data) == 40
    finally:
        live.stop()


def test_portal_url_opens_a_session_for_a_customer(emulator: LiveEmulator, api_key: str) -> None:
    args = ["--api-base", emulator.url, "--api-key", api_key]
    first = CliRunner().invoke(cli, ["portal-url", "--email", "qa-cli@example.com", *args])
    assert first.exit_code == 0, first.output
    assert first.output.strip().startswith(f"{emulator.url}/p/session/test_")
    customers = requests.get(f"{emulator.url}/v1/customers", params={"email": "qa-cli@example.com"},
                             auth=(api_key, "")).json()["data"]
    assert len(customers) == 1
    again = CliRunner().invoke(cli, ["portal-url", "--customer", customers[0]["id"], "--locale", "auto", *args])
    assert again.exit_code == 0 and again.output.strip() != first.output.strip()
    assert requests.get(again.output.strip()).status_code == 200
    missing = CliRunner().invoke(cli, ["portal-url", "--customer", "cus_missing", *args])
    assert missing.exit_code != 0 and "No such customer" in missing.output
    both = CliRunner().invoke(cli, ["portal-url", *args])
    assert both.exit_code != 0 and "exactly one" in both.output
