"""Agent status writes that do not come from heartbeats: lost, left, (un)schedulable."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase


class LivenessMixin(RepositoryBase):
    async def mark_lost_agents(self, heartbeat_timeout: float) -> list[AgentId]:
        """Mark ALIVE agents silent for longer than `heartbeat_timeout` seconds LOST.

        One UPDATE; `lost_at` and `status_changed` become now. Returns the ids marked, sorted.
        Their kernels are left alone: whether they are gone is the scheduler's decision.
        Raises InvalidInputError for a timeout that is not positive.
        """
        if heartbeat_timeout <= 0:
            raise InvalidInputError(
                f"heartbeat_timeout must be a positive number of seconds, got {heartbeat_timeout}"
            )
        now = self._clock.now()
        cutoff = now - timedelta(seconds=heartbeat_timeout)
        stmt = (
            t.agents.update()
            .where(t.agents.c.status == AgentStatus.ALIVE, t.agents.c.last_heartbeat < cutoff)
            .values(status=AgentStatus.LOST, status_changed=now, lost_at=now)
            .returning(t.agents.c.id)
        )
        async with self._engine.begin() as conn:
            lost = (await conn.scalars(stmt)).all()
        return sorted(AgentId(agent_id) for agent_id in lost)

    async def mark_agent_terminated(self, agent_id: AgentId) -> bool:
        """Record that the agent left cleanly; False when the agent is unknown.

        Idempotent: leaving twice keeps the first `status_changed`.
        """
        agents = t.agents
        stmt = (
            agents.update()
            .where(agents.c.id == agent_id)
            .values(
                status=AgentStatus.TERMINATED,
                status_changed=sa.case(
                    (
                        agents.c.status != AgentStatus.TERMINATED,
                        sa.literal(self._clock.now(), agents.c.status_changed.type),
                    ),
                    else_=agents.c.status_changed,
                ),
            )
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return result.rowcount == 1

    async def set_schedulable(self, agent_id: AgentId, schedulable: bool) -> None:
        """Allow or forbid new placements on the agent; NotFoundError for an unknown agent."""
        stmt = t.agents.update().where(t.agents.c.id == agent_id).values(schedulable=schedulable)
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        if result.rowcount != 1:
            raise NotFoundError(f"agent {agent_id!r} not found")
