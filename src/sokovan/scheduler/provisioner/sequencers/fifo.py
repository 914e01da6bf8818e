"""FIFO: oldest submission first."""

from __future__ import annotations

from collections.abc import Sequence

from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData
from sokovan.scheduler.provisioner.sequencers.ordering import FixedOrderCursor, submission_key


class FIFOSequencer:
    """Submission order: `created_at`, then session id for equal timestamps."""

    def start(self, sessions: Sequence[PendingSession], data: SchedulingData) -> FixedOrderCursor:
        return FixedOrderCursor(sorted(sessions, key=submission_key))
