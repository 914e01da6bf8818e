"""Administration of scaling groups: listing and changing them (creation: TenancyRepository)."""

from __future__ import annotations

import sqlalchemy as sa

from sokovan.common.errors import InvalidInputError
from sokovan.db import tables as t
from sokovan.repositories.api.statements import update_one, windowed
from sokovan.repositories.api.types import (
    ListWindow,
    ScalingGroupChanges,
    ScalingGroupRecord,
    assigned,
)
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_rows import AnyRow

_G = t.scaling_groups.c


class ScalingGroupAdminMixin(RepositoryBase):
    async def list_scaling_groups(self, window: ListWindow) -> list[ScalingGroupRecord]:
        """Scaling groups by name, active or not."""
        statement = windowed(sa.select(t.scaling_groups).order_by(_G.name), window)
        async with self._engine.connect() as conn:
            return [_scaling_group(row) for row in await conn.execute(statement)]

    async def get_scaling_group(self, name: str) -> ScalingGroupRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.scaling_groups).where(_G.name == name))
            ).one_or_none()
        return None if row is None else _scaling_group(row)

    async def update_scaling_group(
        self, name: str, changes: ScalingGroupChanges
    ) -> ScalingGroupRecord:
        """Apply `changes`; InvalidInputError for a negative timeout or container count
        (nothing is written), NotFoundError for an unknown scaling group."""
        values = assigned(changes)
        for column in ("pending_timeout", "max_container_count"):
            amount = values.get(column)
            if amount is not None and amount < 0:
                raise InvalidInputError(f"{column} must not be negative, not {amount}")
        if "agent_selection_resource_priority" in values:
            # A JSON column: stored as a list.
            values["agent_selection_resource_priority"] = list(
                values["agent_selection_resource_priority"]
            )
        async with self._engine.begin() as conn:
            row = await update_one(conn, t.scaling_groups, (_G.name, name), values, "scaling group")
        return _scaling_group(row)


def _scaling_group(row: AnyRow) -> ScalingGroupRecord:
    return ScalingGroupRecord(
        name=row.name,
        description=row.description,
        is_active=row.is_active,
        scheduler=row.scheduler,
        agent_selection_strategy=row.agent_selection_strategy,
        agent_selection_resource_priority=tuple(row.agent_selection_resource_priority or ()),
        pending_timeout=row.pending_timeout,
        max_container_count=row.max_container_count,
        enforce_spreading_endpoint_replica=row.enforce_spreading_endpoint_replica,
        app_proxy_addr=row.app_proxy_addr,
        created_at=row.created_at,
    )
