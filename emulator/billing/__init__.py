"""Pure billing maths: periods, proration, discounts, totals, descriptions (no I/O, no clock)."""
