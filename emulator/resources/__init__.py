"""Stripe objects: one module per /v1 path. Functions take a Ctx, run inside the caller's transaction and
end by emitting their events."""
