"""SWEEP_STALE_KERNELS: RUNNING kernels whose process is confirmed gone are reported dead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.status import KernelStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import KernelInfo
from sokovan.scheduler.handlers.base import KernelHandlerSpec, KernelLifecycleHandler
from sokovan.scheduler.results import KernelExecutionResult, KernelTransitionInfo
from sokovan.scheduler.terminator.base import SessionTerminatorPort

STALE_KERNEL: Final = "STALE_KERNEL"


class SweepStaleKernelsKernelHandler(KernelLifecycleHandler):
    """Asks the terminator which kernels are dead; those are failures with "STALE_KERNEL".

    The terminator only reports a kernel dead when its presence is missing or stale and its
    agent explicitly says it is not running, so an unreachable agent never kills kernels.
    The coordinator marks the failures TERMINATED (and the session follows through the
    DETECT_KERNEL_TERMINATION promotion). Live kernels are not reported. Empty input makes
    no call; terminator errors propagate.
    """

    spec: ClassVar[KernelHandlerSpec] = KernelHandlerSpec(
        name="sweep-stale-kernels",
        target_kernel_statuses=frozenset({KernelStatus.RUNNING}),
        lock_id=LockID.LOCKID_SOKOVAN_STALE_KERNELS,
    )

    def __init__(self, terminator: SessionTerminatorPort) -> None:
        self._terminator = terminator

    async def execute(
        self, scaling_group: str, kernels: Sequence[KernelInfo]
    ) -> KernelExecutionResult:
        if not kernels:
            return KernelExecutionResult()
        dead = set(await self._terminator.check_stale_kernels(kernels))
        return KernelExecutionResult(
            failures=[
                KernelTransitionInfo.of(k, STALE_KERNEL) for k in kernels if k.kernel_id in dead
            ]
        )
