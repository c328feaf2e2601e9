"""The hosted customer portal (`/p/...`): Jinja2 pages over the portal resources (no Stripe rules here)."""

from emulator.portal.pages import bp

__all__ = ["bp"]
