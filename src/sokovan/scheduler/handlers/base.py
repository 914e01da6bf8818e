"""Handler contracts.

A handler declares its static facts once, in a `HandlerSpec` class variable, and implements
`execute`. The coordinator owns everything around it: querying targets, retries, timeouts,
hooks, history, events and post-processing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sokovan.common.scheduling import KernelMatchType, StatusTransitions
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import KernelInfo, SessionWithKernels
from sokovan.scheduler.results import KernelExecutionResult, SessionExecutionResult


@dataclass(frozen=True, slots=True)
class KernelMatch:
    statuses: frozenset[KernelStatus]
    match_type: KernelMatchType


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    #: The phase name recorded in history ("schedule-sessions", …).
    name: str
    #: Sessions in these statuses are the handler's targets.
    target_statuses: frozenset[SessionStatus]
    #: What the targets' kernels must look like, if anything.
    target_kernels: KernelMatch | None
    status_transitions: StatusTransitions
    #: Held around the whole run when set (one manager at a time).
    lock_id: LockID | None


class SessionLifecycleHandler(ABC):
    spec: ClassVar[HandlerSpec]

    @abstractmethod
    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        """Do this step for `sessions` of `scaling_group`; exceptions go to the coordinator."""


@dataclass(frozen=True, slots=True)
class KernelHandlerSpec:
    name: str
    target_kernel_statuses: frozenset[KernelStatus]
    lock_id: LockID | None


class KernelLifecycleHandler(ABC):
    spec: ClassVar[KernelHandlerSpec]

    @abstractmethod
    async def execute(
        self, scaling_group: str, kernels: Sequence[KernelInfo]
    ) -> KernelExecutionResult:
        """Check `kernels`; failures are kernels the coordinator marks TERMINATED."""
