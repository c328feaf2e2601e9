"""Pages Stripe hosts that the emulator serves itself: the 3-D Secure test page (later the hosted invoice
page). They are reached by link (no API key), authorized by the object's client secret."""
