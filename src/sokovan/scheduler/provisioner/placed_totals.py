"""Per-owner totals of what one cycle placed, added up only when a validator reads them.

A cycle places thousands of sessions, but quotas are read only for owners that have a policy
limiting some slot. Summing four `ResourceSlot`s (keypair, user, group, domain) on every
placement would cost more than the placement's search for an agent; instead a placement is
one list append, and each scope folds the placements it has not seen yet when it is read.
Every owner's total is still added up in placement order, so it is the same exact value the
eager sums gave.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession

Owner = TypeVar("Owner", bound=Hashable)

_NOTHING = ResourceSlot()


class PlacedTotals(Generic[Owner]):
    """Slots and session counts placed per owner of one scope (keypair, user, group, domain).

    Reads `placed`, a list the caller only ever appends to, up to its current end.
    """

    __slots__ = ("_counts", "_folded", "_owner_of", "_placed", "_slots")

    def __init__(
        self, placed: list[PendingSession], owner_of: Callable[[PendingSession], Owner]
    ) -> None:
        self._placed = placed
        self._owner_of = owner_of
        #: How many of `placed` are in the totals already.
        self._folded = 0
        self._slots: dict[Owner, ResourceSlot] = {}
        self._counts: dict[Owner, int] = {}

    def slots(self, owner: Owner) -> ResourceSlot:
        """What the cycle placed for `owner` so far (empty when nothing)."""
        self._fold()
        return self._slots.get(owner, _NOTHING)

    def count(self, owner: Owner) -> int:
        """How many sessions the cycle placed for `owner` so far."""
        self._fold()
        return self._counts.get(owner, 0)

    def _fold(self) -> None:
        placed = self._placed
        if self._folded == len(placed):
            return
        slots, counts, owner_of = self._slots, self._counts, self._owner_of
        for session in placed[self._folded :]:
            owner = owner_of(session)
            slots[owner] = slots.get(owner, _NOTHING) + session.requested_slots
            counts[owner] = counts.get(owner, 0) + 1
        self._folded = len(placed)
