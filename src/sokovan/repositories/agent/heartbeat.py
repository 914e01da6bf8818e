"""Heartbeats: register, refresh, reincarnate or revive an agent in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.errors import DatabaseError, NotFoundError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus
from sokovan.db import tables as t
from sokovan.repositories.agent.types import AgentHeartbeat, HeartbeatOutcome
from sokovan.repositories.base import RepositoryBase


def classify_heartbeat(
    status: AgentStatus, instance_id: str, heartbeat: AgentHeartbeat
) -> HeartbeatOutcome:
    """What a heartbeat means for an agent row currently in `status` with `instance_id`."""
    if status is not AgentStatus.ALIVE:
        return HeartbeatOutcome.REVIVED
    if instance_id != heartbeat.instance_id:
        return HeartbeatOutcome.REINCARNATED
    return HeartbeatOutcome.UPDATED


def _reported_columns(heartbeat: AgentHeartbeat, now: datetime) -> dict[str, Any]:
    """Columns every heartbeat overwrites: the agent is the authority on these."""
    return {
        "instance_id": heartbeat.instance_id,
        "status": AgentStatus.ALIVE,
        "scaling_group": heartbeat.scaling_group,
        "architecture": heartbeat.architecture,
        "available_slots": heartbeat.available_slots,
        "addr": heartbeat.addr,
        "watcher_addr": heartbeat.watcher_addr,
        "version": heartbeat.version,
        "last_heartbeat": now,
        "lost_at": None,
    }


class HeartbeatMixin(RepositoryBase):
    async def handle_heartbeat(self, heartbeat: AgentHeartbeat) -> HeartbeatOutcome:
        """Record a heartbeat: the agent is ALIVE as of the clock's now.

        `status_changed` moves only when the status does; `first_contact` is set on
        registration only. Concurrent heartbeats of one agent serialise on its row lock (on
        SQLite, on the database write lock), and a lost registration race turns into an
        update. Raises NotFoundError, writing nothing, when the scaling group is unknown.
        """
        now = self._clock.now()
        async with self._engine.begin() as conn:
            await _require_scaling_group(conn, heartbeat)
            current = await _lock_agent(conn, heartbeat)
            if current is None:
                if await _insert_new_agent(conn, heartbeat, now):
                    return HeartbeatOutcome.REGISTERED
                # Another manager registered the agent between our read and insert.
                current = await _lock_agent(conn, heartbeat)
                if current is None:
                    raise DatabaseError(
                        f"agent {heartbeat.agent_id!r} was deleted while registering; retry"
                    )
            outcome = classify_heartbeat(current.status, current.instance_id, heartbeat)
            values = _reported_columns(heartbeat, now)
            if current.status is not AgentStatus.ALIVE:
                values["status_changed"] = now
            await conn.execute(
                t.agents.update().where(t.agents.c.id == heartbeat.agent_id).values(**values)
            )
        return outcome


async def _require_scaling_group(conn: AsyncConnection, heartbeat: AgentHeartbeat) -> None:
    query = sa.select(sa.exists().where(t.scaling_groups.c.name == heartbeat.scaling_group))
    if not await conn.scalar(query):
        raise NotFoundError(
            f"agent {heartbeat.agent_id!r} reports scaling group {heartbeat.scaling_group!r}, "
            "which does not exist; create the scaling group or fix the agent's configuration"
        )


async def _lock_agent(conn: AsyncConnection, heartbeat: AgentHeartbeat) -> Any:
    """The agent's status and instance id, row-locked until the transaction ends; or None."""
    query = (
        sa.select(t.agents.c.status, t.agents.c.instance_id)
        .where(t.agents.c.id == heartbeat.agent_id)
        .with_for_update()
    )
    return (await conn.execute(query)).first()


async def _insert_new_agent(
    conn: AsyncConnection, heartbeat: AgentHeartbeat, now: datetime
) -> bool:
    """Insert the agent unless its id already exists; True when this call inserted it."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(t.agents)
        .values(
            id=heartbeat.agent_id,
            status_changed=now,
            schedulable=True,
            occupied_slots=ResourceSlot(),
            container_count=0,
            first_contact=now,
            **_reported_columns(heartbeat, now),
        )
        .on_conflict_do_nothing(index_elements=[t.agents.c.id])
    )
    result = await conn.execute(stmt)
    return result.rowcount == 1
