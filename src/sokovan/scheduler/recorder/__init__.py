"""Scheduling history: the status changes and history rows a handler's outcome produces."""

from sokovan.scheduler.recorder.history import (
    skipped_history,
    transition_batch,
    with_phase_history,
)

__all__ = ["skipped_history", "transition_batch", "with_phase_history"]
