"""Committing the provisioner's placements: one transaction, never an overcommitted agent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.collector import collector_paused
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.read_slots import SlotsReader, slots_text
from sokovan.repositories.scheduler.write_allocation_check import (
    AgentLedger,
    AgentState,
    demands_of,
    session_problem,
)
from sokovan.repositories.scheduler.write_bulk import bulk_update, id_filters
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin
from sokovan.repositories.scheduler.write_rows import (
    KernelRow,
    SessionRow,
    for_update,
    write_kernel_changes,
    write_session_changes,
)
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    AllocationOutcome,
    RejectedAllocation,
)
from sokovan.repositories.scheduler.write_transitions import (
    place_kernel,
    settle_session_occupancy,
    transition_session,
)
from sokovan.repositories.scheduler.write_workset import Workset, lock_workset

_A = t.agents.c
_K = t.kernels.c


class AllocationMixin(KeypairOccupancyMixin):
    async def allocate_sessions(self, batch: AllocationBatch) -> AllocationOutcome:
        """Commit the batch's placements; each session is accepted whole or rejected whole.

        Under the sessions', kernels' and agents' row locks (taken in that order), every
        session is re-checked in batch order: it must still be PENDING, the allocation must
        place exactly its PENDING kernels, and every agent must be ALIVE, schedulable, in the
        session's scaling group, have room for the slots (its current occupancy, recomputed
        from its kernels, plus what earlier sessions of the batch took) and stay within the
        scaling group's max_container_count. Accepted sessions and their kernels become
        SCHEDULED with their slots and agents; agents' occupancy is refreshed; the scaling
        group's round-robin position is stored when the batch carries one. Rejected sessions
        are left untouched and come back with a reason. Database errors propagate.
        """
        with collector_paused():
            return await self._allocate(batch)

    async def _allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        now = self._clock.now()
        async with self._engine.begin() as conn:
            before = await lock_workset(conn, {a.session_id for a in batch.allocations})
            ledger = await _load_ledger(conn, batch, before)
            decided = _decide(before, batch, ledger, now)
            await write_kernel_changes(conn, decided.kernels)
            await write_session_changes(conn, decided.sessions)
            await _write_agents(conn, ledger)
            if batch.roundrobin_next_index is not None:
                name, position = batch.roundrobin_next_index
                await conn.execute(
                    t.scaling_groups.update()
                    .where(t.scaling_groups.c.name == name)
                    .values(roundrobin_next_index=position)
                )
        self._forget_occupancy({after.access_key for _, after in decided.sessions})
        return decided.outcome


@dataclass(frozen=True, slots=True)
class _Decided:
    outcome: AllocationOutcome
    #: (locked row, new row) of every accepted session, occupancy settled from its kernels.
    sessions: list[tuple[SessionRow, SessionRow]]
    #: (locked row, new row) of every kernel the accepted sessions place.
    kernels: list[tuple[KernelRow, KernelRow]]


def _decide(
    before: Workset, batch: AllocationBatch, ledger: AgentLedger, now: datetime
) -> _Decided:
    """Re-check every allocation in batch order and derive the rows of the accepted ones.

    The agents' occupancy is not among the rows: the ledger holds it (`_write_agents`).
    """
    scheduled: dict[SessionId, SessionRow] = {}
    kernel_pairs: list[tuple[KernelRow, KernelRow]] = []
    allocated: list[SessionId] = []
    rejected: list[RejectedAllocation] = []
    for allocation in batch.allocations:
        session_id = allocation.session_id
        # A session listed twice sees itself SCHEDULED the second time, and is refused.
        session = scheduled.get(session_id) or before.sessions.get(session_id)
        if session is None:
            rejected.append(RejectedAllocation(session_id, "session no longer exists"))
            continue
        kernels = before.kernels_of(session_id)
        reason = session_problem(allocation, session, kernels) or ledger.try_take(
            demands_of(allocation), session.scaling_group
        )
        if reason is not None:
            rejected.append(RejectedAllocation(session_id, reason))
            continue
        allocated.append(session_id)
        placed: dict[KernelId, KernelRow] = {}
        for kernel in allocation.kernels:
            agent_addr = ledger.agent(kernel.agent_id).addr
            old = before.kernels[kernel.kernel_id]
            placed[old.id] = place_kernel(old, kernel.agent_id, agent_addr, kernel.slots, now)
            kernel_pairs.append((old, placed[old.id]))
        moved = transition_session(session, SessionStatus.SCHEDULED, None, now)
        scheduled[session_id] = settle_session_occupancy(
            moved, [placed.get(kernel.id, kernel) for kernel in kernels]
        )
    return _Decided(
        AllocationOutcome(tuple(allocated), tuple(rejected)),
        [(before.sessions[session_id], row) for session_id, row in scheduled.items()],
        kernel_pairs,
    )


async def _load_ledger(
    conn: AsyncConnection, batch: AllocationBatch, before: Workset
) -> AgentLedger:
    """Lock the batch's agents in id order while reading their state, then read their
    current occupancy from their kernels."""
    agent_ids = {kernel.agent_id for a in batch.allocations for kernel in a.kernels}
    agents: dict[AgentId, AgentState] = {}
    occupied: dict[AgentId, ResourceSlot] = {}
    containers: dict[AgentId, int] = defaultdict(int)
    read = SlotsReader()
    for matching in id_filters(conn, _A.id, agent_ids):
        available = slots_text(_A.available_slots, "available_slots")
        columns = (_A.id, _A.addr, _A.status, _A.schedulable, _A.scaling_group, available)
        locked = for_update(conn, sa.select(*columns).where(matching).order_by(_A.id))
        for agent_id, addr, status, schedulable, group, text in await conn.execute(locked):
            agents[agent_id] = AgentState(agent_id, addr, status, schedulable, group, read(text))
    for matching in id_filters(conn, _K.agent_id, agent_ids):
        held = sa.select(_K.agent_id, slots_text(_K.occupied_slots, "occupied_slots")).where(
            matching, _K.status.in_(KernelStatus.resource_occupied_statuses())
        )
        for agent_id, text in await conn.execute(held):
            earlier, slots = occupied.get(agent_id), read(text)
            occupied[agent_id] = slots if earlier is None else earlier + slots
            containers[agent_id] += 1
    groups = {session.scaling_group for session in before.sessions.values()}
    return AgentLedger(agents, occupied, containers, await _max_containers(conn, groups))


async def _write_agents(conn: AsyncConnection, ledger: AgentLedger) -> None:
    """Store the agents' occupancy as the ledger ends: what their kernels held, read under
    the agents' locks, plus what this batch placed (what a refresh would compute)."""
    taken_from = ledger.taken_from()
    if not taken_from:
        return
    await bulk_update(
        conn,
        t.agents,
        ("occupied_slots", "container_count"),
        [
            {"id": agent_id, "occupied_slots": occupied, "container_count": containers}
            for agent_id, (occupied, containers) in taken_from.items()
        ],
    )


async def _max_containers(conn: AsyncConnection, groups: Collection[str]) -> dict[str, int | None]:
    if not groups:
        return {}
    rows = await conn.execute(
        sa.select(t.scaling_groups.c.name, t.scaling_groups.c.max_container_count).where(
            t.scaling_groups.c.name.in_(sorted(groups))
        )
    )
    return {name: limit for name, limit in rows}
