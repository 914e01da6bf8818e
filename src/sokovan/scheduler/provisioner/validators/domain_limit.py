"""The domain resource quota: everything the session's domain holds, across scaling groups."""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.slot_limits import check_quota


class DomainResourceLimitValidator:
    """Occupied (including this cycle's placements) + requested ≤ the policy's total slots."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        check_quota(
            "domain",
            cycle.data.policies.by_domain.get(session.domain_name),
            lambda: cycle.domain_occupancy(session.domain_name),
            session.requested_slots,
        )
