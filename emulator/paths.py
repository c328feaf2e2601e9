"""Where the shipped data folders are.

`templates/` and `fixtures/` sit at the repository's top level and are installed as the packages
`emulator.templates` / `emulator.fixtures`. Running from a checkout (the repository root on sys.path ahead of
the editable install's finder) those sub-packages are not importable, so fall back to the top-level folders.
"""

from __future__ import annotations

import importlib
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """The folder of `emulator.<name>` (templates, fixtures), installed or in a checkout."""
    try:
        module = importlib.import_module(f"emulator.{name}")
        return Path(next(iter(module.__path__)))
    except ModuleNotFoundError:
        return _CHECKOUT / name
