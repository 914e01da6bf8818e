"""The launcher port the lifecycle handlers call (the agent-backed implementation is separate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    SessionDataForPull,
    SessionDataForStart,
)


class SessionLauncherPort(Protocol):
    async def trigger_image_pulling(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        """Ask each involved agent once for its images; pulling completes asynchronously."""
        ...

    async def start_sessions_for_handler(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        """Create the sessions' kernels on their agents; creation completes asynchronously."""
        ...
