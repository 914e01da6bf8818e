"""SC-CO-015, SC-CO-016: the promotion and kernel-handler paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sokovan.common.scheduling import KernelMatchType, ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.conditions import (
    ByKernelMatch,
    ByKernelStatuses,
    ByScalingGroup,
)
from sokovan.repositories.scheduler.types import KernelInfo
from sokovan.scheduler.handlers.base import KernelHandlerSpec, KernelLifecycleHandler
from sokovan.scheduler.promotion import PROMOTE_TO_RUNNING, PROMOTE_TO_TERMINATED
from sokovan.scheduler.results import KernelExecutionResult, KernelTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import (
    FakeRepository,
    build_world,
    kernel_info,
    minutes_ago,
    session_info,
)


async def test_sc_co_015_promotion_query_includes_the_kernel_match() -> None:
    s1 = session_info(SessionStatus.CREATING)
    world = build_world(
        repository=FakeRepository(promoted=[s1]),
        promotions={ScheduleType.CHECK_CREATING_PROGRESS: PROMOTE_TO_RUNNING},
    )

    await world.coordinator._process_promotion_scaling_group(PROMOTE_TO_RUNNING, "default")

    querier = world.repository.called("search_sessions_for_handler")[0]
    assert ByKernelMatch(KernelStatus.pre_running_statuses(), KernelMatchType.NOT_ANY) in (
        querier.conditions
    )
    assert ByScalingGroup("default") in querier.conditions
    ((updater, creator), *_) = world.repository.called("update_with_history")
    (change,) = updater.changes
    assert (change.session_id, change.to_status, change.kernel_to_status) == (
        s1.session_id,
        SessionStatus.RUNNING,
        KernelStatus.RUNNING,
    )
    assert change.expected_status is SessionStatus.CREATING
    assert [(s.phase, s.result) for s in creator.specs] == [
        ("promote-to-running", SchedulingResult.SUCCESS)
    ]


async def test_promotion_runs_without_a_lock_over_every_scaling_group() -> None:
    world = build_world(
        repository=FakeRepository(scaling_groups=["default", "gpu"]),
        promotions={ScheduleType.CHECK_TERMINATING_PROGRESS: PROMOTE_TO_TERMINATED},
    )

    done = await world.coordinator.process_lifecycle_schedule(
        ScheduleType.CHECK_TERMINATING_PROGRESS
    )

    assert done is True
    assert world.locks.calls == []
    groups = [q.conditions[0] for q in world.repository.called("search_sessions_for_handler")]
    assert groups == [ByScalingGroup("default"), ByScalingGroup("gpu")]
    assert world.repository.called("update_with_history") == []


async def test_overdue_candidates_that_do_not_qualify_expire() -> None:
    stuck = session_info(SessionStatus.CREATING, status_changed=minutes_ago(11))
    on_time = session_info(SessionStatus.CREATING, status_changed=minutes_ago(9))
    repository = FakeRepository(candidates=[stuck, on_time])
    world = build_world(repository=repository)

    await world.coordinator._process_promotion_scaling_group(PROMOTE_TO_RUNNING, "default")

    ((updater, creator),) = repository.called("update_with_history")
    (change,) = updater.changes
    assert (change.session_id, change.to_status, change.kernel_to_status, change.reason) == (
        stuck.session_id,
        SessionStatus.TERMINATING,
        KernelStatus.TERMINATING,
        "CREATING_TIMEOUT_EXCEEDED",
    )
    assert [s.result for s in creator.specs] == [SchedulingResult.EXPIRED]


async def test_a_promoted_session_is_never_also_expired() -> None:
    late = session_info(SessionStatus.CREATING, status_changed=minutes_ago(30))
    world = build_world(repository=FakeRepository(promoted=[late], candidates=[late]))

    await world.coordinator._process_promotion_scaling_group(PROMOTE_TO_RUNNING, "default")

    ((updater, _),) = world.repository.called("update_with_history")
    assert [c.to_status for c in updater.changes] == [SessionStatus.RUNNING]


class ScriptedKernelHandler(KernelLifecycleHandler):
    spec: ClassVar[KernelHandlerSpec] = KernelHandlerSpec(
        name="sweep-stale-kernels",
        target_kernel_statuses=frozenset({KernelStatus.RUNNING}),
        lock_id=LockID.LOCKID_SOKOVAN_STALE_KERNELS,
    )

    def __init__(self, result: KernelExecutionResult) -> None:
        self.result = result
        self.calls: list[tuple[str, list[KernelInfo]]] = []

    async def execute(
        self, scaling_group: str, kernels: Sequence[KernelInfo]
    ) -> KernelExecutionResult:
        self.calls.append((scaling_group, list(kernels)))
        return self.result


async def test_sc_co_016_failed_kernels_are_marked_terminated() -> None:
    k1 = kernel_info(session_info().session_id)
    k2 = kernel_info(session_info().session_id)
    handler = ScriptedKernelHandler(
        KernelExecutionResult(
            successes=[KernelTransitionInfo.of(k1, None)],
            failures=[KernelTransitionInfo.of(k2, None)],
        )
    )
    world = build_world(
        repository=FakeRepository(kernels=[k1, k2]),
        kernel={ScheduleType.SWEEP_STALE_KERNELS: handler},
    )

    await world.coordinator._process_kernel_scaling_group(handler, "default")

    assert world.engine.terminated == [(k2.kernel_id, "kernel_handler_failure")]
    (querier,) = world.repository.called("search_kernels_for_handler")
    assert querier.conditions == (
        ByScalingGroup("default"),
        ByKernelStatuses(frozenset({KernelStatus.RUNNING})),
    )
    assert handler.calls == [("default", [k1, k2])]


async def test_kernel_handlers_run_under_their_lock_and_keep_the_failure_reason() -> None:
    k1 = kernel_info(session_info().session_id)
    handler = ScriptedKernelHandler(
        KernelExecutionResult(failures=[KernelTransitionInfo.of(k1, "STALE_KERNEL")])
    )
    world = build_world(
        repository=FakeRepository(kernels=[k1]),
        kernel={ScheduleType.SWEEP_STALE_KERNELS: handler},
    )

    assert await world.coordinator.process_lifecycle_schedule(ScheduleType.SWEEP_STALE_KERNELS)

    assert world.locks.calls == [(LockID.LOCKID_SOKOVAN_STALE_KERNELS, 30.0)]
    assert world.engine.terminated == [(k1.kernel_id, "STALE_KERNEL")]


async def test_no_kernels_means_no_handler_call() -> None:
    handler = ScriptedKernelHandler(KernelExecutionResult())
    world = build_world(kernel={ScheduleType.SWEEP_STALE_KERNELS: handler})

    await world.coordinator._process_kernel_scaling_group(handler, "default")

    assert handler.calls == []
