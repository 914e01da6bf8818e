"""DRF: Dominant Resource Fairness by progressive filling (Ghodsi et al., NSDI 2011).

An owner (access key) is charged its occupancy; its dominant share is the largest fraction of
the scaling group's total capacity it holds in any one slot type. Each step offers the next
session of the owner with the lowest dominant share, so owners converge to equal dominant
shares however different their resource mixes are. Placements made during the cycle are
charged as they happen (`placed`), which is what makes the filling progressive: sorting once
by the shares at the start of the cycle would hand one owner every session of a large batch.

Usage starts from the snapshot's `occupancy.by_keypair`, which spans every scaling group (as
quotas do), divided by this scaling group's `total_capacity`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sokovan.common.ids import AccessKey, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData
from sokovan.scheduler.provisioner.sequencers.ordering import submission_key

#: dominant share, then the submission time and id of the owner's next session, then the owner.
_HeapEntry = tuple[Decimal, datetime, SessionId, AccessKey]


class _Owner:
    """One owner's queue (in submission order), usage and dominant share."""

    __slots__ = ("access_key", "queue", "share", "usage")

    def __init__(
        self,
        access_key: AccessKey,
        queue: deque[PendingSession],
        held: ResourceSlot,
        capacity: Mapping[str, Decimal],
    ) -> None:
        self.access_key = access_key
        self.queue = queue
        self.usage = {slot: held.amount(slot) for slot in capacity}
        self.share = max(
            (self.usage[slot] / total for slot, total in capacity.items()), default=Decimal(0)
        )

    def charge(self, slots: ResourceSlot, capacity: Mapping[str, Decimal]) -> None:
        """Add `slots` to the usage; only the charged slots' shares can have grown.

        Requested amounts are never negative, so the dominant share never falls and only the
        slots charged now need dividing: one division per requested slot type per step.
        """
        for slot, total in capacity.items():
            amount = slots.amount(slot)
            if amount:
                used = self.usage[slot] + amount
                self.usage[slot] = used
                self.share = max(self.share, used / total)


class DRFCursor:
    """Progressive filling over one cycle; each step costs O(log owners).

    An owner whose yielded session has not been reported yet does not compete; it rejoins
    with its next session once `placed` or `rejected` is called. A rejected session is
    dropped, but its owner keeps competing (unchanged share) with its next session.
    """

    __slots__ = ("_capacity", "_heap", "_outstanding", "_owners")

    def __init__(
        self,
        sessions: Sequence[PendingSession],
        held_by_owner: Mapping[AccessKey, ResourceSlot],
        total_capacity: ResourceSlot,
    ) -> None:
        # Slot types the scaling group lacks cannot be shared out; they do not count.
        self._capacity = {slot: total for slot, total in total_capacity.items() if total > 0}
        queues: defaultdict[AccessKey, deque[PendingSession]] = defaultdict(deque)
        for session in sorted(sessions, key=submission_key):
            queues[session.access_key].append(session)
        self._owners = {
            access_key: _Owner(
                access_key, queue, held_by_owner.get(access_key, ResourceSlot()), self._capacity
            )
            for access_key, queue in queues.items()
        }
        self._heap: list[_HeapEntry] = []
        # At most one per owner: an owner leaves the heap while its yielded session is out.
        self._outstanding: dict[AccessKey, SessionId] = {}
        for owner in self._owners.values():
            self._push(owner)

    def next(self) -> PendingSession | None:
        if not self._heap:
            return None
        access_key = heapq.heappop(self._heap)[3]
        owner = self._owners[access_key]
        session = owner.queue.popleft()
        self._outstanding[access_key] = session.session_id
        return session

    def placed(self, session: PendingSession) -> None:
        owner = self._settle(session)
        owner.charge(session.requested_slots, self._capacity)
        self._push(owner)

    def rejected(self, session: PendingSession) -> None:
        self._push(self._settle(session))

    def _settle(self, session: PendingSession) -> _Owner:
        if self._outstanding.get(session.access_key) != session.session_id:
            raise ValueError(
                f"session {session.session_id} was not yielded by this cursor "
                "or was already reported"
            )
        del self._outstanding[session.access_key]
        return self._owners[session.access_key]

    def _push(self, owner: _Owner) -> None:
        if owner.queue:
            head = owner.queue[0]
            entry = (owner.share, head.created_at, head.session_id, owner.access_key)
            heapq.heappush(self._heap, entry)


class DRFSequencer:
    """Lowest dominant share first; each owner's sessions in submission order."""

    def start(self, sessions: Sequence[PendingSession], data: SchedulingData) -> DRFCursor:
        return DRFCursor(sessions, data.occupancy.by_keypair, data.total_capacity)
