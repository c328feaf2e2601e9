"""stripe-portal-emulator: a local, offline emulator of Stripe Billing and the customer portal."""

__version__ = "0.1.0"
