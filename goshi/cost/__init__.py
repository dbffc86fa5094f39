"""What answers cost: the dated price table, and the meter (per answer, session, limits)."""
