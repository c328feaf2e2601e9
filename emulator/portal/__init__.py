"""The hosted customer portal (`/p/...`): Jinja2 pages over the portal resources (no Stripe rules here)."""

from emulator.portal.pages import bp
from emulator.portal import billing as _billing  # noqa: F401  (registers its routes on bp)
from emulator.portal import login as _login  # noqa: F401  (registers its routes on bp)

__all__ = ["bp"]
