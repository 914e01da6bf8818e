"""Kernel-level writes (the kernel state engine's) and session priority changes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.write_bulk import id_filters
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin
from sokovan.repositories.scheduler.write_rows import (
    KernelRow,
    lock_kernels_by_id,
    write_kernel_changes,
)
from sokovan.repositories.scheduler.write_transitions import transition_kernel
from sokovan.repositories.scheduler.write_workset import commit_workset, lock_workset

_RETRIABLE = KernelStatus.retriable_statuses()
_FINISHED = KernelStatus.finished_statuses()
_OCCUPYING = KernelStatus.resource_occupied_statuses()


@dataclass(frozen=True, slots=True)
class KernelChange:
    """One guarded kernel move: to `to_status`, only from `expected` (None: any unfinished)
    and, when `bound_to` names an agent, only while the kernel is bound to that agent."""

    kernel_id: KernelId
    to_status: KernelStatus
    reason: str | None
    expected: Collection[KernelStatus] | None = None
    container_id: str | None = None
    exit_code: int | None = None
    bound_to: AgentId | None = None


class KernelWritesMixin(KeypairOccupancyMixin):
    async def reset_kernels_to_pending(self, session_ids: Sequence[SessionId], reason: str) -> int:
        """Send the sessions' kernels in retriable statuses back to PENDING for a new placement.

        They lose their agent, container and occupied slots and get `reason` as status_info;
        their agents' occupancy is refreshed. Returns the number of kernels reset.
        """
        if not session_ids:
            return 0
        now = self._clock.now()
        async with self._engine.begin() as conn:
            before = await lock_workset(conn, session_ids)
            moved = {
                kernel.id: transition_kernel(kernel, KernelStatus.PENDING, reason, now)
                for kernel in before.kernels.values()
                if kernel.status in _RETRIABLE
            }
            access_keys = await commit_workset(conn, before, before.updated(kernels=moved))
        self._forget_occupancy(access_keys)
        return len(moved)

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool:
        """Move a kernel to TERMINATED and free what it occupied; idempotent.

        Returns False when the kernel is unknown or already TERMINATED/CANCELLED.
        """
        change = KernelChange(kernel_id, KernelStatus.TERMINATED, reason, exit_code=exit_code)
        [moved] = await self.apply_kernel_changes([change])
        return moved

    async def update_kernel_status(
        self,
        kernel_id: KernelId,
        to_status: KernelStatus,
        reason: str | None = None,
        *,
        expected_statuses: Collection[KernelStatus] | None = None,
        container_id: str | None = None,
    ) -> bool:
        """Move one kernel to `to_status` while it is in `expected_statuses` (None: any).

        A finished (TERMINATED/CANCELLED) kernel never moves. Leaving the resource-occupying
        statuses frees the kernel's slots on its agent. `container_id`, when given, is
        recorded. Returns whether the transition was applied.
        """
        change = KernelChange(
            kernel_id, to_status, reason, expected_statuses, container_id=container_id
        )
        [moved] = await self.apply_kernel_changes([change])
        return moved

    async def lower_session_priority(
        self, session_ids: Sequence[SessionId], amount: int, min_priority: int
    ) -> None:
        """priority = max(priority - amount, min_priority) for each session, in one UPDATE."""
        priority = t.sessions.c.priority
        lowered = sa.case((priority - amount < min_priority, min_priority), else_=priority - amount)
        async with self._engine.begin() as conn:
            for matching in id_filters(conn, t.sessions.c.id, session_ids):
                await conn.execute(t.sessions.update().where(matching).values(priority=lowered))

    async def apply_kernel_changes(self, changes: Sequence[KernelChange]) -> list[bool]:
        """Apply `changes` in order, in one transaction; whether each one moved its kernel.

        Each change sees the kernels as the changes before it left them (a kernel may move
        twice in one batch), under the same rules as `update_kernel_status`: an unknown or
        finished kernel never moves, nor one outside the change's expected statuses, nor one
        no longer bound to the change's agent.

        A batch whose moves all stay within the resource-occupying statuses (an agent's
        report of progress: image ready, kernel creating, kernel started) cannot change any
        session's or agent's occupancy, so only the kernels it names are locked and written.
        Any other batch locks the sessions concerned with all their kernels and settles the
        occupancy of everything it touched.
        """
        if not changes:
            return []
        now = self._clock.now()
        async with self._engine.begin() as conn:
            if all(_keeps_occupancy(change) for change in changes):
                named = await lock_kernels_by_id(conn, {change.kernel_id for change in changes})
                moved, applied = _move_in_order(named, changes, now)
                await write_kernel_changes(conn, [(named[k], row) for k, row in moved.items()])
                return applied
            # Sessions are locked before their kernels, in the order every writer uses.
            session_ids = await _sessions_of(conn, {change.kernel_id for change in changes})
            before = await lock_workset(conn, session_ids)
            moved, applied = _move_in_order(before.kernels, changes, now)
            if not moved:
                return applied
            access_keys = await commit_workset(conn, before, before.updated(kernels=moved))
        self._forget_occupancy(access_keys)
        return applied


def _move_in_order(
    kernels: Mapping[KernelId, KernelRow], changes: Sequence[KernelChange], now: datetime
) -> tuple[dict[KernelId, KernelRow], list[bool]]:
    """The kernels `changes` move (their final rows) and whether each change applied."""
    current = dict(kernels)
    moved: dict[KernelId, KernelRow] = {}
    applied: list[bool] = []
    for change in changes:
        kernel = current.get(change.kernel_id)
        if kernel is None or not _may_move(kernel, change):
            applied.append(False)
            continue
        moved[kernel.id] = current[kernel.id] = transition_kernel(
            kernel,
            change.to_status,
            change.reason,
            now,
            container_id=change.container_id,
            exit_code=change.exit_code,
        )
        applied.append(True)
    return moved, applied


def _keeps_occupancy(change: KernelChange) -> bool:
    """Whether the change moves its kernel only between resource-occupying statuses."""
    return (
        change.expected is not None
        and change.to_status in _OCCUPYING
        and _OCCUPYING.issuperset(change.expected)
    )


async def _sessions_of(conn: AsyncConnection, kernel_ids: Collection[KernelId]) -> set[SessionId]:
    kernels = t.kernels.c
    found: set[SessionId] = set()
    for matching in id_filters(conn, kernels.id, kernel_ids):
        found.update(await conn.scalars(sa.select(kernels.session_id).where(matching)))
    return found


def _may_move(kernel: KernelRow, change: KernelChange) -> bool:
    if kernel.status in _FINISHED:
        return False
    if change.bound_to is not None and kernel.agent_id != change.bound_to:
        return False
    return change.expected is None or kernel.status in change.expected
