"""Placement: PENDING → SCHEDULED for one scaling group per call (DESIGN §5)."""
