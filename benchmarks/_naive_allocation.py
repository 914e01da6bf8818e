"""The reference for committing placements: one transaction per session, row by row.

What a straightforward implementation does: lock the session, then for each kernel lock its
agent, check the room left, and UPDATE the agent, then the kernel; finally UPDATE the
session. It checks what `allocate_sessions` checks for these sessions (still PENDING, room
on the agent) and leaves the same rows behind, one round trip per row.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from _snapshot import addr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.write_specs import KernelAllocation, SessionAllocation

_A, _K, _S = t.agents.c, t.kernels.c, t.sessions.c


class _NoRoom(Exception):
    """The session no longer fits or is no longer PENDING: roll its transaction back."""


async def allocate_naively(
    engine: AsyncEngine, allocations: list[SessionAllocation], now: datetime
) -> int:
    """Commit each allocation in its own transaction; returns how many were committed."""
    committed = 0
    for allocation in allocations:
        try:
            async with engine.begin() as conn:
                await _allocate(conn, allocation, now)
        except _NoRoom:
            continue
        committed += 1
    return committed


async def _allocate(conn: AsyncConnection, allocation: SessionAllocation, now: datetime) -> None:
    status = await conn.scalar(
        sa.select(_S.status).where(_S.id == allocation.session_id).with_for_update()
    )
    if status is not SessionStatus.PENDING:
        raise _NoRoom
    occupying = ResourceSlot()
    for kernel in allocation.kernels:
        await _place(conn, kernel, now)
        occupying += kernel.slots
    await conn.execute(
        t.sessions.update()
        .where(_S.id == allocation.session_id)
        .values(status=SessionStatus.SCHEDULED, status_changed=now, occupying_slots=occupying)
    )


async def _place(conn: AsyncConnection, kernel: KernelAllocation, now: datetime) -> None:
    agent = (
        await conn.execute(
            sa.select(_A.available_slots, _A.occupied_slots, _A.container_count)
            .where(_A.id == kernel.agent_id)
            .with_for_update()
        )
    ).one()
    occupied = agent.occupied_slots + kernel.slots
    if not occupied.fits_in(agent.available_slots):
        raise _NoRoom
    await conn.execute(
        t.agents.update()
        .where(_A.id == kernel.agent_id)
        .values(occupied_slots=occupied, container_count=agent.container_count + 1)
    )
    await conn.execute(
        t.kernels.update()
        .where(_K.id == kernel.kernel_id)
        .values(
            agent_id=kernel.agent_id,
            agent_addr=addr(kernel.agent_id),
            status=KernelStatus.SCHEDULED,
            status_changed=now,
            occupied_slots=kernel.slots,
        )
    )
