"""The group resource quota: everything the session's project holds, across scaling groups."""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.slot_limits import check_quota


class GroupResourceLimitValidator:
    """Occupied (including this cycle's placements) + requested ≤ the policy's total slots."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        check_quota(
            "group",
            cycle.data.policies.by_group.get(session.group_id),
            lambda: cycle.group_occupancy(session.group_id),
            session.requested_slots,
        )
