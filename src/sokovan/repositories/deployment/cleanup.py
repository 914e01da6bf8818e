"""Per-scaling-group route cleanup settings."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from sokovan.common.errors import ConfigurationError
from sokovan.common.status import RouteStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.deployment.types import CleanupConfig


def parse_cleanup_statuses(scaling_group: str, raw: object) -> frozenset[RouteStatus]:
    """Read a `route_cleanup_target_statuses` value; a bad value names the group to fix."""
    if not isinstance(raw, list):
        raise ConfigurationError(
            f"scaling group {scaling_group!r}: route_cleanup_target_statuses must be a list "
            f"of route statuses, got {raw!r}"
        )
    try:
        return frozenset(RouteStatus(value) for value in raw)
    except ValueError:
        known = ", ".join(status.value for status in RouteStatus)
        raise ConfigurationError(
            f"scaling group {scaling_group!r}: route_cleanup_target_statuses {raw!r} holds an "
            f"unknown route status; known statuses are: {known}"
        ) from None


class CleanupConfigMixin(RepositoryBase):
    async def get_scaling_group_cleanup_configs(
        self, scaling_groups: Collection[str]
    ) -> dict[str, CleanupConfig]:
        """Cleanup settings by scaling group; unknown groups and groups with none are absent.

        Raises ConfigurationError when a group's setting holds something other than route
        statuses.
        """
        if not scaling_groups:
            return {}
        query = sa.select(
            t.scaling_groups.c.name, t.scaling_groups.c.route_cleanup_target_statuses
        ).where(t.scaling_groups.c.name.in_(list(scaling_groups)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        configs = {}
        for name, raw in rows:
            statuses = parse_cleanup_statuses(name, raw)
            if statuses:
                configs[name] = CleanupConfig(scaling_group=name, cleanup_target_statuses=statuses)
        return configs
