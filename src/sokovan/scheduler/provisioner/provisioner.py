"""SessionProvisioner: PENDING → SCHEDULED for one scaling group per call."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from sokovan.common.clock import Clock, SystemClock
from sokovan.common.collector import collector_paused
from sokovan.common.ids import SessionId
from sokovan.repositories.scheduler.snapshot_types import SchedulingData
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    AllocationOutcome,
    KernelAllocation,
    SessionAllocation,
)
from sokovan.scheduler.provisioner.allocators.base import Allocator
from sokovan.scheduler.provisioner.errors import AllocationConflict
from sokovan.scheduler.provisioner.planner import PlacementPlan, plan_placements
from sokovan.scheduler.provisioner.types import (
    ScheduledSessionData,
    ScheduleResult,
    UnscheduledSession,
)
from sokovan.scheduler.provisioner.validators.base import Validator
from sokovan.scheduler.provisioner.validators.validator import (
    SchedulingValidator,
    default_validators,
)

log = logging.getLogger(__name__)


class PendingQueueWriter(Protocol):
    async def set_pending_queue(
        self, scaling_group: str, session_ids: Sequence[SessionId]
    ) -> None: ...


class PlacementObserver(Protocol):
    def count_placements(self, n: int) -> None: ...

    def count_unscheduled(self, code: str, n: int = 1) -> None: ...


class SessionProvisioner:
    def __init__(
        self,
        allocator: Allocator,
        pending_queue: PendingQueueWriter,
        *,
        validator: Validator | None = None,
        clock: Clock | None = None,
        observer: PlacementObserver | None = None,
    ) -> None:
        self._allocator = allocator
        self._pending_queue = pending_queue
        self._observer = observer
        self._validator = validator or SchedulingValidator(default_validators())
        self._clock: Clock = clock or SystemClock()

    async def schedule_scaling_group(
        self, scaling_group: str, scheduling_data: SchedulingData | None
    ) -> ScheduleResult:
        """Place what fits, commit it, and queue the rest with the reason each one waits."""
        if scheduling_data is None:
            log.warning(
                "no scheduling snapshot for scaling group %r; nothing scheduled", scaling_group
            )
            return ScheduleResult()
        # The snapshot, the plan and the commit are long-lived heaps of small objects: full
        # collections would traverse them over and over to find next to no garbage.
        with collector_paused():
            plan = plan_placements(scheduling_data, self._validator, self._clock.now())
            outcome = await self._allocator.allocate(_to_batch(scaling_group, plan))
        result = _to_result(scaling_group, plan, outcome, scheduling_data)
        await self._pending_queue.set_pending_queue(
            scaling_group, [entry.session_id for entry in result.unscheduled_sessions]
        )
        if self._observer is not None:
            self._observer.count_placements(len(result.scheduled_sessions))
            for code, n in Counter(u.code for u in result.unscheduled_sessions).items():
                self._observer.count_unscheduled(code, n)
        return result


def _to_batch(scaling_group: str, plan: PlacementPlan) -> AllocationBatch:
    return AllocationBatch(
        allocations=tuple(
            SessionAllocation(
                session_id=planned.session.session_id,
                scaling_group=scaling_group,
                kernels=tuple(
                    KernelAllocation(p.kernel_id, p.agent_id, p.slots)
                    for p in planned.selection.placements
                ),
            )
            for planned in plan.placed
        ),
        roundrobin_next_index=(scaling_group, plan.roundrobin_next_index),
    )


def _to_result(
    scaling_group: str, plan: PlacementPlan, outcome: AllocationOutcome, data: SchedulingData
) -> ScheduleResult:
    lost = {rejected.session_id: rejected.reason for rejected in outcome.rejected}
    scheduled: list[ScheduledSessionData] = []
    unscheduled: list[UnscheduledSession] = []
    for planned in plan.placed:
        session = planned.session
        if session.session_id in lost:
            unscheduled.append(
                UnscheduledSession(
                    session.session_id,
                    session.access_key,
                    AllocationConflict.code,
                    lost[session.session_id],
                )
            )
            continue
        scheduled.append(
            ScheduledSessionData(
                session_id=session.session_id,
                creation_id=session.creation_id,
                access_key=session.access_key,
                scaling_group=scaling_group,
                placements=planned.selection.placements,
            )
        )
    # The queue is kept in submission order, whatever order the stages rejected sessions in.
    position = {session.session_id: i for i, session in enumerate(data.pending_sessions)}
    unscheduled.extend(plan.unscheduled)
    unscheduled.sort(key=lambda entry: position[entry.session_id])
    return ScheduleResult(scheduled, unscheduled)
