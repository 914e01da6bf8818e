"""Termination requests: cancel what never started, send the rest to TERMINATING.

A PENDING or DEPRIORITIZING session holds nothing on any agent, so it is CANCELLED at once
together with its kernels. A session in any other live status has (or may have) kernels on
agents; it goes to TERMINATING with its unfinished kernels, and the TERMINATE step destroys
them. Sessions already TERMINATING or ended are left exactly as they are (the first reason
stays), so a repeated request is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.history import write_history
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow
from sokovan.repositories.scheduler.write_specs import SessionHistorySpec
from sokovan.repositories.scheduler.write_transitions import transition_kernel, transition_session
from sokovan.repositories.scheduler.write_workset import Workset, commit_workset, lock_workset

#: The phase recorded in history for a termination request.
TERMINATION_REQUEST_PHASE = "request-termination"

_CANCELLED_AT_ONCE = frozenset({SessionStatus.PENDING, SessionStatus.DEPRIORITIZING})
_LEFT_ALONE = SessionStatus.terminal_statuses() | {SessionStatus.TERMINATING}
_FINISHED_KERNEL = KernelStatus.finished_statuses()


@dataclass(frozen=True, slots=True)
class TerminationMarkResult:
    """What a request did, each list in the order the ids were given."""

    cancelled: tuple[SessionId, ...]
    terminating: tuple[SessionId, ...]
    #: Unknown, already TERMINATING or already ended: unchanged.
    untouched: tuple[SessionId, ...]


@dataclass(frozen=True, slots=True)
class _TerminationPlan:
    after: Workset
    history: tuple[SessionHistorySpec, ...]
    result: TerminationMarkResult


class TerminationMarkMixin(KeypairOccupancyMixin):
    async def mark_sessions_for_termination(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> TerminationMarkResult:
        """Cancel or start terminating each session, with history, in one transaction.

        `reason` becomes the status_info of every session and kernel that moves, and the
        message of its history row. Cancelled sessions and kernels get terminated_at.
        """
        if not session_ids:
            return TerminationMarkResult((), (), ())
        now = self._clock.now()
        async with self._engine.begin() as conn:
            before = await lock_workset(conn, session_ids)
            plan = plan_termination(before, session_ids, reason, now)
            access_keys = await commit_workset(conn, before, plan.after)
            await write_history(conn, plan.history, now)
        self._forget_occupancy(access_keys)
        return plan.result


def plan_termination(
    before: Workset, session_ids: Sequence[SessionId], reason: str, now: datetime
) -> _TerminationPlan:
    """The workset after the request, its history and its outcome (pure)."""
    sessions: dict[SessionId, SessionRow] = {}
    kernels: dict[KernelId, KernelRow] = {}
    history: list[SessionHistorySpec] = []
    outcome: dict[SessionStatus | None, list[SessionId]] = {
        SessionStatus.CANCELLED: [],
        SessionStatus.TERMINATING: [],
        None: [],
    }
    for session_id in dict.fromkeys(session_ids):
        row = before.sessions.get(session_id)
        target = None if row is None else _target_of(row.status)
        outcome[target].append(session_id)
        if row is None or target is None:
            continue
        sessions[session_id] = transition_session(row, target, reason, now)
        kernel_target = KernelStatus(target.value)
        for kernel in before.kernels_of(session_id):
            if kernel.status not in _FINISHED_KERNEL and kernel.status != kernel_target:
                kernels[kernel.id] = transition_kernel(kernel, kernel_target, reason, now)
        history.append(
            SessionHistorySpec(
                session_id=session_id,
                phase=TERMINATION_REQUEST_PHASE,
                result=SchedulingResult.SUCCESS,
                from_status=row.status,
                to_status=target,
                message=reason,
            )
        )
    result = TerminationMarkResult(
        cancelled=tuple(outcome[SessionStatus.CANCELLED]),
        terminating=tuple(outcome[SessionStatus.TERMINATING]),
        untouched=tuple(outcome[None]),
    )
    return _TerminationPlan(before.updated(sessions, kernels), tuple(history), result)


def _target_of(status: SessionStatus) -> SessionStatus | None:
    if status in _CANCELLED_AT_ONCE:
        return SessionStatus.CANCELLED
    if status in _LEFT_ALONE:
        return None
    return SessionStatus.TERMINATING
