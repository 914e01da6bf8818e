"""Status hooks: per-session work that must succeed before a session enters a status."""

from __future__ import annotations

import logging
from typing import Protocol

from sokovan.common.clock import Clock
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
