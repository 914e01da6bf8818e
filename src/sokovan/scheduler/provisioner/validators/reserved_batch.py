"""Reserved batch sessions: a BATCH session with `starts_at` waits until that moment."""

from __future__ import annotations

from sokovan.common.scheduling import SessionType
from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import ReservedBatchNotStarted


class ReservedBatchValidator:
    """Rejects (for this cycle) a BATCH session whose `starts_at` is after `cycle.now`.

    Other session types ignore `starts_at`; a start time equal to `now` has arrived.
    """

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        if session.session_type is not SessionType.BATCH or session.starts_at is None:
            return
        if session.starts_at > cycle.now:
            raise ReservedBatchNotStarted(
                f"batch session is reserved to start at {session.starts_at.isoformat()}; "
                "it stays pending until then"
            )
