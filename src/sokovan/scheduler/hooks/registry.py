"""Which hook runs for which target status, and running one over a batch of sessions."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sokovan.common.clock import Clock
from sokovan.common.ids import SessionId
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.hooks.status import (
    RunningStatusHook,
    SessionResultWriter,
    StatusHook,
    TerminatedStatusHook,
)
from sokovan.scheduler.results import SessionTransitionInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HookExecutionResult:
    #: Sessions whose hook passed, in input order: these may transition.
    successful_sessions: list[SessionTransitionInfo] = field(default_factory=list)
    #: Sessions whose hook raised, or that no longer exist: these stay where they are.
    failed_sessions: list[SessionTransitionInfo] = field(default_factory=list)


class HookRegistry:
    """At most one hook per target status; statuses without one need no per-session work."""

    def __init__(self, hooks: Mapping[SessionStatus, StatusHook] | None = None) -> None:
        self._hooks = MappingProxyType(dict(hooks or {}))

    @classmethod
    def default(cls, clock: Clock, results: SessionResultWriter) -> HookRegistry:
        """The hooks the orchestrator installs: RUNNING (logs time-to-running) and
        TERMINATED (records a batch session's result)."""
        return cls(
            {
                SessionStatus.RUNNING: RunningStatusHook(clock),
                SessionStatus.TERMINATED: TerminatedStatusHook(results),
            }
        )

    def get_hook(self, status: SessionStatus) -> StatusHook | None:
        return self._hooks.get(status)


async def run_hook(
    hook: StatusHook,
    target_status: SessionStatus,
    infos: Sequence[SessionTransitionInfo],
    sessions: Sequence[SessionWithKernels],
) -> HookExecutionResult:
    """Run `hook` for each of `infos` (described in full by `sessions`), one after another.

    A hook that raises is logged with its session and keeps only that session back; the
    others are unaffected. A session missing from `sessions` was deleted meanwhile and is
    kept back too (its status update would not apply anyway).
    """
    by_id: dict[SessionId, SessionWithKernels] = {s.session_id: s for s in sessions}
    passed: list[SessionTransitionInfo] = []
    held_back: list[SessionTransitionInfo] = []
    for info in infos:
        session = by_id.get(info.session_id)
        if session is not None and await _passes(hook, target_status, session):
            passed.append(info)
        else:
            held_back.append(info)
    return HookExecutionResult(passed, held_back)


async def _passes(
    hook: StatusHook, target_status: SessionStatus, session: SessionWithKernels
) -> bool:
    try:
        await hook.execute(session)
    except Exception:
        log.exception("%s hook failed for session %s", target_status, session.session_id)
        return False
    return True
