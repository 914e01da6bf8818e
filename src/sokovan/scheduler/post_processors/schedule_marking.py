"""Hinting the schedule types that have work now that sessions entered a status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import SessionStatus
from sokovan.scheduler.constants import STATUS_TO_NEXT_SCHEDULE_TYPE
from sokovan.scheduler.post_processors.base import PostProcessContext


class SchedulingNeedMarker(Protocol):
    """The part of the SchedulingController (or hint store) that wakes a schedule type."""

    async def mark_scheduling_needed(self, schedule_type: ScheduleType) -> None: ...


class ScheduleMarkingPostProcessor:
    """Marks the schedule types that follow the target status, so the next hop runs at once.

    Nothing is marked without a target status, or for a status nothing follows (PENDING,
    RUNNING, …). Marks are hints: losing one only delays work to the next long-loop cycle.
    """

    def __init__(
        self,
        marker: SchedulingNeedMarker,
        next_schedule_types: Mapping[
            SessionStatus, tuple[ScheduleType, ...]
        ] = STATUS_TO_NEXT_SCHEDULE_TYPE,
    ) -> None:
        self._marker = marker
        self._next = next_schedule_types

    async def execute(self, context: PostProcessContext) -> None:
        if context.target_status is None:
            return
        for schedule_type in self._next.get(context.target_status, ()):
            await self._marker.mark_scheduling_needed(schedule_type)
