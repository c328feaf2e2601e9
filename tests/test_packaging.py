"""A non-editable install works: build the wheel, install it into a clean venv, start the server from it,
and check that templates, fixtures and the parameter spec shipped inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, LiveEmulator

pytestmark = pytest.mark.slow


def test_wheel_installs_and_serves(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, cwd=tmp_path)
    wheel = next(wheels.glob("stripe_portal_emulator-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    source_modules = {str(path.relative_to(ROOT)) for path in (ROOT / "emulator").rglob("*.py")}
    assert source_modules <= names, f"missing from the wheel: {sorted(source_modules - names)}"
    templates = {"emulator/" + str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")}
    assert templates <= names, f"templates missing from the wheel: {sorted(templates - names)}"
    assert "emulator/spec/params.json" in names
    assert "emulator/spec/events.zdict" in names  # without it event snapshots would be stored uncompressed
    assert "emulator/fixtures/demo.json" in names
    assert "emulator/portal/locales/de.json" in names  # the portal's translations
    assert "emulator/templates/__init__.py" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    # Started from outside the checkout, so only the installed package can be imported.
    live = LiveEmulator(str(tmp_path / "db.sqlite3"), "--seed", "demo", python=str(python), cwd=tmp_path)
    try:
        products = requests.get(f"{live.url}/v1/products", auth=("sk_test_demo", "")).json()
        assert {p["name"] for p in products["data"]} >= {"Basic", "Pro", "Enterprise"}
        assert "Seeded 'demo' under sk_test_demo" in live.output()
    finally:
        live.stop()
    console = venv / "bin" / "stripe-portal-emulator"
    assert "serve" in subprocess.run([str(console), "--help"], capture_output=True, text=True, check=True).stdout
