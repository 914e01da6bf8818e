"""The keypair's limit on how many sessions may wait in the queue at once.

The limit governs *admission* to the queue, so it is decided when a session is submitted:
the keypair's pending sessions plus the new one must not exceed `max_pending_session_count`.

At scheduling time the session being checked is itself pending, already counted in the
snapshot. Such a queued session always passes: placing it is what shrinks the queue, and
rejecting it because the queue is over the limit (possible when the limit is lowered below
the current backlog, or when two submissions race) would keep every queued session waiting
forever. `CycleState.is_queued` tells the two situations apart.
"""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession, PendingStats
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import PendingSessionCountLimitExceeded


class PendingCountValidator:
    """Pending sessions of the keypair + this one ≤ max_pending_session_count (on admission)."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        policy = cycle.data.policies.by_keypair.get(session.access_key)
        if policy is None or policy.max_pending_session_count is None:
            return
        if cycle.is_queued(session.session_id):
            return
        pending = cycle.data.occupancy.pending.get(session.access_key, PendingStats()).count
        if pending + 1 > policy.max_pending_session_count:
            raise PendingSessionCountLimitExceeded(
                f"keypair {session.access_key} has {pending} of "
                f"{policy.max_pending_session_count} pending sessions "
                f"(policy '{policy.name}'); wait for one to start or cancel one"
            )
