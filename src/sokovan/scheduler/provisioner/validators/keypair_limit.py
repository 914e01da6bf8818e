"""The keypair resource quota: everything the session's access key holds, across scaling groups."""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.slot_limits import check_quota


class KeypairResourceLimitValidator:
    """Occupied (including this cycle's placements) + requested ≤ the policy's total slots."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        check_quota(
            "keypair",
            cycle.data.policies.by_keypair.get(session.access_key),
            lambda: cycle.keypair_occupancy(session.access_key),
            session.requested_slots,
        )
