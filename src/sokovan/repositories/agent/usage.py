"""Agent occupancy upkeep and the agent's view of its kernels.

The repository never decides that a kernel is dead: it recomputes the occupancy cache from
kernel rows and reports what an agent does not know about; terminating kernels stays the
scheduler's decision (stale-kernel sweep, kernel lifecycle events).
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from sokovan.common.ids import AgentId, KernelId
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.repositories.agent.reads import read_agent
from sokovan.repositories.agent.types import AgentInfo
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.occupancy import refresh_agent_occupancy


class UsageMixin(RepositoryBase):
    async def recalculate_usage(self) -> int:
        """Recompute every agent's occupied slots and container count from its kernels.

        Returns the number of agents recomputed (0, successfully, when there are none).
        """
        async with self._engine.begin() as conn:
            return await refresh_agent_occupancy(conn, None)

    async def sync_agent_kernel_registry(self, agent_id: AgentId) -> AgentInfo:
        """Recompute one agent's occupancy from its kernels and return its fresh row.

        Raises NotFoundError for an unknown agent (nothing is written).
        """
        async with self._engine.begin() as conn:
            await refresh_agent_occupancy(conn, [agent_id])
            return await read_agent(conn, agent_id)

    async def find_unreported_kernels(
        self, agent_id: AgentId, running_kernel_ids: Collection[KernelId]
    ) -> list[KernelId]:
        """Kernels the database has RUNNING on the agent that the agent did not report.

        Only RUNNING counts: kernels still being scheduled or created may legitimately be
        unknown to the agent yet. Sorted; empty for an unknown agent.
        """
        kernels = t.kernels
        query = sa.select(kernels.c.id).where(
            kernels.c.agent_id == agent_id, kernels.c.status == KernelStatus.RUNNING
        )
        if running_kernel_ids:
            query = query.where(kernels.c.id.not_in(list(running_kernel_ids)))
        async with self._engine.connect() as conn:
            unreported = (await conn.scalars(query)).all()
        return sorted(KernelId(kernel_id) for kernel_id in unreported)
