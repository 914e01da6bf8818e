"""KernelStateEngine over a recording repository."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sokovan.common.ids import KernelId, SessionId
from sokovan.scheduler.kernel.state_engine import KernelStateEngine


@dataclass
class RecordingKernelRepository:
    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def reset_kernels_to_pending(self, session_ids: Sequence[SessionId], reason: str) -> int:
        self.calls.append(("reset_kernels_to_pending", (list(session_ids), reason)))
        return 2 * len(session_ids)

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool:
        self.calls.append(("mark_kernel_terminated", (kernel_id, reason, exit_code)))
        return True


async def test_reset_goes_to_the_repository_and_reports_the_kernel_count() -> None:
    repository = RecordingKernelRepository()
    sid = SessionId(uuid.uuid4())

    reset = await KernelStateEngine(repository).reset_kernels_to_pending_for_sessions(
        [sid], reason="EXCEEDED_MAX_RETRIES"
    )

    assert reset == 2
    assert repository.calls == [("reset_kernels_to_pending", ([sid], "EXCEEDED_MAX_RETRIES"))]


async def test_mark_kernel_terminated_passes_the_reason_and_exit_code() -> None:
    repository = RecordingKernelRepository()
    kid = KernelId(uuid.uuid4())
    engine = KernelStateEngine(repository)

    assert await engine.mark_kernel_terminated(kid, "STALE_KERNEL") is True
    assert await engine.mark_kernel_terminated(kid, "exited", exit_code=3) is True

    assert repository.calls == [
        ("mark_kernel_terminated", (kid, "STALE_KERNEL", None)),
        ("mark_kernel_terminated", (kid, "exited", 3)),
    ]
