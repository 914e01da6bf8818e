"""A ScheduleCoordinator over the real SchedulerRepository, for integration tests.

Only the edges that leave the process are recorded instead of real (the event bus, the hint
marks, the lock); everything the coordinator decides is committed to a real database and read
back from its rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.config import ManagerConfig
from sokovan.db import tables as t
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.coordinator import ScheduleCoordinator
from sokovan.scheduler.handlers.base import KernelLifecycleHandler, SessionLifecycleHandler
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from sokovan.scheduler.post_processors import (
    CacheInvalidationPostProcessor,
    ScheduleMarkingPostProcessor,
)
from support.factories import T0


@dataclass
class RecordingEvents:
    batches: list[list[Any]] = field(default_factory=list)

    async def broadcast_event(self, event: Any) -> None:
        self.batches.append([event])

    async def broadcast_events_batch(self, events: Sequence[Any]) -> None:
        self.batches.append(list(events))

    def transitions(self) -> list[tuple[SessionId, str]]:
        return [(e.session_id, e.status_transition) for batch in self.batches for e in batch]


@dataclass
class RecordingMarks:
    marked: list[ScheduleType] = field(default_factory=list)

    async def mark_scheduling_needed(self, schedule_type: ScheduleType) -> None:
        self.marked.append(schedule_type)


@dataclass
class RecordingLocks:
    taken: list[tuple[LockID, float]] = field(default_factory=list)

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[None]:
        yield

    def __call__(self, lock_id: LockID, lifetime: float) -> Any:
        self.taken.append((lock_id, lifetime))
        return self._hold()


@dataclass
class World:
    coordinator: ScheduleCoordinator
    repository: SchedulerRepository
    clock: ManualClock
    events: RecordingEvents
    marks: RecordingMarks

    async def run(self, schedule_type: ScheduleType) -> None:
        assert await self.coordinator.process_lifecycle_schedule(schedule_type)


def build_world(
    engine: AsyncEngine,
    *,
    lifecycle: Mapping[ScheduleType, SessionLifecycleHandler] | None = None,
    kernel: Mapping[ScheduleType, KernelLifecycleHandler] | None = None,
    hooks: HookRegistry | None = None,
    clock: ManualClock | None = None,
) -> World:
    clock = clock or ManualClock(T0)
    repository = SchedulerRepository(engine, clock)
    events, marks = RecordingEvents(), RecordingMarks()
    coordinator = ScheduleCoordinator(
        repository=repository,
        lifecycle_handlers=lifecycle or {},
        kernel_handlers=kernel or {},
        lock_factory=RecordingLocks(),
        config=ManagerConfig(),
        event_producer=events,
        hook_registry=hooks if hooks is not None else HookRegistry.default(clock, repository),
        kernel_state_engine=KernelStateEngine(repository),
        post_processors=[
            ScheduleMarkingPostProcessor(marks),
            CacheInvalidationPostProcessor(repository),
        ],
        clock=clock,
    )
    return World(coordinator, repository, clock, events, marks)


async def session_row(engine: AsyncEngine, session_id: SessionId) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id))
        ).one()


async def kernel_rows(engine: AsyncEngine, session_id: SessionId) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.kernels)
            .where(t.kernels.c.session_id == session_id)
            .order_by(t.kernels.c.cluster_idx)
        )
        return list(rows)


async def kernel_statuses(engine: AsyncEngine, session_id: SessionId) -> list[str]:
    return [row.status for row in await kernel_rows(engine, session_id)]


async def history_rows(engine: AsyncEngine, session_id: SessionId) -> list[Any]:
    history = t.session_scheduling_history
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(history)
            .where(history.c.session_id == session_id)
            .order_by(history.c.created_at, history.c.updated_at)
        )
        return list(rows)


async def set_kernel(engine: AsyncEngine, kernel_id: KernelId, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(t.kernels.update().where(t.kernels.c.id == kernel_id).values(**values))


async def agent_row(engine: AsyncEngine, agent_id: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(sa.select(t.agents).where(t.agents.c.id == agent_id))).one()
