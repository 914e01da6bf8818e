"""The terminator port the lifecycle and kernel handlers call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sokovan.common.ids import KernelId
from sokovan.repositories.scheduler.types import KernelInfo, TerminatingSessionData


class SessionTerminatorPort(Protocol):
    async def terminate_sessions_for_handler(
        self, sessions: Sequence[TerminatingSessionData]
    ) -> None:
        """Send destroy RPCs for every kernel that has an agent; results arrive as events."""
        ...

    async def check_stale_kernels(self, kernels: Sequence[KernelInfo]) -> list[KernelId]:
        """The kernels confirmed dead: presence missing or STALE in the hint store, and the
        agent's `check_running` answered an explicit False. Agent errors and kernels without
        an agent are never reported dead."""
        ...
