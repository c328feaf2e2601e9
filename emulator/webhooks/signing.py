"""Stripe-Signature: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload" keyed by the whole whsec_ string>`."""

from __future__ import annotations

import hashlib
import hmac


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature Stripe computes (stripe.Webhook.construct_event verifies it)."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header value. `timestamp` is wall time, never a test clock's frozen time, so the
    receiver's 300-second tolerance holds."""
    return f"t={timestamp},v1={signature(payload, secret, timestamp)}"
