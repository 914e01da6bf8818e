"""Agent reads: one agent, filtered lists, and the addresses RPC clients dial."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.errors import NotFoundError
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus
from sokovan.db import tables as t
from sokovan.repositories.agent.types import AgentInfo
from sokovan.repositories.base import RepositoryBase


def agent_from_row(row: Any) -> AgentInfo:
    """Build an AgentInfo from a full `agents` row."""
    return AgentInfo(
        agent_id=AgentId(row.id),
        instance_id=row.instance_id,
        status=row.status,
        status_changed=row.status_changed,
        scaling_group=row.scaling_group,
        schedulable=row.schedulable,
        architecture=row.architecture,
        available_slots=row.available_slots,
        occupied_slots=row.occupied_slots,
        container_count=row.container_count,
        addr=row.addr,
        watcher_addr=row.watcher_addr,
        version=row.version,
        first_contact=row.first_contact,
        last_heartbeat=row.last_heartbeat,
        lost_at=row.lost_at,
    )


async def read_agent(conn: AsyncConnection, agent_id: AgentId) -> AgentInfo:
    """The agent's row as `conn` sees it; NotFoundError when there is none."""
    row = (await conn.execute(sa.select(t.agents).where(t.agents.c.id == agent_id))).first()
    if row is None:
        raise NotFoundError(f"agent {agent_id!r} not found")
    return agent_from_row(row)


class AgentReadsMixin(RepositoryBase):
    async def get_agent(self, agent_id: AgentId) -> AgentInfo:
        """Raises NotFoundError for an unknown agent."""
        async with self._engine.connect() as conn:
            return await read_agent(conn, agent_id)

    async def list_agents(
        self,
        scaling_group: str | None = None,
        statuses: Collection[AgentStatus] | None = None,
    ) -> list[AgentInfo]:
        """Agents ordered by id, optionally only of one scaling group and/or some statuses."""
        if statuses is not None and not statuses:
            return []
        query = sa.select(t.agents).order_by(t.agents.c.id)
        if scaling_group is not None:
            query = query.where(t.agents.c.scaling_group == scaling_group)
        if statuses is not None:
            query = query.where(t.agents.c.status.in_(list(statuses)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [agent_from_row(row) for row in rows]

    async def get_agent_addresses(self, agent_ids: Collection[AgentId]) -> dict[AgentId, str]:
        """RPC address of each known agent among `agent_ids`; unknown ids are absent."""
        return await self._column_of(t.agents.c.addr, agent_ids)

    async def get_instance_ids(self, agent_ids: Collection[AgentId]) -> dict[AgentId, str]:
        """Current instance id of each known agent among `agent_ids`; unknown ids are absent."""
        return await self._column_of(t.agents.c.instance_id, agent_ids)

    async def _column_of(
        self, column: sa.Column[str], agent_ids: Collection[AgentId]
    ) -> dict[AgentId, str]:
        if not agent_ids:
            return {}
        query = sa.select(t.agents.c.id, column).where(t.agents.c.id.in_(list(agent_ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {AgentId(agent_id): value for agent_id, value in rows}

    async def get_watcher_address(self, agent_id: AgentId) -> str | None:
        """The agent's watcher address; None when it runs without a watcher.

        Raises NotFoundError for an unknown agent, so "no watcher" and "no agent" differ.
        """
        query = sa.select(t.agents.c.watcher_addr).where(t.agents.c.id == agent_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFoundError(f"agent {agent_id!r} not found")
        watcher_addr: str | None = row.watcher_addr
        return watcher_addr
