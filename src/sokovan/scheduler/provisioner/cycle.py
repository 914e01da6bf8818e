"""What one scheduling cycle has decided so far, for the stages that must see it.

Quotas are checked against occupancy *plus* the sessions already placed earlier in the same
cycle; otherwise one owner could pass its quota check ten times in one cycle and overshoot.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sokovan.common.ids import AccessKey, GroupId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData


@dataclass
class CycleState:
    """Placements made in this cycle, on top of the snapshot's occupancy."""

    data: SchedulingData
    now: datetime
    placed_by_keypair: defaultdict[AccessKey, ResourceSlot] = field(
        default_factory=lambda: defaultdict(ResourceSlot)
    )
    placed_by_user: defaultdict[UserId, ResourceSlot] = field(
        default_factory=lambda: defaultdict(ResourceSlot)
    )
    placed_by_group: defaultdict[GroupId, ResourceSlot] = field(
        default_factory=lambda: defaultdict(ResourceSlot)
    )
    placed_by_domain: defaultdict[str, ResourceSlot] = field(
        default_factory=lambda: defaultdict(ResourceSlot)
    )
    placed_count_by_keypair: Counter[AccessKey] = field(default_factory=Counter)
    placed_sessions: set[SessionId] = field(default_factory=set)

    def record_placement(self, session: PendingSession) -> None:
        slots = session.requested_slots
        self.placed_by_keypair[session.access_key] += slots
        self.placed_by_user[session.user_id] += slots
        self.placed_by_group[session.group_id] += slots
        self.placed_by_domain[session.domain_name] += slots
        self.placed_count_by_keypair[session.access_key] += 1
        self.placed_sessions.add(session.session_id)

    def keypair_occupancy(self, access_key: AccessKey) -> ResourceSlot:
        held = self.data.occupancy.by_keypair.get(access_key, ResourceSlot())
        return held + self.placed_by_keypair.get(access_key, ResourceSlot())

    def user_occupancy(self, user_id: UserId) -> ResourceSlot:
        held = self.data.occupancy.by_user.get(user_id, ResourceSlot())
        return held + self.placed_by_user.get(user_id, ResourceSlot())

    def group_occupancy(self, group_id: GroupId) -> ResourceSlot:
        held = self.data.occupancy.by_group.get(group_id, ResourceSlot())
        return held + self.placed_by_group.get(group_id, ResourceSlot())

    def domain_occupancy(self, domain_name: str) -> ResourceSlot:
        held = self.data.occupancy.by_domain.get(domain_name, ResourceSlot())
        return held + self.placed_by_domain.get(domain_name, ResourceSlot())

    def concurrent_sessions(self, access_key: AccessKey) -> int:
        held = self.data.occupancy.concurrent_sessions.get(access_key, 0)
        return held + self.placed_count_by_keypair[access_key]

    def is_queued(self, session_id: SessionId) -> bool:
        """True when the session is one of the snapshot's pending sessions.

        Such a session is already counted in `occupancy.pending`; a session being submitted
        is not (the submit path checks it against a snapshot taken without it).
        """
        return session_id in self._queued_session_ids

    @cached_property
    def _queued_session_ids(self) -> frozenset[SessionId]:
        return frozenset(session.session_id for session in self.data.pending_sessions)
