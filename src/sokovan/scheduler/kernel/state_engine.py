"""KernelStateEngine: the one place kernel-level status changes go through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sokovan.common.ids import KernelId, SessionId


class KernelStateRepository(Protocol):
    """The repository writes the engine is built on."""

    async def reset_kernels_to_pending(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> int: ...

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool: ...


class KernelStateEngine:
    """Kernel transitions the scheduler decides on, over the scheduler repository."""

    def __init__(self, repository: KernelStateRepository) -> None:
        self._repository = repository

    async def reset_kernels_to_pending_for_sessions(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> int:
        """Send the sessions' not-yet-running kernels back to PENDING for a new placement.

        Kernels in a retriable status lose their agent, container and slots and take
        `reason` as status_info; running, finished and already PENDING kernels are left
        alone. Returns how many kernels were reset.
        """
        return await self._repository.reset_kernels_to_pending(session_ids, reason)

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool:
        """Move the kernel to TERMINATED and free what it held; idempotent.

        Returns False when the kernel is unknown or already TERMINATED/CANCELLED.
        """
        return await self._repository.mark_kernel_terminated(kernel_id, reason, exit_code)
