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
