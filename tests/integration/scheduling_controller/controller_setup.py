"""A controller on a real database, and a world it accepts submissions for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES
from sokovan.common.scheduling import ScheduleType
from sokovan.db import tables as t
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduling_controller import (
    KernelCreationSpec,
    SchedulingController,
    SessionCreationSpec,
)
from support.factories import T0, Tenant

NOW = T0 + timedelta(hours=1)


@dataclass(frozen=True)
class Harness:
    engine: AsyncEngine
    clock: ManualClock
    store: InMemoryValkeySchedule
    repository: SchedulerRepository
    controller: SchedulingController

    async def marked(self) -> set[ScheduleType]:
        """The schedule types hinted so far (consumes the marks)."""
        return {t for t in ScheduleType if await self.store.load_and_delete_schedule_mark(t)}

    async def row_counts(self) -> dict[str, int]:
        tables = (t.sessions, t.kernels, t.session_dependencies, t.session_scheduling_history)
        async with self.engine.connect() as conn:
            return {
                table.name: await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in tables
            }


def harness(engine: AsyncEngine) -> Harness:
    clock = ManualClock(NOW)
    store = InMemoryValkeySchedule(clock)
    repository = SchedulerRepository(engine, clock)
    controller = SchedulingController(repository, store, DEFAULT_SLOT_TYPES, clock)
    return Harness(engine, clock, store, repository, controller)


def spec_for(tenant: Tenant, *kernels: KernelCreationSpec, **fields: object) -> SessionCreationSpec:
    """A submission by `tenant` to the "default" scaling group; one python kernel by default."""
    chosen = kernels or (KernelCreationSpec(image="python:3.11", resources={"cpu": "1"}),)
    values: dict[str, object] = {
        "name": "job",
        "access_key": tenant.access_key,
        "user_id": tenant.user_id,
        "group_id": tenant.group_id,
        "domain_name": tenant.domain_name,
        "scaling_group": "default",
        "kernels": chosen,
        "cluster_size": len(chosen),
    }
    values.update(fields)
    return SessionCreationSpec(**values)  # type: ignore[arg-type]
