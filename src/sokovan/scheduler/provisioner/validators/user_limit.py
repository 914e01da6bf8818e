"""The user resource quota: everything the session's user holds, across scaling groups."""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.slot_limits import check_quota


class UserResourceLimitValidator:
    """Occupied (including this cycle's placements) + requested ≤ the policy's total slots."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        check_quota(
            "user",
            cycle.data.policies.by_user.get(session.user_id),
            lambda: cycle.user_occupancy(session.user_id),
            session.requested_slots,
        )
