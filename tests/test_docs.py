"""The README documents every setting, CLI command and data-testid hook (a test fails when one is added
without documentation)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from emulator.cli import cli
from emulator.config import DEFAULTS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [key for key in DEFAULTS if f"`{key}`" not in README and f"`{key}` /" not in README
               and f"/ `{key}`" not in README]
    assert missing == []


def test_every_command_is_documented() -> None:
    commands = list(cli.commands)  # type: ignore[attr-defined]
    assert {"serve", "seed", "reset", "advance", "listen"} <= set(commands)
    assert [c for c in commands if f"stripe-portal-emulator {c}" not in README] == []
    assert CliRunner().invoke(cli, ["--help"]).exit_code == 0


def test_every_test_hook_is_documented() -> None:
    hooks = set()
    for template in (ROOT / "templates").rglob("*.html"):
        for hook in re.findall(r'data-testid="([a-z0-9-]+)', template.read_text()):
            hooks.add(hook)
    documented = set(re.findall(r"`([a-z0-9-]+)(?:<type>)?`", README))
    assert sorted(hook for hook in hooks if hook not in documented and f"{hook}<type>" not in README) == []
