"""Pure rules for how a session or kernel row changes with its status.

Every writer of the scheduler repository (status updates, allocation, kernel writes) derives
new rows through these functions, so "what entering TERMINATED means" is decided in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow

_ENDED_SESSION = frozenset({SessionStatus.TERMINATED, SessionStatus.CANCELLED})
_OCCUPYING_SESSION = SessionStatus.resource_occupied_statuses()
_OCCUPYING_KERNEL = KernelStatus.resource_occupied_statuses()
_FINISHED_KERNEL = KernelStatus.finished_statuses()
#: ResourceSlot is immutable, so one empty value serves every cleared row.
_NOTHING = ResourceSlot()
#: Kernels a session-level move to the key must leave alone because an agent's report has
#: already taken them further (an image found ready, a kernel started) while the step that
#: asked for the move was still running; moving them back would lose that report.
_ALREADY_AHEAD = {
    KernelStatus.PREPARING: frozenset(KernelStatus) - KernelStatus.pre_prepared_statuses(),
    KernelStatus.PULLING: frozenset(KernelStatus) - KernelStatus.pre_prepared_statuses(),
    KernelStatus.CREATING: frozenset(KernelStatus) - KernelStatus.pre_running_statuses(),
}


@cache
def movable_kernel_statuses(to_status: KernelStatus) -> frozenset[KernelStatus]:
    """The statuses a session-level move takes a kernel from to `to_status`: any but that
    status itself, the finished ones (never resurrected) and those already ahead of it."""
    return (
        frozenset(KernelStatus)
        - {to_status}
        - _FINISHED_KERNEL
        - _ALREADY_AHEAD.get(to_status, frozenset())
    )


def transition_session(
    row: SessionRow, to_status: SessionStatus | None, reason: str | None, now: datetime
) -> SessionRow:
    """`row` moved to `to_status` (None: status kept) with `reason` as status_info (None: kept).

    status_changed moves only when the status actually changes; terminated_at is set once,
    when the session first enters TERMINATED or CANCELLED. Occupancy is settled separately
    (`settle_session_occupancy`), because it depends on the session's kernels.
    """
    status = row.status if to_status is None else to_status
    ended = status in _ENDED_SESSION and row.terminated_at is None
    return SessionRow(
        id=row.id,
        access_key=row.access_key,
        scaling_group=row.scaling_group,
        status=status,
        status_info=row.status_info if reason is None else reason,
        status_changed=row.status_changed if status == row.status else now,
        occupying_slots=row.occupying_slots,
        terminated_at=now if ended else row.terminated_at,
    )


def transition_kernel(
    row: KernelRow,
    to_status: KernelStatus,
    reason: str | None,
    now: datetime,
    *,
    container_id: str | None = None,
    exit_code: int | None = None,
) -> KernelRow:
    """`row` moved to `to_status`; callers decide whether the move is allowed.

    Leaving the resource-occupying statuses clears occupied_slots and nothing else, so the
    kernel still says where it ran. Entering PENDING resets the kernel for a new placement:
    no agent, no container, nothing occupied.
    """
    reset = to_status is KernelStatus.PENDING
    container_id = row.container_id if container_id is None else container_id
    finished = to_status in _FINISHED_KERNEL and row.terminated_at is None
    return KernelRow(
        id=row.id,
        session_id=row.session_id,
        agent_id=None if reset else row.agent_id,
        agent_addr=None if reset else row.agent_addr,
        container_id=None if reset else container_id,
        status=to_status,
        status_info=row.status_info if reason is None else reason,
        status_changed=row.status_changed if to_status == row.status else now,
        occupied_slots=row.occupied_slots if to_status in _OCCUPYING_KERNEL else _NOTHING,
        exit_code=row.exit_code if exit_code is None else exit_code,
        terminated_at=now if finished else row.terminated_at,
    )


def place_kernel(
    row: KernelRow, agent_id: AgentId, agent_addr: str, slots: ResourceSlot, now: datetime
) -> KernelRow:
    """`row` placed on an agent: SCHEDULED, bound to the agent and holding `slots`."""
    scheduled = KernelStatus.SCHEDULED
    return KernelRow(
        id=row.id,
        session_id=row.session_id,
        agent_id=agent_id,
        agent_addr=agent_addr,
        container_id=row.container_id,
        status=scheduled,
        status_info=row.status_info,
        status_changed=row.status_changed if row.status == scheduled else now,
        occupied_slots=slots,
        exit_code=row.exit_code,
        terminated_at=row.terminated_at,
    )


def settle_session_occupancy(row: SessionRow, kernels: Iterable[KernelRow]) -> SessionRow:
    """`row` with occupying_slots = what its kernels hold while the session occupies resources.

    A session in a resource-occupying status holds the sum of its occupying kernels' slots;
    in any other status it holds nothing.
    """
    total: ResourceSlot | None = None
    if row.status in _OCCUPYING_SESSION:
        for kernel in kernels:
            if kernel.status in _OCCUPYING_KERNEL:
                slots = kernel.occupied_slots
                total = slots if total is None else total + slots
    settled = _NOTHING if total is None else total
    if settled is row.occupying_slots:
        return row
    # Spelled out rather than dataclasses.replace, which costs several times more and runs
    # once per session of a batch.
    return SessionRow(
        id=row.id,
        access_key=row.access_key,
        scaling_group=row.scaling_group,
        status=row.status,
        status_info=row.status_info,
        status_changed=row.status_changed,
        occupying_slots=settled,
        terminated_at=row.terminated_at,
    )


def occupancy_contribution(row: KernelRow) -> tuple[AgentId, ResourceSlot] | None:
    """What the kernel adds to its agent's occupancy (None: nothing)."""
    if row.agent_id is None or row.status not in _OCCUPYING_KERNEL:
        return None
    return row.agent_id, row.occupied_slots


def agents_to_refresh(before: KernelRow, after: KernelRow) -> set[AgentId]:
    """Agents whose occupancy a kernel's change affects (empty when the contribution is equal)."""
    old, new = occupancy_contribution(before), occupancy_contribution(after)
    if old == new:
        return set()
    return {contribution[0] for contribution in (old, new) if contribution is not None}
