"""A fake agent behind the launcher and terminator ports, and the world it runs in.

`FakeAgent` records every call the scheduler makes to agents and can be told to fail (an
unreachable agent raises AgentError). It plays agent events on demand: `report_*` move the
kernels the agent was told about through the scheduler repository, with the kernel writes
the event handling makes (`update_kernel_status`, `mark_kernel_terminated`; a pull also
marks its session PULLING), and then hint the schedule type that event wakes, as the event
handling does. Nothing happens by itself, so a test decides when each event arrives, or
that it never does.

`lifecycle_world` wires the real scheduler (`build_scheduler`) over a real database to one
such agent; `assert_agent_occupancy_consistent` is the check every scenario ends with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import history_rows, kernel_rows, session_row
from integration.scheduling_controller.controller_setup import spec_for
from sokovan.common.clock import Clock
from sokovan.common.errors import AgentError
from sokovan.common.ids import KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.db import tables as t
from sokovan.infra.valkey_schedule.base import ValkeyScheduleClient
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    KernelInfo,
    SessionDataForPull,
    SessionDataForStart,
    TerminatingSessionData,
)
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionStatusChange,
    SessionStatusUpdater,
)
from sokovan.scheduler.factory import SchedulerComponents, build_scheduler
from sokovan.scheduler.provisioner.allocators.base import Allocator
from sokovan.scheduling_controller import KernelCreationSpec
from support.factories import Tenant, add_agent, add_image, add_scaling_group, add_tenant

PULL = "trigger_image_pulling"
START = "start_sessions_for_handler"
TERMINATE = "terminate_sessions_for_handler"
CHECK_STALE = "check_stale_kernels"
#: The one agent `add_cluster` registers.
AGENT = "agent-1"

_PREPARING = frozenset({KernelStatus.PREPARING})
_PULLING = frozenset({KernelStatus.PREPARING, KernelStatus.PULLING})
_CREATING = frozenset({KernelStatus.CREATING})
_FINISHED = KernelStatus.finished_statuses()


@dataclass(frozen=True, slots=True)
class AgentCall:
    method: str
    session_ids: tuple[SessionId, ...]


@dataclass
class FakeAgent:
    """Implements SessionLauncherPort and SessionTerminatorPort for every agent at once."""

    repository: SchedulerRepository
    hints: ValkeyScheduleClient
    calls: list[AgentCall] = field(default_factory=list)
    #: Kernels of each session, as the scheduler last described them to the agent.
    known: dict[SessionId, tuple[KernelId, ...]] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)
    _called: asyncio.Condition = field(default_factory=asyncio.Condition)

    # --- the ports ----------------------------------------------------------------------
    async def trigger_image_pulling(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        await self._call(PULL, {s.session_id: [k.kernel_id for k in s.kernels] for s in sessions})

    async def start_sessions_for_handler(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        described = {s.session.session_id: [k.kernel_id for k in s.kernels] for s in sessions}
        await self._call(START, described)

    async def terminate_sessions_for_handler(
        self, sessions: Sequence[TerminatingSessionData]
    ) -> None:
        """Accept the destroy requests; kernels that never had an agent have nothing to
        destroy and are marked TERMINATED at once, as the real terminator does (TS-003)."""
        await self._call(
            TERMINATE, {s.session_id: [k.kernel_id for k in s.kernels] for s in sessions}
        )
        unplaced = [
            (kernel.kernel_id, session.status_info or "user-requested")
            for session in sessions
            for kernel in session.kernels
            if kernel.agent_id is None and kernel.status not in _FINISHED
        ]
        for kernel_id, reason in unplaced:
            await self.repository.mark_kernel_terminated(kernel_id, reason)
        if unplaced:
            await self._hint_kernel_finished()

    async def check_stale_kernels(self, kernels: Sequence[KernelInfo]) -> list[KernelId]:
        """Every kernel the agent runs is alive."""
        await self._call(CHECK_STALE, {})
        return []

    # --- steering -----------------------------------------------------------------------
    def fail_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` raise AgentError (the agent is unreachable)."""
        self._failures[method] = self._failures.get(method, 0) + times

    def sessions_called(self, method: str) -> list[SessionId]:
        """The sessions of every call of `method` so far, in call order."""
        return [sid for call in self.calls if call.method == method for sid in call.session_ids]

    async def wait_for_call(self, method: str, session_id: SessionId) -> None:
        """Until `method` has been called for `session_id` (bound the wait from outside)."""
        async with self._called:
            await self._called.wait_for(lambda: session_id in self.sessions_called(method))

    # --- agent events -------------------------------------------------------------------
    async def report_pull_started(self, session_id: SessionId) -> None:
        """image_pull_started: the kernels pull, and so does their session."""
        await self._move(session_id, KernelStatus.PULLING, "image-pulling", _PREPARING)
        change = SessionStatusChange(
            session_id, SessionStatus.PULLING, None, "image-pulling", SessionStatus.PREPARING
        )
        await self.repository.update_with_history(
            SessionStatusUpdater((change,)), SchedulingHistoryCreator(())
        )

    async def report_prepared(self, session_id: SessionId) -> None:
        """image_pull_finished (or the image was there): the kernels are PREPARED."""
        await self._move(session_id, KernelStatus.PREPARED, "image-ready", _PULLING)
        await self.hints.mark_schedule_needed(ScheduleType.CHECK_PULLING_PROGRESS)

    async def report_running(self, session_id: SessionId) -> None:
        """kernel_started for every kernel of the session."""
        for kernel_id in self._kernels_of(session_id):
            await self.report_kernel_running(kernel_id)

    async def report_kernel_running(self, kernel_id: KernelId) -> None:
        """kernel_started: the kernel is RUNNING in a container."""
        await self.repository.update_kernel_status(
            kernel_id,
            KernelStatus.RUNNING,
            "kernel-started",
            expected_statuses=_CREATING,
            container_id=f"c-{kernel_id.hex[:12]}",
        )
        await self.hints.mark_schedule_needed(ScheduleType.CHECK_CREATING_PROGRESS)

    async def report_terminated(self, session_id: SessionId) -> None:
        """kernel_terminated for every kernel of the session."""
        for kernel_id in self._kernels_of(session_id):
            await self.report_kernel_terminated(kernel_id)

    async def report_kernel_terminated(self, kernel_id: KernelId) -> None:
        """kernel_terminated: the kernel is gone, and so is what it held."""
        await self.repository.mark_kernel_terminated(kernel_id, "kernel-terminated", exit_code=0)
        await self._hint_kernel_finished()

    async def report_kernel_cancelled(self, kernel_id: KernelId) -> None:
        """kernel_creation_failed before anything ran: the kernel is CANCELLED."""
        await self.repository.update_kernel_status(
            kernel_id, KernelStatus.CANCELLED, "creation-cancelled"
        )
        await self._hint_kernel_finished()

    # --- internals ----------------------------------------------------------------------
    async def _call(self, method: str, described: Mapping[SessionId, Sequence[KernelId]]) -> None:
        async with self._called:
            self.calls.append(AgentCall(method, tuple(described)))
            self._called.notify_all()
        if self._failures.get(method, 0) > 0:
            self._failures[method] -= 1
            raise AgentError(f"agent unreachable during {method}")
        for session_id, kernel_ids in described.items():
            self.known[session_id] = tuple(kernel_ids)

    def _kernels_of(self, session_id: SessionId) -> tuple[KernelId, ...]:
        assert session_id in self.known, f"the agent was never told about session {session_id}"
        return self.known[session_id]

    async def _move(
        self,
        session_id: SessionId,
        to_status: KernelStatus,
        reason: str,
        expected: frozenset[KernelStatus],
    ) -> None:
        for kernel_id in self._kernels_of(session_id):
            await self.repository.update_kernel_status(
                kernel_id, to_status, reason, expected_statuses=expected
            )

    async def _hint_kernel_finished(self) -> None:
        # A finished kernel ends a TERMINATING session, or is news to a live one.
        await self.hints.mark_schedule_needed(ScheduleType.CHECK_TERMINATING_PROGRESS)
        await self.hints.mark_schedule_needed(ScheduleType.DETECT_KERNEL_TERMINATION)


@dataclass(frozen=True)
class LifecycleWorld:
    """The real scheduler over a real database, with one fake agent for every node."""

    engine: AsyncEngine
    clock: Clock
    components: SchedulerComponents
    agent: FakeAgent

    async def submit(self, tenant: Tenant, *kernels: KernelCreationSpec) -> SessionId:
        """Enqueue a session of `tenant` through the controller, as a user would."""
        return await self.components.controller.enqueue_session(spec_for(tenant, *kernels))

    async def run_to_running(self, tenant: Tenant) -> SessionId:
        """Submit a one-kernel session and take it to RUNNING, the agent reporting at once;
        the hints set on the way are consumed."""
        session_id = await self.submit(tenant)
        await self.run(ScheduleType.SCHEDULE, ScheduleType.CHECK_PRECONDITION)
        await self.agent.report_prepared(session_id)
        await self.run(ScheduleType.CHECK_PULLING_PROGRESS, ScheduleType.START)
        await self.agent.report_running(session_id)
        await self.run(ScheduleType.CHECK_CREATING_PROGRESS)
        assert await self.state(session_id) == (SessionStatus.RUNNING, [KernelStatus.RUNNING])
        await self.hinted()
        return session_id

    async def run(self, *schedule_types: ScheduleType) -> None:
        """One cycle of each type, in order, as the loops would run them."""
        for schedule_type in schedule_types:
            assert await self.components.coordinator.process_lifecycle_schedule(schedule_type)

    async def hinted(self) -> set[ScheduleType]:
        """The schedule types hinted since the last call (consumes the hints)."""
        hints = self.components.valkey_schedule
        return {t for t in ScheduleType if await hints.load_and_delete_schedule_mark(t)}

    async def state(self, session_id: SessionId) -> tuple[SessionStatus, list[KernelStatus]]:
        """The session's status and its kernels' statuses, by cluster index."""
        session = await session_row(self.engine, session_id)
        return session.status, [row.status for row in await kernel_rows(self.engine, session_id)]

    async def scheduling_state(self) -> list[tuple[Any, ...]]:
        """Every session's and kernel's status and reason and every history row, in a fixed
        order: equal results mean the scheduler changed nothing in between."""
        sessions, kernels, history = t.sessions.c, t.kernels.c, t.session_scheduling_history.c
        statements = (
            sa.select(sessions.id, sessions.status, sessions.status_info).order_by(sessions.id),
            sa.select(kernels.id, kernels.status, kernels.status_info).order_by(kernels.id),
            sa.select(history.id, history.result, history.attempts).order_by(history.id),
        )
        async with self.engine.connect() as conn:
            return [tuple(row) for statement in statements for row in await conn.execute(statement)]

    async def history(self, session_id: SessionId) -> list[tuple[str, SchedulingResult, int]]:
        """(phase, result, attempts) of the session's history rows, oldest first."""
        rows = await history_rows(self.engine, session_id)
        return [(row.phase, row.result, row.attempts) for row in rows]


async def add_cluster(engine: AsyncEngine, **scaling_group: Any) -> Tenant:
    """The "default" scaling group (with `scaling_group`'s columns) holding one agent,
    "agent-1" (8 cpu, 32 GiB), the python:3.11 image, and a tenant to submit sessions."""
    await add_scaling_group(engine, **scaling_group)
    await add_agent(engine, AGENT)
    await add_image(engine)
    return await add_tenant(engine)


def lifecycle_world(
    engine: AsyncEngine,
    clock: Clock,
    *,
    config: ManagerConfig | None = None,
    allocator: Allocator | None = None,
) -> LifecycleWorld:
    """`build_scheduler` over `engine` with one FakeAgent as its launcher and terminator.

    The scheduler and the agent share an in-process hint store on `clock`; the agent writes
    through a repository of its own, as the event handling does.
    """
    hints = InMemoryValkeySchedule(clock)
    agent = FakeAgent(SchedulerRepository(engine, clock), hints)
    components = build_scheduler(
        config or ManagerConfig(),
        engine,
        launcher=agent,
        terminator=agent,
        clock=clock,
        valkey_schedule=hints,
        allocator=allocator,
    )
    return LifecycleWorld(engine, clock, components, agent)


async def assert_agent_occupancy_consistent(engine: AsyncEngine) -> None:
    """Every agent occupies exactly what its live kernels hold, and no more than it has.

    Live kernels are those in resource-occupying statuses; any other kernel holds nothing.
    """
    async with engine.connect() as conn:
        agents = (await conn.execute(sa.select(t.agents))).all()
        kernels = (await conn.execute(sa.select(t.kernels))).all()
    occupying = KernelStatus.resource_occupied_statuses()
    for kernel in kernels:
        if kernel.status not in occupying:
            assert kernel.occupied_slots == ResourceSlot(), f"{kernel.status} kernel holds slots"
    for agent in agents:
        live = [k for k in kernels if k.agent_id == agent.id and k.status in occupying]
        held = sum((k.occupied_slots for k in live), ResourceSlot())
        assert agent.occupied_slots == held, f"agent {agent.id}"
        assert agent.container_count == len(live), f"agent {agent.id}"
        assert agent.occupied_slots.fits_in(agent.available_slots), f"agent {agent.id}"
