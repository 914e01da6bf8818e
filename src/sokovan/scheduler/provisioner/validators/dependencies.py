"""Session dependencies: a session runs only after every session it depends on succeeded.

A dependency has succeeded when it is TERMINATED with result SUCCESS. It has failed, and the
dependent session can never run, when it was CANCELLED or hit an ERROR, when it TERMINATED
with result FAILURE, or when it is missing from the snapshot (deleted, or never existed).
Anything else (not finished yet, or TERMINATED with no result recorded yet) is waited for.
"""

from __future__ import annotations

from sokovan.common.ids import SessionId
from sokovan.common.status import SessionResult, SessionStatus
from sokovan.repositories.scheduler.snapshot_types import DependencyState, PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import DependencyFailed, DependencyNotReady

_FAILED_STATUSES = frozenset({SessionStatus.CANCELLED, SessionStatus.ERROR})


def _has_failed(state: DependencyState | None) -> bool:
    if state is None:
        return True
    if state.status in _FAILED_STATUSES:
        return True
    return state.status is SessionStatus.TERMINATED and state.result is SessionResult.FAILURE


def _has_succeeded(state: DependencyState) -> bool:
    return state.status is SessionStatus.TERMINATED and state.result is SessionResult.SUCCESS


def _describe(session_id: SessionId, state: DependencyState | None) -> str:
    if state is None:
        return f"{session_id} (not found)"
    return f"{session_id} ({state.status}, result {state.result})"


class DependencyValidator:
    """Failed dependencies are reported before unfinished ones: that verdict is final."""

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        if not session.depends_on:
            return
        states = [(dep, cycle.data.dependencies.get(dep)) for dep in session.depends_on]
        failed = [_describe(dep, state) for dep, state in states if _has_failed(state)]
        if failed:
            raise DependencyFailed(
                f"dependencies ended without success: {', '.join(failed)}; "
                "this session can never run, cancel it"
            )
        waiting = [
            _describe(dep, state)
            for dep, state in states
            if state is not None and not _has_succeeded(state)
        ]
        if waiting:
            raise DependencyNotReady(
                f"waiting for dependencies to finish successfully: {', '.join(waiting)}"
            )
