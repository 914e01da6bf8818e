"""The keypair's limit on sessions holding resources at the same time."""

from __future__ import annotations

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import ConcurrencyLimitExceeded


class ConcurrencyValidator:
    """Running sessions (including this cycle's placements) + this one ≤ max_concurrent_sessions.

    Counts sessions in resource-occupying statuses across every scaling group; no policy or
    no limit means unlimited.
    """

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        policy = cycle.data.policies.by_keypair.get(session.access_key)
        if policy is None or policy.max_concurrent_sessions is None:
            return
        running = cycle.concurrent_sessions(session.access_key)
        if running + 1 > policy.max_concurrent_sessions:
            raise ConcurrencyLimitExceeded(
                f"keypair {session.access_key} has {running} of "
                f"{policy.max_concurrent_sessions} concurrent sessions "
                f"(policy '{policy.name}'); wait for one to finish"
            )
