"""Applying the coordinator's status changes together with their history, atomically."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sokovan.common.ids import KernelId, SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.history import write_history
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionStatusChange,
    SessionStatusUpdater,
)
from sokovan.repositories.scheduler.write_transitions import (
    movable_kernel_statuses,
    transition_kernel,
    transition_session,
)
from sokovan.repositories.scheduler.write_uniform import apply_uniform_change, uniform_change
from sokovan.repositories.scheduler.write_workset import Workset, commit_workset, lock_workset


class StatusUpdateMixin(KeypairOccupancyMixin):
    async def update_with_history(
        self, updater: SessionStatusUpdater, creator: SchedulingHistoryCreator
    ) -> int:
        """Apply every change of `updater` and record `creator`'s history in one transaction.

        Per change: `to_status` becomes the session's status (status_changed moves only when it
        actually changes; entering TERMINATED/CANCELLED sets terminated_at once), `reason`
        becomes status_info (None keeps it), and `kernel_to_status` moves the session's
        kernels that are not finished (TERMINATED/CANCELLED kernels are never resurrected).
        A change whose session no longer exists, or is no longer in `expected_status`, is not
        applied, and the history specs of such sessions are dropped: history describes only
        what happened. Specs for sessions the updater does not mention are always recorded.

        Touched sessions' occupying_slots follow their kernels, and agents whose kernels
        moved in or out of the occupying statuses are refreshed. Cached keypair occupancy of
        the touched access keys is invalidated after the commit.

        Returns the number of sessions whose change was applied.
        """
        now = self._clock.now()
        mentioned = {change.session_id for change in updater.changes}
        shared = uniform_change(updater.changes)
        async with self._engine.begin() as conn:
            done = None
            if shared is not None and conn.dialect.name == "sqlite":
                done = await apply_uniform_change(conn, shared, mentioned, now)
            if done is None:
                before = await lock_workset(conn, mentioned)
                after, applied = apply_status_changes(before, updater.changes, now)
                access_keys = await commit_workset(conn, before, after)
            else:
                applied, access_keys = done
            skipped = mentioned - applied
            specs = [spec for spec in creator.specs if spec.session_id not in skipped]
            await write_history(conn, specs, now)
        self._forget_occupancy(access_keys)
        return len(applied)


def _guard_holds(change: SessionStatusChange, status: SessionStatus) -> bool:
    # A session already in the target status counts as applied: allocate_sessions moves
    # sessions to SCHEDULED itself, and the coordinator's change must still record history.
    return change.expected_status in (None, status) or change.to_status == status


def apply_status_changes(
    before: Workset, changes: Iterable[SessionStatusChange], now: datetime
) -> tuple[Workset, set[SessionId]]:
    """The workset after `changes` (applied in order), and the sessions whose change applied."""
    sessions: dict[SessionId, SessionRow] = {}
    kernels: dict[KernelId, KernelRow] = {}
    applied: set[SessionId] = set()
    for change in changes:
        current = sessions.get(change.session_id) or before.sessions.get(change.session_id)
        if current is None or not _guard_holds(change, current.status):
            continue
        applied.add(change.session_id)
        sessions[current.id] = transition_session(current, change.to_status, change.reason, now)
        if change.kernel_to_status is None:
            continue
        for kernel_id in before.kernel_ids.get(current.id, ()):
            kernel = kernels.get(kernel_id) or before.kernels[kernel_id]
            if _may_move(kernel, change.kernel_to_status):
                kernels[kernel_id] = transition_kernel(
                    kernel, change.kernel_to_status, change.reason, now
                )
    return before.updated(sessions, kernels), applied


def _may_move(kernel: KernelRow, to_status: KernelStatus) -> bool:
    return kernel.status in movable_kernel_statuses(to_status)
