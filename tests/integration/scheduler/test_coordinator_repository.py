"""The coordinator against the real repository: failure classes, hooks, kernels, guards.

Covers 000 §6 (FC-001 … FC-003, HE-001 … HE-003) end to end: what the coordinator decides is
read back from the session, kernel, agent and history rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.repositories.scheduler.test_update_with_history import (
    assert_occupancy_consistent,
    settle_agents,
)
from integration.scheduler.coordinator_world import (
    agent_row,
    build_world,
    history_rows,
    kernel_rows,
    kernel_statuses,
    session_row,
)
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    ScheduleType,
    SchedulingResult,
    StatusTransitions,
    TransitionStatus,
)
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.types import KernelInfo, SessionWithKernels
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionStatusChange,
    SessionStatusUpdater,
)
from sokovan.scheduler.handlers.base import (
    HandlerSpec,
    KernelHandlerSpec,
    KernelLifecycleHandler,
    SessionLifecycleHandler,
)
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.results import (
    KernelExecutionResult,
    KernelTransitionInfo,
    SessionExecutionResult,
    SessionTransitionInfo,
)
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

_SCHEDULE = StatusTransitions(
    success=TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED),
    expired=TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING),
    give_up=TransitionStatus(SessionStatus.DEPRIORITIZING, None),
)


class FailingHandler(SessionLifecycleHandler):
    """Fails every target session with one reason (or raises, when given an error)."""

    spec: ClassVar[HandlerSpec]

    def __init__(self, spec: HandlerSpec, reason: str, error: Exception | None = None) -> None:
        self.spec = spec  # type: ignore[misc]
        self._reason = reason
        self._error = error

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if self._error is not None:
            raise self._error
        return SessionExecutionResult(
            failures=[SessionTransitionInfo.of(s, self._reason) for s in sessions]
        )


def spec(
    name: str,
    targets: SessionStatus,
    transitions: StatusTransitions,
    lock_id: LockID | None = None,
) -> HandlerSpec:
    return HandlerSpec(name, frozenset({targets}), None, transitions, lock_id)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "agent-1")
    return await add_tenant(db_engine)


async def test_fc_001_first_failure_is_retried_in_place(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    sid, _ = await add_session(db_engine, tenant, status=SessionStatus.PENDING)
    handler = FailingHandler(spec("schedule-sessions", SessionStatus.PENDING, _SCHEDULE), "full")
    world = build_world(db_engine, lifecycle={ScheduleType.SCHEDULE: handler})

    await world.run(ScheduleType.SCHEDULE)
    world.clock.advance(timedelta(seconds=10))
    await world.run(ScheduleType.SCHEDULE)

    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (SessionStatus.PENDING, "full")
    (entry,) = await history_rows(db_engine, sid)
    assert (entry.phase, entry.result, entry.attempts) == (
        "schedule-sessions",
        SchedulingResult.NEED_RETRY,
        2,
    )
    assert world.events.batches == []


async def test_fc_002_failure_after_the_status_timeout_is_expired(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    """A PREPARING session failing after 16 minutes takes the expired transition."""
    transitions = StatusTransitions(
        expired=TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING),
        give_up=TransitionStatus(SessionStatus.CANCELLED, KernelStatus.CANCELLED),
    )
    handler = FailingHandler(spec("check-images", SessionStatus.PREPARING, transitions), "slow")
    fresh, _ = await add_session(
        db_engine, tenant, status=SessionStatus.PREPARING, created_at=T0 + timedelta(minutes=10)
    )
    stale, _ = await add_session(db_engine, tenant, status=SessionStatus.PREPARING)
    world = build_world(db_engine, lifecycle={ScheduleType.CHECK_PULLING_PROGRESS: handler})
    world.clock.advance(timedelta(minutes=16))

    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)

    assert (await session_row(db_engine, stale)).status is SessionStatus.TERMINATING
    assert await kernel_statuses(db_engine, stale) == [KernelStatus.TERMINATING]
    assert [h.result for h in await history_rows(db_engine, stale)] == [SchedulingResult.EXPIRED]
    assert (await session_row(db_engine, fresh)).status is SessionStatus.PREPARING
    assert [h.result for h in await history_rows(db_engine, fresh)] == [SchedulingResult.NEED_RETRY]
    assert world.events.transitions() == [(stale, "TERMINATING")]
    assert world.marks.marked == [
        ScheduleType.TERMINATE,
        ScheduleType.CHECK_TERMINATING_PROGRESS,
    ]


async def test_fc_003_the_sixth_failure_gives_up(db_engine: AsyncEngine, tenant: Tenant) -> None:
    sid, _ = await add_session(db_engine, tenant, status=SessionStatus.PENDING)
    handler = FailingHandler(spec("schedule-sessions", SessionStatus.PENDING, _SCHEDULE), "full")
    world = build_world(db_engine, lifecycle={ScheduleType.SCHEDULE: handler})

    for _ in range(5):
        await world.run(ScheduleType.SCHEDULE)
        world.clock.advance(timedelta(seconds=1))
    assert (await session_row(db_engine, sid)).status is SessionStatus.PENDING

    await world.run(ScheduleType.SCHEDULE)

    assert (await session_row(db_engine, sid)).status is SessionStatus.DEPRIORITIZING
    assert await kernel_statuses(db_engine, sid) == [KernelStatus.PENDING]
    assert [(h.result, h.attempts, h.to_status) for h in await history_rows(db_engine, sid)] == [
        (SchedulingResult.NEED_RETRY, 5, SessionStatus.PENDING),
        (SchedulingResult.GIVE_UP, 1, SessionStatus.DEPRIORITIZING),
    ]
    assert world.marks.marked == [ScheduleType.DEPRIORITIZE]


async def test_a_handler_error_sends_scheduled_sessions_back_to_pending_with_kernels_reset(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    """check-precondition declares only `expired`: its launcher error expires at once."""
    sid, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.SCHEDULED,
        kernels=[KernelSpec(agent_id="agent-1", slots={"cpu": 2, "mem": 2**30})],
    )
    await settle_agents(db_engine)
    transitions = StatusTransitions(
        success=TransitionStatus(SessionStatus.PREPARING, KernelStatus.PREPARING),
        expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
    )
    handler = FailingHandler(
        spec("check-precondition", SessionStatus.SCHEDULED, transitions),
        "",
        error=ConnectionError("Connection failed"),
    )
    world = build_world(db_engine, lifecycle={ScheduleType.CHECK_PRECONDITION: handler})

    await world.run(ScheduleType.CHECK_PRECONDITION)

    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (SessionStatus.PENDING, "Connection failed")
    (kernel,) = await kernel_rows(db_engine, sid)
    assert (kernel.status, kernel.agent_id) == (KernelStatus.PENDING, None)
    assert (await agent_row(db_engine, "agent-1")).occupied_slots == ResourceSlot()
    await assert_occupancy_consistent(db_engine)


class MovedMeanwhileHandler(SessionLifecycleHandler):
    """Reports success for sessions that another actor terminates while it runs."""

    spec: ClassVar[HandlerSpec] = spec(
        "start-sessions",
        SessionStatus.PREPARED,
        StatusTransitions(success=TransitionStatus(SessionStatus.CREATING, KernelStatus.CREATING)),
    )

    def __init__(self, repository: SchedulerRepository) -> None:
        self._repository = repository

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        first = sessions[0]
        await self._repository.update_with_history(
            SessionStatusUpdater(
                (
                    SessionStatusChange(
                        first.session_id, SessionStatus.TERMINATING, None, "user-requested"
                    ),
                )
            ),
            SchedulingHistoryCreator(()),
        )
        return SessionExecutionResult(
            successes=[SessionTransitionInfo.of(s, "triggered") for s in sessions]
        )


async def test_a_session_moved_meanwhile_keeps_its_new_status_and_gets_no_event(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    moved, _ = await add_session(db_engine, tenant, status=SessionStatus.PREPARED)
    started, _ = await add_session(
        db_engine, tenant, status=SessionStatus.PREPARED, created_at=T0 + timedelta(seconds=1)
    )
    handler = MovedMeanwhileHandler(SchedulerRepository(db_engine))
    world = build_world(db_engine, lifecycle={ScheduleType.START: handler})

    await world.run(ScheduleType.START)

    assert (await session_row(db_engine, moved)).status is SessionStatus.TERMINATING
    assert await history_rows(db_engine, moved) == []
    assert (await session_row(db_engine, started)).status is SessionStatus.CREATING
    assert world.events.transitions() == [(started, "CREATING")]


class StaleKernelHandler(KernelLifecycleHandler):
    spec: ClassVar[KernelHandlerSpec] = KernelHandlerSpec(
        "sweep-stale-kernels",
        frozenset({KernelStatus.RUNNING}),
        LockID.LOCKID_SOKOVAN_STALE_KERNELS,
    )

    async def execute(
        self, scaling_group: str, kernels: Sequence[KernelInfo]
    ) -> KernelExecutionResult:
        return KernelExecutionResult(failures=[KernelTransitionInfo.of(kernels[0], None)])


async def test_a_dead_kernel_ends_its_session_through_the_promotions(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    sid, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(agent_id="agent-1", container_id="c1")],
    )
    await settle_agents(db_engine)
    world = build_world(db_engine, kernel={ScheduleType.SWEEP_STALE_KERNELS: StaleKernelHandler()})

    await world.run(ScheduleType.SWEEP_STALE_KERNELS)
    (kernel,) = await kernel_rows(db_engine, sid)
    assert (kernel.status, kernel.status_info) == (
        KernelStatus.TERMINATED,
        "kernel_handler_failure",
    )

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (SessionStatus.TERMINATING, "ABNORMAL_TERMINATION")

    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)
    assert (await session_row(db_engine, sid)).status is SessionStatus.TERMINATED
    assert world.events.transitions() == [(sid, "TERMINATING"), (sid, "TERMINATED")]
    await assert_occupancy_consistent(db_engine)


# --- 000 §6.2: hooks ----------------------------------------------------------------------


async def test_he_001_running_transition_settles_occupancy_and_announces_it(
    db_engine: AsyncEngine, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """The RUNNING hook of the original updated occupied slots; here the status update does
    that in its own transaction, and the registered RUNNING hook reports the start."""
    slots = {"cpu": 2, "mem": 4 * 2**30}
    sid, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernel_status=KernelStatus.RUNNING,
        kernels=[KernelSpec(agent_id="agent-1", container_id="c1", slots=slots)],
    )
    await settle_agents(db_engine)
    world = build_world(db_engine)
    world.clock.advance(timedelta(seconds=2))

    with caplog.at_level(logging.INFO, logger="sokovan.scheduler.hooks.status"):
        await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    row = await session_row(db_engine, sid)
    assert row.status is SessionStatus.RUNNING
    assert row.occupying_slots == ResourceSlot(slots)
    assert (await agent_row(db_engine, "agent-1")).occupied_slots == ResourceSlot(slots)
    await assert_occupancy_consistent(db_engine)
    assert world.events.transitions() == [(sid, "RUNNING")]
    assert any(str(sid) in r.getMessage() for r in caplog.records)


async def test_he_002_terminated_transition_releases_resources_and_announces_it(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    sid, (kid,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.TERMINATING,
        kernel_status=KernelStatus.TERMINATING,
        kernels=[KernelSpec(agent_id="agent-1", container_id="c1")],
    )
    await settle_agents(db_engine)
    world = build_world(db_engine)
    await world.coordinator._kernel_state_engine.mark_kernel_terminated(kid, "destroyed")

    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    row = await session_row(db_engine, sid)
    assert row.status is SessionStatus.TERMINATED
    assert row.occupying_slots == ResourceSlot()
    assert row.terminated_at is not None
    assert (await agent_row(db_engine, "agent-1")).occupied_slots == ResourceSlot()
    await assert_occupancy_consistent(db_engine)
    assert world.events.transitions() == [(sid, "TERMINATED")]
    assert world.marks.marked == [ScheduleType.SCHEDULE]


class RefusingHook:
    async def execute(self, session: SessionWithKernels) -> None:
        raise RuntimeError("route registration failed")


async def test_he_003_a_failing_hook_keeps_the_session_from_transitioning(
    db_engine: AsyncEngine, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """000 HE-003 says the transition completes despite the hook failure; 002 (SC-CO-006),
    the detailed contract, says a failing hook keeps that session from transitioning. 002
    wins: the session stays CREATING with no history or event, the error is logged, and the
    next cycle tries again."""
    sid, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernel_status=KernelStatus.RUNNING,
        kernels=[KernelSpec(agent_id="agent-1", container_id="c1")],
    )
    hooks = HookRegistry({SessionStatus.RUNNING: RefusingHook()})
    world = build_world(db_engine, hooks=hooks)

    with caplog.at_level(logging.ERROR):
        await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    assert (await session_row(db_engine, sid)).status is SessionStatus.CREATING
    assert await history_rows(db_engine, sid) == []
    assert world.events.batches == []
    assert any(str(sid) in r.getMessage() for r in caplog.records)
