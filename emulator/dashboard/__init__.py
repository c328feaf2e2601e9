"""The emulator's own surfaces: the control API (JSON) and, later, the dashboard pages."""
