"""SchedulingController: the write intents of users and deployments, and the hints they leave.

It never schedules anything itself. It records intents in the database (a new PENDING
session; sessions to cancel or terminate) and marks the ScheduleTypes that have work, so the
orchestrator's short loops pick them up at once. A lost mark only delays the work until the
next long-loop cycle: the database is the truth.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sokovan.common.clock import Clock, SystemClock
from sokovan.common.ids import SessionId, new_kernel_id, new_session_id
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES, ResourceSlot, SlotTypes
from sokovan.common.scheduling import ScheduleType
from sokovan.infra.valkey_schedule.base import ValkeyScheduleClient
from sokovan.repositories.scheduler.write_enqueue import (
    KernelEnqueueRecord,
    SessionEnqueueRecord,
)
from sokovan.repositories.scheduler.write_termination_marks import TerminationMarkResult
from sokovan.scheduling_controller.submissions import SubmissionRepository, SubmissionWriter
from sokovan.scheduling_controller.types import USER_REQUESTED, SessionCreationSpec
from sokovan.scheduling_controller.validation import check_spec


class SchedulingControllerRepository(SubmissionRepository, Protocol):
    """The part of `SchedulerRepository` the controller uses."""

    async def mark_sessions_for_termination(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> TerminationMarkResult: ...


class SchedulingController:
    """Submits sessions, requests their termination, and marks work for the scheduler."""

    def __init__(
        self,
        repository: SchedulingControllerRepository,
        valkey_schedule: ValkeyScheduleClient,
        slot_types: SlotTypes = DEFAULT_SLOT_TYPES,
        clock: Clock | None = None,
    ) -> None:
        self._repository = repository
        self._valkey = valkey_schedule
        self._slot_types = slot_types
        self._clock: Clock = clock or SystemClock()
        self._submissions = SubmissionWriter(repository, build_record, self._clock)

    async def enqueue_session(self, spec: SessionCreationSpec) -> SessionId:
        """Validate `spec`, store it as a PENDING session with PENDING kernels, hint SCHEDULE.

        Raises a `SokovanError` subclass naming the problem (see `scheduling_controller.types`
        and the provisioner's pending-limit rejections) and writes nothing when the spec is
        invalid. The session and its kernels are written in one transaction, which concurrent
        submissions share (see `submissions`).
        """
        slots = check_spec(spec, self._slot_types)
        session_id = await self._submissions.submit(spec, slots)
        await self._valkey.mark_schedule_needed(ScheduleType.SCHEDULE)
        return session_id

    async def mark_sessions_for_termination(
        self, session_ids: Sequence[SessionId], reason: str = USER_REQUESTED
    ) -> None:
        """Cancel the sessions that never started and start terminating the others.

        PENDING and DEPRIORITIZING sessions become CANCELLED with their kernels at once; other
        live sessions become TERMINATING with their unfinished kernels; ended, already
        TERMINATING and unknown sessions are left alone. Hints the steps that follow up.
        """
        if not session_ids:
            return
        result = await self._repository.mark_sessions_for_termination(session_ids, reason)
        if result.terminating:
            await self._valkey.mark_schedule_needed(ScheduleType.TERMINATE)
            await self._valkey.mark_schedule_needed(ScheduleType.CHECK_TERMINATING_PROGRESS)
        if result.cancelled:
            # A cancelled session frees its owner's queue slots, and dependents must learn
            # that it will never succeed: the next placement cycle sees both.
            await self._valkey.mark_schedule_needed(ScheduleType.SCHEDULE)

    async def mark_scheduling_needed(self, schedule_type: ScheduleType) -> None:
        """Hint that `schedule_type` has work (the post-processors' way to chain steps)."""
        await self._valkey.mark_schedule_needed(schedule_type)


def build_record(
    spec: SessionCreationSpec, slots: tuple[ResourceSlot, ...]
) -> SessionEnqueueRecord:
    """The rows to insert for a checked `spec` whose kernels request `slots` (in order)."""
    kernels = tuple(_kernel_record(spec, index, requested) for index, requested in enumerate(slots))
    return SessionEnqueueRecord(
        session_id=new_session_id(),
        creation_id=spec.creation_id or uuid.uuid4().hex,
        name=spec.name,
        session_type=spec.session_type,
        priority=spec.priority,
        cluster_mode=spec.cluster_mode,
        cluster_size=spec.cluster_size,
        domain_name=spec.domain_name,
        group_id=spec.group_id,
        user_id=spec.user_id,
        access_key=spec.access_key,
        scaling_group=spec.scaling_group,
        requested_slots=sum(slots, ResourceSlot()),
        designated_agent_ids=spec.designated_agent_ids,
        starts_at=spec.starts_at,
        environ=dict(spec.environ),
        depends_on=tuple(dict.fromkeys(spec.depends_on)),
        kernels=kernels,
    )


def _kernel_record(
    spec: SessionCreationSpec, index: int, requested: ResourceSlot
) -> KernelEnqueueRecord:
    kernel = spec.kernels[index]
    # The first kernel is the main one; cluster indices and hostnames count from 1.
    role = "main" if index == 0 else "sub"
    return KernelEnqueueRecord(
        kernel_id=new_kernel_id(),
        image=kernel.image,
        architecture=kernel.architecture,
        requested_slots=requested,
        cluster_role=role,
        cluster_idx=index + 1,
        local_rank=index,
        cluster_hostname=f"{role}{index + 1}",
        startup_command=kernel.startup_command,
    )
