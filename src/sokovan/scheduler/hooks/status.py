"""Status hooks: per-session work that must succeed before a session enters a status."""

from __future__ import annotations

import logging
from typing import Protocol

from sokovan.common.clock import Clock
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SessionType
from sokovan.common.status import SessionResult
from sokovan.repositories.scheduler.types import SessionWithKernels

log = logging.getLogger(__name__)


class StatusHook(Protocol):
    async def execute(self, session: SessionWithKernels) -> None:
        """Run for one session about to enter the hook's status.

        Raising keeps that session (and only it) from transitioning in this cycle; it is
        retried on the next one. Must be safe to run again for the same session.
        """
        ...


class RunningStatusHook:
    """Reports each session that starts running: where, with what, and how long it took.

    Occupancy needs no hook: the status update settles sessions' and agents' occupied slots
    in the same transaction. What is left for RUNNING is the operator's view: the time from
    submission to RUNNING is the latency users feel, so it is logged per session. Never
    raises.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def execute(self, session: SessionWithKernels) -> None:
        info = session.session_info
        agents = sorted({k.agent_id for k in session.kernel_infos if k.agent_id is not None})
        waited = (self._clock.now() - info.created_at).total_seconds()
        log.info(
            "session %s (%s) running %d kernel(s) on %s with %s, %.3fs after submission",
            info.session_id,
            info.name,
            len(session.kernel_infos),
            ", ".join(agents) or "no agent",
            info.occupying_slots,
            waited,
        )


class SessionResultWriter(Protocol):
    async def record_session_result(
        self, session_id: SessionId, result: SessionResult, status_info: str | None
    ) -> bool: ...


BATCH_COMPLETED = "batch-completed"


class TerminatedStatusHook:
    """Records how a batch session ended, from its kernels' exit codes.

    A kernel's exit ends its whole session (detect-termination), so siblings of a kernel that
    finished are stopped by a signal (a negative exit code). A batch session therefore
    succeeds when some kernel exited with 0 and none failed on its own (a positive or unknown
    exit code); a session whose kernels were all stopped by a signal, e.g. on the user's
    request, failed. status_info names the first failing kernel. Other session types end with
    their result undefined: stopping an interactive session is neither.
    """

    def __init__(self, writer: SessionResultWriter) -> None:
        self._writer = writer

    async def execute(self, session: SessionWithKernels) -> None:
        if session.session_info.session_type is not SessionType.BATCH:
            return
        finished_cleanly = any(k.exit_code == 0 for k in session.kernel_infos)
        failed = [
            k
            for k in session.kernel_infos
            if k.exit_code is None or k.exit_code > 0 or (k.exit_code < 0 and not finished_cleanly)
        ]
        if not failed:
            await self._writer.record_session_result(
                session.session_id, SessionResult.SUCCESS, BATCH_COMPLETED
            )
            return
        first = failed[0]
        exit_text = "no exit code" if first.exit_code is None else f"exit code {first.exit_code}"
        await self._writer.record_session_result(
            session.session_id,
            SessionResult.FAILURE,
            f"batch-failed: kernel {first.cluster_hostname} ended with {exit_text}",
        )
