"""What one scheduling cycle has decided so far, for the stages that must see it.

Quotas are checked against occupancy *plus* the sessions already placed earlier in the same
cycle; otherwise one owner could pass its quota check ten times in one cycle and overshoot.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from operator import attrgetter

from sokovan.common.ids import AccessKey, GroupId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData
from sokovan.scheduler.provisioner.placed_totals import PlacedTotals

_NOTHING = ResourceSlot()


class CycleState:
    """Placements made in this cycle, on top of the snapshot's occupancy."""

    def __init__(self, data: SchedulingData, now: datetime) -> None:
        self.data = data
        self.now = now
        #: The sessions placed so far, in placement order.
        self._placed: list[PendingSession] = []
        self._by_keypair: PlacedTotals[AccessKey] = PlacedTotals(
            self._placed, attrgetter("access_key")
        )
        self._by_user: PlacedTotals[UserId] = PlacedTotals(self._placed, attrgetter("user_id"))
        self._by_group: PlacedTotals[GroupId] = PlacedTotals(self._placed, attrgetter("group_id"))
        self._by_domain: PlacedTotals[str] = PlacedTotals(self._placed, attrgetter("domain_name"))

    def record_placement(self, session: PendingSession) -> None:
        self._placed.append(session)

    def keypair_occupancy(self, access_key: AccessKey) -> ResourceSlot:
        held = self.data.occupancy.by_keypair.get(access_key, _NOTHING)
        return held + self._by_keypair.slots(access_key)

    def user_occupancy(self, user_id: UserId) -> ResourceSlot:
        held = self.data.occupancy.by_user.get(user_id, _NOTHING)
        return held + self._by_user.slots(user_id)

    def group_occupancy(self, group_id: GroupId) -> ResourceSlot:
        held = self.data.occupancy.by_group.get(group_id, _NOTHING)
        return held + self._by_group.slots(group_id)

    def domain_occupancy(self, domain_name: str) -> ResourceSlot:
        held = self.data.occupancy.by_domain.get(domain_name, _NOTHING)
        return held + self._by_domain.slots(domain_name)

    def concurrent_sessions(self, access_key: AccessKey) -> int:
        held = self.data.occupancy.concurrent_sessions.get(access_key, 0)
        return held + self._by_keypair.count(access_key)

    def is_queued(self, session_id: SessionId) -> bool:
        """True when the session is one of the snapshot's pending sessions.

        Such a session is already counted in `occupancy.pending`; a session being submitted
        is not (the submit path checks it against a snapshot taken without it).
        """
        return session_id in self._queued_session_ids

    @cached_property
    def _queued_session_ids(self) -> frozenset[SessionId]:
        return frozenset(session.session_id for session in self.data.pending_sessions)
