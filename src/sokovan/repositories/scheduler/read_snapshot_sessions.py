"""Placement snapshot, part one: the scaling group, its agents, its pending sessions.

Pending sessions, their kernels and their dependencies come from three statements that all
select "the PENDING sessions of this group" by subquery, so their number never changes the
number of round trips and no id list grows with the queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import SessionId
from sokovan.common.status import AgentStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.read_rows import agent_ids_or_none
from sokovan.repositories.scheduler.read_slots import SlotsReader, slots_text
from sokovan.repositories.scheduler.snapshot_types import (
    AgentSnapshot,
    DependencyState,
    PendingKernel,
    PendingSession,
    ScalingGroupConfig,
)

#: `sessions` under another name, so that a subquery never correlates with the outer query's
#: `sessions` (built once: an alias copies every column of the table).
_PENDING_HERE = t.sessions.alias("pending_here")
_DEPENDENCY = t.sessions.alias("dependency")


def pending_in_group(scaling_group: str, column: str) -> sa.Select[Any]:
    """`column` of the group's PENDING sessions, for `IN (…)`."""
    pending = _PENDING_HERE.c
    return sa.select(pending[column]).where(
        pending.scaling_group == scaling_group,
        pending.status == SessionStatus.PENDING,
    )


async def load_scaling_group(conn: AsyncConnection, name: str) -> ScalingGroupConfig | None:
    """The group's configuration; None when it does not exist or is inactive."""
    groups = t.scaling_groups.c
    row = (
        await conn.execute(
            sa.select(t.scaling_groups).where(groups.name == name, groups.is_active == sa.true())
        )
    ).one_or_none()
    if row is None:
        return None
    return ScalingGroupConfig(
        name=row.name,
        scheduler=row.scheduler,
        agent_selection_strategy=row.agent_selection_strategy,
        agent_selection_resource_priority=tuple(row.agent_selection_resource_priority),
        max_container_count=row.max_container_count,
        enforce_spreading_endpoint_replica=row.enforce_spreading_endpoint_replica,
        pending_timeout=row.pending_timeout,
        roundrobin_next_index=row.roundrobin_next_index,
    )


async def load_agents(conn: AsyncConnection, scaling_group: str) -> tuple[AgentSnapshot, ...]:
    """ALIVE, schedulable agents of the group, ordered by id."""
    agents = t.agents.c
    rows = await conn.execute(
        sa.select(
            agents.id,
            agents.addr,
            agents.architecture,
            slots_text(agents.available_slots, "available_slots"),
            slots_text(agents.occupied_slots, "occupied_slots"),
            agents.container_count,
        )
        .where(
            agents.scaling_group == scaling_group,
            agents.status == AgentStatus.ALIVE,
            agents.schedulable == sa.true(),
        )
        .order_by(agents.id)
    )
    slots = SlotsReader()
    return tuple(
        AgentSnapshot(
            agent_id=agent_id,
            addr=addr,
            architecture=architecture,
            available_slots=slots(available),
            occupied_slots=slots(occupied),
            container_count=containers,
        )
        for agent_id, addr, architecture, available, occupied, containers in rows
    )


@dataclass(frozen=True, slots=True)
class PendingQueue:
    """The group's pending sessions in submission order and the state of their dependencies."""

    sessions: tuple[PendingSession, ...]
    dependencies: dict[SessionId, DependencyState]


async def load_pending_queue(conn: AsyncConnection, scaling_group: str) -> PendingQueue:
    kernels = await _pending_kernels(conn, scaling_group)
    depends_on, dependencies = await _dependencies(conn, scaling_group)
    sessions = await _pending_sessions(conn, scaling_group, kernels, depends_on)
    return PendingQueue(sessions=sessions, dependencies=dependencies)


async def _pending_sessions(
    conn: AsyncConnection,
    scaling_group: str,
    kernels: dict[SessionId, tuple[PendingKernel, ...]],
    depends_on: dict[SessionId, tuple[SessionId, ...]],
) -> tuple[PendingSession, ...]:
    """The pending sessions, oldest first, with their kernels and dependencies.

    Only what `PendingSession` holds is selected (not environ, status data, …), and rows are
    unpacked by position: by name, each of the ten thousand rows would cost a lookup per
    column.
    """
    sessions = t.sessions.c
    routes = t.routes.c
    # The deployment a session serves, for replica spreading (a route owns one session).
    endpoint = (
        sa.select(routes.endpoint_id)
        .where(routes.session_id == sessions.id)
        .order_by(routes.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = await conn.execute(
        sa.select(
            sessions.id,
            sessions.creation_id,
            sessions.access_key,
            sessions.user_id,
            sessions.group_id,
            sessions.domain_name,
            sessions.priority,
            sessions.session_type,
            sessions.cluster_mode,
            sessions.cluster_size,
            slots_text(sessions.requested_slots, "requested_slots"),
            sessions.designated_agent_ids,
            sessions.starts_at,
            sessions.created_at,
            endpoint,
        )
        .where(sessions.scaling_group == scaling_group, sessions.status == SessionStatus.PENDING)
        .order_by(sessions.created_at, sessions.id)
    )
    slots = SlotsReader()
    no_kernels: tuple[PendingKernel, ...] = ()
    no_dependencies: tuple[SessionId, ...] = ()
    return tuple(
        PendingSession(
            session_id=session_id,
            creation_id=creation_id,
            access_key=access_key,
            user_id=user_id,
            group_id=group_id,
            domain_name=domain_name,
            priority=priority,
            session_type=session_type,
            cluster_mode=cluster_mode,
            cluster_size=cluster_size,
            requested_slots=slots(requested),
            kernels=kernels.get(session_id, no_kernels),
            designated_agent_ids=agent_ids_or_none(designated),
            starts_at=starts_at,
            created_at=created_at,
            depends_on=depends_on.get(session_id, no_dependencies),
            endpoint_id=endpoint_id,
        )
        for (
            session_id,
            creation_id,
            access_key,
            user_id,
            group_id,
            domain_name,
            priority,
            session_type,
            cluster_mode,
            cluster_size,
            requested,
            designated,
            starts_at,
            created_at,
            endpoint_id,
        ) in rows
    )


async def _pending_kernels(
    conn: AsyncConnection, scaling_group: str
) -> dict[SessionId, tuple[PendingKernel, ...]]:
    kernels = t.kernels.c
    rows = await conn.execute(
        sa.select(
            kernels.session_id,
            kernels.id,
            kernels.image,
            kernels.architecture,
            slots_text(kernels.requested_slots, "requested_slots"),
            kernels.cluster_role,
            kernels.cluster_idx,
        )
        .where(kernels.session_id.in_(pending_in_group(scaling_group, "id")))
        .order_by(kernels.session_id, kernels.cluster_idx, kernels.id)
    )
    grouped: dict[SessionId, list[PendingKernel]] = defaultdict(list)
    slots = SlotsReader()
    for session_id, kernel_id, image, architecture, requested, role, index in rows:
        grouped[session_id].append(
            PendingKernel(
                kernel_id=kernel_id,
                image=image,
                architecture=architecture,
                requested_slots=slots(requested),
                cluster_role=role,
                cluster_idx=index,
            )
        )
    return {session_id: tuple(items) for session_id, items in grouped.items()}


async def _dependencies(
    conn: AsyncConnection, scaling_group: str
) -> tuple[dict[SessionId, tuple[SessionId, ...]], dict[SessionId, DependencyState]]:
    """What each pending session depends on (by id), and the state of every such session."""
    edges = t.session_dependencies
    dependency = _DEPENDENCY
    rows = await conn.execute(
        sa.select(edges.c.session_id, edges.c.depends_on, dependency.c.status, dependency.c.result)
        .select_from(edges.join(dependency, dependency.c.id == edges.c.depends_on))
        .where(edges.c.session_id.in_(pending_in_group(scaling_group, "id")))
        .order_by(edges.c.session_id, edges.c.depends_on)
    )
    depends_on: dict[SessionId, list[SessionId]] = defaultdict(list)
    states: dict[SessionId, DependencyState] = {}
    for row in rows:
        depends_on[SessionId(row.session_id)].append(SessionId(row.depends_on))
        states[SessionId(row.depends_on)] = DependencyState(row.status, row.result)
    return {key: tuple(ids) for key, ids in depends_on.items()}, states
