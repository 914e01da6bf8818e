"""Kernel-level writes (the kernel state engine's) and session priority changes."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa

from sokovan.common.ids import KernelId, SessionId
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.write_bulk import id_filters
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin
from sokovan.repositories.scheduler.write_rows import KernelRow
from sokovan.repositories.scheduler.write_transitions import transition_kernel
from sokovan.repositories.scheduler.write_workset import commit_workset, lock_workset

_RETRIABLE = KernelStatus.retriable_statuses()
_FINISHED = KernelStatus.finished_statuses()


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
        return await self._move_kernel(
            kernel_id, KernelStatus.TERMINATED, reason, expected=None, exit_code=exit_code
        )

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
        return await self._move_kernel(
            kernel_id, to_status, reason, expected=expected_statuses, container_id=container_id
        )

    async def lower_session_priority(
        self, session_ids: Sequence[SessionId], amount: int, min_priority: int
    ) -> None:
        """priority = max(priority - amount, min_priority) for each session, in one UPDATE."""
        priority = t.sessions.c.priority
        lowered = sa.case((priority - amount < min_priority, min_priority), else_=priority - amount)
        async with self._engine.begin() as conn:
            for matching in id_filters(conn, t.sessions.c.id, session_ids):
                await conn.execute(t.sessions.update().where(matching).values(priority=lowered))

    async def _move_kernel(
        self,
        kernel_id: KernelId,
        to_status: KernelStatus,
        reason: str | None,
        *,
        expected: Collection[KernelStatus] | None,
        container_id: str | None = None,
        exit_code: int | None = None,
    ) -> bool:
        now = self._clock.now()
        async with self._engine.begin() as conn:
            # The session is locked before the kernel, in the order every writer uses.
            session_id = await conn.scalar(
                sa.select(t.kernels.c.session_id).where(t.kernels.c.id == kernel_id)
            )
            if session_id is None:
                return False
            before = await lock_workset(conn, [session_id])
            kernel = before.kernels.get(kernel_id)
            if kernel is None or not _may_move(kernel, expected):
                return False
            moved = transition_kernel(
                kernel, to_status, reason, now, container_id=container_id, exit_code=exit_code
            )
            access_keys = await commit_workset(
                conn, before, before.updated(kernels={kernel_id: moved})
            )
        self._forget_occupancy(access_keys)
        return True


def _may_move(kernel: KernelRow, expected: Collection[KernelStatus] | None) -> bool:
    if kernel.status in _FINISHED:
        return False
    return expected is None or kernel.status in expected
