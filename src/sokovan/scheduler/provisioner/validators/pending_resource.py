"""The keypair's limit on the resources its queued sessions may ask for in total.

Like the pending-count limit (see `pending_count`), this governs admission to the queue: a
session being submitted is checked with the slots already pending plus its own, per slot named
in `max_pending_session_resource_slots` (empty = unlimited). A session that is already queued
always passes, since placing it is what brings the pending total down.
"""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession, PendingStats
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import PendingSessionResourceLimitExceeded
from sokovan.scheduler.provisioner.validators.slot_limits import describe_overruns, slot_overruns


class PendingResourceValidator:
    """Pending slots of the keypair + this request ≤ max_pending_session_resource_slots."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        policy = cycle.data.policies.by_keypair.get(session.access_key)
        if policy is None or cycle.is_queued(session.session_id):
            return
        pending = cycle.data.occupancy.pending.get(session.access_key, PendingStats()).slots
        overruns = slot_overruns(
            pending, session.requested_slots, policy.max_pending_session_resource_slots
        )
        if overruns:
            raise PendingSessionResourceLimitExceeded(
                f"pending resource limit of keypair {session.access_key}: "
                f"{describe_overruns(overruns)} (policy '{policy.name}'); "
                "wait for pending sessions to start or cancel some"
            )
