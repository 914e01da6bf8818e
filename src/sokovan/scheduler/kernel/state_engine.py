"""KernelStateEngine: the one place kernel-level status changes go through.

Every change is a guarded repository write (a kernel moves only from the statuses the change
allows, a finished kernel never moves), so callers may repeat any call safely. After kernels
move, the schedule types that may now promote their sessions are hinted (`HINTS_AFTER`), so a
session follows its kernels at once instead of at the next long-loop cycle. Hints are best
effort: a failing hint store is logged and never fails the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.conditions import KernelConditions, KernelQuerier
from sokovan.repositories.scheduler.kernel_writes import KernelChange
from sokovan.repositories.scheduler.types import KernelInfo, KernelSearchResult
from sokovan.scheduler.kernel.events import (
    HINTS_AFTER,
    IMAGE_WAITING_STATUSES,
    AgentKernelEvent,
    EventApplication,
    EventScope,
    KernelEventEffect,
    effect_of,
    statuses_before,
    targets_of,
)

log = logging.getLogger(__name__)

#: Kernels bound to an agent that may still hold something on it.
BOUND_UNFINISHED_STATUSES = (
    frozenset(KernelStatus) - KernelStatus.finished_statuses() - {KernelStatus.PENDING}
)


class KernelStateRepository(Protocol):
    """The repository reads and writes the engine is built on (`SchedulerRepository`)."""

    async def reset_kernels_to_pending(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> int: ...

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool: ...

    async def apply_kernel_changes(self, changes: Sequence[KernelChange]) -> list[bool]: ...

    async def search_kernels_for_handler(self, querier: KernelQuerier) -> KernelSearchResult: ...


class ScheduleHinter(Protocol):
    """The part of the hint store the engine sets marks with."""

    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None: ...


class KernelStateEngine:
    """Kernel transitions over the scheduler repository; `hints` may be None (no hints)."""

    def __init__(
        self, repository: KernelStateRepository, hints: ScheduleHinter | None = None
    ) -> None:
        self._repository = repository
        self._hints = hints

    async def reset_kernels_to_pending_for_sessions(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> int:
        """Send the sessions' not-yet-running kernels back to PENDING for a new placement.

        Kernels in a retriable status lose their agent, container and slots and take
        `reason` as status_info; running, finished and already PENDING kernels are left
        alone. Returns how many kernels were reset.
        """
        return await self._repository.reset_kernels_to_pending(session_ids, reason)

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool:
        """Move the kernel to TERMINATED and free what it held; idempotent.

        Returns False when the kernel is unknown or already TERMINATED/CANCELLED.
        """
        moved = await self._repository.mark_kernel_terminated(kernel_id, reason, exit_code)
        if moved:
            await self._hint({KernelStatus.TERMINATED})
        return moved

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]:
        """`mark_kernel_terminated` for each kernel; returns those that moved, in order."""
        return await self.advance_kernels(kernel_ids, KernelStatus.TERMINATED, reason)

    async def advance_kernels(
        self, kernel_ids: Iterable[KernelId], to_status: KernelStatus, reason: str
    ) -> list[KernelId]:
        """Move each kernel forward to `to_status`, only from a status behind it.

        A kernel already at or past `to_status` (or finished, or PENDING) is left alone, so
        repeating the call changes nothing; TERMINATED is reached from any unfinished status.
        Returns the kernels that moved, in order.
        """
        effect = KernelEventEffect(to_status, reason)
        unique = list(dict.fromkeys(kernel_ids))
        applied = await self._repository.apply_kernel_changes(
            [change_of(kernel_id, effect) for kernel_id in unique]
        )
        moved = [kernel_id for kernel_id, done in zip(unique, applied, strict=True) if done]
        if moved:
            await self._hint({to_status})
        return moved

    async def find_bound_unfinished_kernels(self, agent_id: AgentId) -> list[KernelInfo]:
        """The agent's kernels that are neither PENDING nor finished."""
        found = await self._repository.search_kernels_for_handler(
            KernelQuerier(
                (
                    KernelConditions.by_agent_ids([agent_id]),
                    KernelConditions.by_statuses(BOUND_UNFINISHED_STATUSES),
                )
            )
        )
        return found.items

    async def apply_events(
        self, events: Sequence[AgentKernelEvent], incarnations: Mapping[AgentId, str]
    ) -> EventApplication:
        """Apply agent events in the order given; idempotent and order-insensitive.

        `incarnations` maps each known agent to its current instance id (the agents table).
        Only the current incarnation speaks for an agent: an event whose instance id differs
        (an old process's late report), or whose agent is unknown, is ignored, as is a kernel
        event about a kernel that is unknown or now bound to another agent. Such a kernel
        may already belong to a newer placement (the same kernel id created again by the new
        incarnation), and an old report must never end it; what the old process left behind
        is cleaned up by the stale-kernel sweep and agent-loss handling instead.
        """
        current = [e for e in events if incarnations.get(e.agent_id) == e.instance_id]
        known, waiting = await self._load_kernels(current)
        ignored = len(events) - len(current)
        # The whole batch is one transaction. A change already listed by an earlier event
        # (several image events reaching the same waiting kernels) is not listed again: it
        # could not move the kernel a second time.
        # Each change also holds the kernel to the reporting agent: the kernels were read
        # outside the write, and one rescheduled meanwhile must not take another's report.
        changes: dict[tuple[KernelId, KernelEventEffect, AgentId], int] = {}
        listed_by: list[int] = []  # for each change, the event that listed it
        considered = 0
        for event in current:
            targets = targets_of(event, known, waiting)
            if not targets and event.scope is EventScope.KERNEL:
                ignored += 1
                continue
            effect = effect_of(event)
            for kernel_id in targets:
                if (kernel_id, effect, event.agent_id) not in changes:
                    changes[(kernel_id, effect, event.agent_id)] = len(listed_by)
                    listed_by.append(considered)
            considered += 1
        listed = list(changes)
        results = await self._repository.apply_kernel_changes(
            [change_of(kernel_id, effect, agent_id) for kernel_id, effect, agent_id in listed]
        )
        applied = len({listed_by[i] for i, done in enumerate(results) if done})
        unchanged = considered - applied
        moved = dict.fromkeys(listed[i][0] for i, done in enumerate(results) if done)
        await self._hint({listed[i][1].to_status for i, done in enumerate(results) if done})
        return EventApplication(applied, unchanged, ignored, tuple(moved))

    async def _load_kernels(
        self, events: Sequence[AgentKernelEvent]
    ) -> tuple[dict[KernelId, KernelInfo], list[KernelInfo]]:
        """The kernels kernel events name, and the reporting agents' image-waiting kernels."""
        named = {e.kernel_id for e in events if e.scope is EventScope.KERNEL and e.kernel_id}
        image_agents = {e.agent_id for e in events if e.scope is EventScope.IMAGE}
        known: dict[KernelId, KernelInfo] = {}
        waiting: list[KernelInfo] = []
        if named:
            found = await self._repository.search_kernels_for_handler(
                KernelQuerier((KernelConditions.by_ids(named),))
            )
            known = {kernel.kernel_id: kernel for kernel in found.items}
        if image_agents:
            found = await self._repository.search_kernels_for_handler(
                KernelQuerier(
                    (
                        KernelConditions.by_agent_ids(image_agents),
                        KernelConditions.by_statuses(IMAGE_WAITING_STATUSES),
                    )
                )
            )
            waiting = found.items
        return known, waiting

    async def _hint(self, statuses: Iterable[KernelStatus]) -> None:
        if self._hints is None:
            return
        schedule_types = dict.fromkeys(
            schedule_type for status in statuses for schedule_type in HINTS_AFTER.get(status, ())
        )
        for schedule_type in schedule_types:
            try:
                await self._hints.mark_schedule_needed(schedule_type)
            except Exception:
                # Hints only speed things up; the long loop finds the work anyway.
                log.warning("could not hint %s", schedule_type, exc_info=True)


def change_of(
    kernel_id: KernelId, effect: KernelEventEffect, bound_to: AgentId | None = None
) -> KernelChange:
    """The guarded write of `effect`: TERMINATED (with its exit code) is reached from any
    unfinished status, every other target only from a status behind it; with `bound_to`,
    only while the kernel is bound to that agent."""
    if effect.to_status is KernelStatus.TERMINATED:
        return KernelChange(
            kernel_id,
            KernelStatus.TERMINATED,
            effect.reason,
            exit_code=effect.exit_code,
            bound_to=bound_to,
        )
    return KernelChange(
        kernel_id,
        effect.to_status,
        effect.reason,
        statuses_before(effect.to_status),
        container_id=effect.container_id,
        bound_to=bound_to,
    )
