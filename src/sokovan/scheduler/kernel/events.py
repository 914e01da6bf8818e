"""Kernel events as the scheduler sees them, and what each one does to a kernel (pure).

Agents report progress as events (`sokovan.agent.protocol.KernelEvent`); the agent gateway
turns them into `AgentKernelEvent`s and the `KernelStateEngine` applies them. Applying is
monotonic: a kernel only ever moves *forward* along

    SCHEDULED → PREPARING → PULLING → PREPARED → CREATING → RUNNING → TERMINATING → TERMINATED

so events may arrive late, twice or in any order and the kernel still ends where the most
advanced event puts it (a "creating" after "terminated" changes nothing). TERMINATED and
CANCELLED are final. Image events name an image, not a kernel: they apply to the agent's
kernels that still wait for that image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Final

from sokovan.agent.protocol import KernelEventKind
from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.types import KernelInfo

#: Width of the kernels' status_info column.
MAX_REASON_LENGTH: Final = 256

_S = KernelStatus
#: How far along its lifecycle a kernel is; events only ever raise it. ERROR sits beside
#: TERMINATING: a failed kernel may still be reported terminated, never running again.
KERNEL_PROGRESS: Final[Mapping[KernelStatus, int]] = MappingProxyType(
    {
        _S.PENDING: 0,
        _S.SCHEDULED: 1,
        _S.PREPARING: 2,
        _S.BUILDING: 3,
        _S.PULLING: 3,
        _S.PREPARED: 4,
        _S.CREATING: 5,
        _S.RUNNING: 6,
        _S.TERMINATING: 7,
        _S.ERROR: 7,
        _S.TERMINATED: 8,
        _S.CANCELLED: 8,
    }
)

#: Kernels an image event may concern: placed, and still waiting for their image.
IMAGE_WAITING_STATUSES: Final = KernelStatus.pre_prepared_statuses() - {KernelStatus.PENDING}

#: The schedule types that may have work once kernels reach a status (hinted after applying).
HINTS_AFTER: Final[Mapping[KernelStatus, tuple[ScheduleType, ...]]] = MappingProxyType(
    {
        _S.PREPARED: (ScheduleType.CHECK_PULLING_PROGRESS,),
        _S.RUNNING: (ScheduleType.CHECK_CREATING_PROGRESS,),
        _S.TERMINATED: (
            ScheduleType.CHECK_TERMINATING_PROGRESS,
            ScheduleType.DETECT_KERNEL_TERMINATION,
        ),
    }
)


def statuses_before(target: KernelStatus) -> frozenset[KernelStatus]:
    """The statuses a placed kernel may move to `target` from: those strictly behind it.

    PENDING is never included: a PENDING kernel has no agent, so no agent speaks for it.
    """
    rank = KERNEL_PROGRESS[target]
    return frozenset(
        status
        for status, progress in KERNEL_PROGRESS.items()
        if progress < rank and status is not KernelStatus.PENDING
    )


def bounded_reason(reason: str) -> str:
    """`reason` cut to what the status_info column holds."""
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 1] + "…"


class EventScope(Enum):
    KERNEL = "kernel"  #: the event names its kernel
    IMAGE = "image"  #: the event names an image; it concerns the kernels waiting for it


_IMAGE_KINDS: Final = frozenset(
    {
        KernelEventKind.IMAGE_PULL_STARTED,
        KernelEventKind.IMAGE_PULL_FINISHED,
        KernelEventKind.IMAGE_PULL_FAILED,
    }
)


@dataclass(frozen=True, slots=True)
class AgentKernelEvent:
    """One event reported by one incarnation (`instance_id`) of an agent.

    Raises InvalidInputError on construction when a kernel event names no kernel or an image
    event names no image.
    """

    kind: KernelEventKind
    agent_id: AgentId
    instance_id: str
    occurred_at: datetime
    kernel_id: KernelId | None = None
    session_id: SessionId | None = None
    image: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    container_id: str | None = None

    def __post_init__(self) -> None:
        if self.scope is EventScope.IMAGE and not self.image:
            raise InvalidInputError(f"{self.kind} event of agent {self.agent_id!r} has no image")
        if self.scope is EventScope.KERNEL and self.kernel_id is None:
            raise InvalidInputError(f"{self.kind} event of agent {self.agent_id!r} has no kernel")

    @property
    def scope(self) -> EventScope:
        return EventScope.IMAGE if self.kind in _IMAGE_KINDS else EventScope.KERNEL


@dataclass(frozen=True, slots=True)
class KernelEventEffect:
    """Where an event moves the kernels it concerns, and what it records on them."""

    to_status: KernelStatus
    reason: str
    container_id: str | None = None
    exit_code: int | None = None


def _with_detail(prefix: str, detail: str | None) -> str:
    return bounded_reason(f"{prefix}: {detail}" if detail else prefix)


def effect_of(event: AgentKernelEvent) -> KernelEventEffect:
    """The transition `event` asks for (whether it applies is the kernel's current status)."""
    kind = event.kind
    if kind is KernelEventKind.IMAGE_PULL_STARTED:
        return KernelEventEffect(KernelStatus.PULLING, "image-pulling")
    if kind is KernelEventKind.IMAGE_PULL_FINISHED:
        return KernelEventEffect(KernelStatus.PREPARED, "image-ready")
    if kind is KernelEventKind.IMAGE_PULL_FAILED:
        return KernelEventEffect(
            KernelStatus.TERMINATED, _with_detail("image-pull-failed", event.reason)
        )
    if kind is KernelEventKind.KERNEL_CREATING:
        return KernelEventEffect(KernelStatus.CREATING, "kernel-creating")
    if kind is KernelEventKind.KERNEL_STARTED:
        return KernelEventEffect(
            KernelStatus.RUNNING, "kernel-started", container_id=event.container_id
        )
    if kind is KernelEventKind.KERNEL_CREATION_FAILED:
        return KernelEventEffect(
            KernelStatus.TERMINATED, _with_detail("kernel-creation-failed", event.reason)
        )
    return KernelEventEffect(
        KernelStatus.TERMINATED,
        bounded_reason(event.reason or "kernel-terminated"),
        exit_code=event.exit_code,
    )


def targets_of(
    event: AgentKernelEvent,
    known: Mapping[KernelId, KernelInfo],
    waiting: Sequence[KernelInfo],
) -> tuple[KernelId, ...]:
    """The kernels `event` concerns: only kernels bound to the reporting agent.

    `known` holds the kernels that kernel events name; `waiting` the kernels of the reporting
    agents that wait for an image (`IMAGE_WAITING_STATUSES`). A kernel bound to another agent
    (rescheduled meanwhile) is never a target.
    """
    if event.scope is EventScope.KERNEL:
        kernel = known.get(event.kernel_id) if event.kernel_id is not None else None
        if kernel is None or kernel.agent_id != event.agent_id:
            return ()
        return (kernel.kernel_id,)
    return tuple(
        kernel.kernel_id
        for kernel in waiting
        if kernel.agent_id == event.agent_id
        and kernel.image == event.image
        and (event.kernel_id is None or kernel.kernel_id == event.kernel_id)
    )


@dataclass(frozen=True, slots=True)
class EventApplication:
    """What applying a batch of events did."""

    #: Events that moved at least one kernel.
    applied: int = 0
    #: Events of the current incarnation that changed nothing (duplicates, late arrivals).
    unchanged: int = 0
    #: Events not applied at all: from an old incarnation or an unknown agent, or about
    #: kernels that are unknown or bound to another agent.
    ignored: int = 0
    #: Every kernel that moved, once, in the order they first moved.
    moved_kernels: tuple[KernelId, ...] = ()
