"""KernelStateEngine applying events and forward moves over in-memory kernel rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_rows_fake import T0, KernelRows, RecordingHints, kernel_info

from sokovan.agent.protocol import KernelEventKind
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.kernel_writes import KernelChange
from sokovan.scheduler.kernel.events import KERNEL_PROGRESS, AgentKernelEvent
from sokovan.scheduler.kernel.state_engine import KernelStateEngine

S = KernelStatus
K = KernelEventKind
A1 = AgentId("a1")
CURRENT = {A1: "i-new"}


def kernel_event(
    kind: KernelEventKind, kernel_id: KernelId, *, instance_id: str = "i-new", **fields: object
) -> AgentKernelEvent:
    return AgentKernelEvent(
        kind=kind,
        agent_id=A1,
        instance_id=instance_id,
        occurred_at=T0,
        kernel_id=kernel_id,
        **fields,  # type: ignore[arg-type]
    )


def image_event(kind: KernelEventKind, image: str = "python:3.11") -> AgentKernelEvent:
    return AgentKernelEvent(
        kind=kind, agent_id=A1, instance_id="i-new", occurred_at=T0, image=image
    )


@pytest.fixture
def rows() -> KernelRows:
    return KernelRows()


@pytest.fixture
def hints() -> RecordingHints:
    return RecordingHints()


@pytest.fixture
def engine(rows: KernelRows, hints: RecordingHints) -> KernelStateEngine:
    return KernelStateEngine(rows, hints)


async def test_started_moves_a_creating_kernel_to_running_and_hints_the_promotion(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    kernel = kernel_info(S.CREATING)
    rows.add(kernel)

    result = await engine.apply_events(
        [kernel_event(K.KERNEL_STARTED, kernel.kernel_id, container_id="pid-7")], CURRENT
    )

    assert (result.applied, result.unchanged, result.ignored) == (1, 0, 0)
    assert result.moved_kernels == (kernel.kernel_id,)
    assert rows.rows[kernel.kernel_id].status is S.RUNNING
    assert rows.rows[kernel.kernel_id].container_id == "pid-7"
    assert hints.marked == [ScheduleType.CHECK_CREATING_PROGRESS]


async def test_a_late_creating_after_terminated_changes_nothing(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    kernel = kernel_info(S.CREATING)
    rows.add(kernel)

    await engine.apply_events([kernel_event(K.KERNEL_TERMINATED, kernel.kernel_id)], CURRENT)
    late = await engine.apply_events([kernel_event(K.KERNEL_CREATING, kernel.kernel_id)], CURRENT)

    assert (late.applied, late.unchanged) == (0, 1)
    assert rows.status(kernel) is S.TERMINATED
    assert hints.marked == [
        ScheduleType.CHECK_TERMINATING_PROGRESS,
        ScheduleType.DETECT_KERNEL_TERMINATION,
    ]


async def test_repeating_an_event_is_harmless(rows: KernelRows, engine: KernelStateEngine) -> None:
    kernel = kernel_info(S.CREATING)
    rows.add(kernel)
    started = kernel_event(K.KERNEL_STARTED, kernel.kernel_id)

    result = await engine.apply_events([started, started], CURRENT)

    assert (result.applied, result.unchanged) == (1, 1)
    assert rows.status(kernel) is S.RUNNING


async def test_events_of_an_old_incarnation_or_unknown_agent_are_ignored(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    kernel = kernel_info(S.RUNNING)
    rows.add(kernel)
    stale = kernel_event(K.KERNEL_TERMINATED, kernel.kernel_id, instance_id="i-old")

    result = await engine.apply_events([stale], CURRENT)
    unknown = await engine.apply_events([stale], {})

    assert (result.ignored, unknown.ignored) == (1, 1)
    assert rows.status(kernel) is S.RUNNING
    assert rows.writes == []
    assert hints.marked == []


async def test_a_kernel_event_about_another_agents_or_unknown_kernel_is_ignored(
    rows: KernelRows, engine: KernelStateEngine
) -> None:
    elsewhere = kernel_info(S.RUNNING, agent_id="a2")
    rows.add(elsewhere)

    result = await engine.apply_events(
        [
            kernel_event(K.KERNEL_TERMINATED, elsewhere.kernel_id),
            kernel_event(K.KERNEL_TERMINATED, KernelId(uuid.uuid4())),
        ],
        CURRENT,
    )

    assert (result.applied, result.ignored) == (0, 2)
    assert rows.status(elsewhere) is S.RUNNING


class RebindingRows(KernelRows):
    """Kernel rows in which every kernel moves to agent a2 between the engine's read and its
    write, as a reschedule running meanwhile would move it."""

    async def apply_kernel_changes(self, changes: Sequence[KernelChange]) -> list[bool]:
        for kernel_id, row in list(self.rows.items()):
            self.rows[kernel_id] = replace(row, agent_id=AgentId("a2"), status=S.SCHEDULED)
        return await super().apply_kernel_changes(changes)


async def test_a_report_never_moves_a_kernel_rebound_to_another_agent_meanwhile() -> None:
    rows = RebindingRows()
    kernel = kernel_info(S.CREATING)
    rows.add(kernel)

    result = await KernelStateEngine(rows).apply_events(
        [kernel_event(K.KERNEL_STARTED, kernel.kernel_id, container_id="pid-7")], CURRENT
    )

    assert (result.applied, result.unchanged) == (0, 1)
    assert rows.status(kernel) is S.SCHEDULED
    assert rows.rows[kernel.kernel_id].container_id is None


async def test_pull_finished_prepares_the_agents_kernels_waiting_for_the_image(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    waiting = kernel_info(S.PULLING)
    early = kernel_info(S.SCHEDULED)
    running = kernel_info(S.RUNNING)
    other_image = kernel_info(S.PULLING, image="other")
    other_agent = kernel_info(S.PULLING, agent_id="a2")
    rows.add(waiting, early, running, other_image, other_agent)

    result = await engine.apply_events([image_event(K.IMAGE_PULL_FINISHED)], CURRENT)

    assert set(result.moved_kernels) == {waiting.kernel_id, early.kernel_id}
    assert [rows.status(k) for k in (waiting, early, running, other_image, other_agent)] == [
        S.PREPARED,
        S.PREPARED,
        S.RUNNING,
        S.PULLING,
        S.PULLING,
    ]
    assert hints.marked == [ScheduleType.CHECK_PULLING_PROGRESS]


async def test_a_failed_pull_terminates_only_kernels_still_waiting_for_the_image(
    rows: KernelRows, engine: KernelStateEngine
) -> None:
    waiting = kernel_info(S.PULLING)
    running = kernel_info(S.RUNNING)
    rows.add(waiting, running)

    failed = AgentKernelEvent(
        kind=K.IMAGE_PULL_FAILED,
        agent_id=A1,
        instance_id="i-new",
        occurred_at=T0,
        image="python:3.11",
        reason="pip failed",
    )
    await engine.apply_events([failed], CURRENT)

    assert rows.rows[waiting.kernel_id].status is S.TERMINATED
    assert rows.rows[waiting.kernel_id].status_info == "image-pull-failed: pip failed"
    assert rows.status(running) is S.RUNNING


async def test_an_image_event_nobody_waits_for_is_unchanged_not_ignored(
    engine: KernelStateEngine,
) -> None:
    result = await engine.apply_events([image_event(K.IMAGE_PULL_FINISHED)], CURRENT)
    assert (result.applied, result.unchanged, result.ignored) == (0, 1, 0)


async def test_advance_kernels_moves_only_kernels_behind_the_target(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    behind, ahead, pending = (
        kernel_info(S.PREPARING),
        kernel_info(S.RUNNING),
        kernel_info(S.PENDING),
    )
    rows.add(behind, ahead, pending)

    moved = await engine.advance_kernels(
        [behind.kernel_id, ahead.kernel_id, pending.kernel_id, behind.kernel_id],
        S.PREPARED,
        "image-ready",
    )

    assert moved == [behind.kernel_id]
    assert [rows.status(k) for k in (behind, ahead, pending)] == [S.PREPARED, S.RUNNING, S.PENDING]
    assert hints.marked == [ScheduleType.CHECK_PULLING_PROGRESS]


async def test_mark_kernels_terminated_reports_what_moved_and_hints_once(
    rows: KernelRows, hints: RecordingHints, engine: KernelStateEngine
) -> None:
    alive, gone = kernel_info(S.RUNNING), kernel_info(S.TERMINATED)
    rows.add(alive, gone)

    moved = await engine.mark_kernels_terminated([alive.kernel_id, gone.kernel_id], "agent-lost")

    assert moved == [alive.kernel_id]
    assert rows.rows[alive.kernel_id].status_info == "agent-lost"
    assert hints.marked == [
        ScheduleType.CHECK_TERMINATING_PROGRESS,
        ScheduleType.DETECT_KERNEL_TERMINATION,
    ]


async def test_a_failing_hint_store_never_fails_the_change(rows: KernelRows) -> None:
    kernel = kernel_info(S.RUNNING)
    rows.add(kernel)
    engine = KernelStateEngine(rows, RecordingHints(fail=True))

    assert await engine.mark_kernel_terminated(kernel.kernel_id, "STALE_KERNEL") is True
    assert rows.status(kernel) is S.TERMINATED


async def test_find_bound_unfinished_kernels_skips_pending_and_finished(
    rows: KernelRows, engine: KernelStateEngine
) -> None:
    running, creating = kernel_info(S.RUNNING), kernel_info(S.CREATING)
    rows.add(running, creating, kernel_info(S.TERMINATED), kernel_info(S.RUNNING, agent_id="a2"))

    found = await engine.find_bound_unfinished_kernels(A1)

    assert {k.kernel_id for k in found} == {running.kernel_id, creating.kernel_id}


# --- order does not matter -----------------------------------------------------------------

LIFECYCLE = [
    K.IMAGE_PULL_STARTED,
    K.IMAGE_PULL_FINISHED,
    K.KERNEL_CREATING,
    K.KERNEL_STARTED,
    K.KERNEL_TERMINATED,
]
STARTS = [S.SCHEDULED, S.PREPARING, S.PULLING, S.PREPARED, S.CREATING, S.RUNNING]


def lifecycle_event(kind: KernelEventKind, kernel_id: KernelId) -> AgentKernelEvent:
    if kind.value.startswith("image"):
        return AgentKernelEvent(
            kind=kind,
            agent_id=A1,
            instance_id="i-new",
            occurred_at=T0,
            image="python:3.11",
            kernel_id=kernel_id,
        )
    return kernel_event(kind, kernel_id)


@settings(max_examples=150, deadline=None)
@given(
    start=st.sampled_from(STARTS),
    kinds=st.lists(st.sampled_from(LIFECYCLE), min_size=1, max_size=8),
    data=st.data(),
)
async def test_any_permutation_of_a_kernels_events_ends_in_the_same_status(
    start: KernelStatus, kinds: list[KernelEventKind], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(kinds))
    finals = []
    for order in (kinds, shuffled):
        rows = KernelRows()
        kernel = kernel_info(start)
        rows.add(kernel)
        engine = KernelStateEngine(rows)
        for kind in order:  # one batch per event: the order between batches is arbitrary too
            await engine.apply_events([lifecycle_event(kind, kernel.kernel_id)], CURRENT)
        finals.append(rows.status(kernel))

    assert finals[0] == finals[1]
    furthest = max(
        [start] + [_target(kind) for kind in kinds if _applies(start, kind)],
        key=KERNEL_PROGRESS.__getitem__,
    )
    assert finals[0] == furthest


def _target(kind: KernelEventKind) -> KernelStatus:
    return {
        K.IMAGE_PULL_STARTED: S.PULLING,
        K.IMAGE_PULL_FINISHED: S.PREPARED,
        K.KERNEL_CREATING: S.CREATING,
        K.KERNEL_STARTED: S.RUNNING,
        K.KERNEL_TERMINATED: S.TERMINATED,
    }[kind]


def _applies(start: KernelStatus, kind: KernelEventKind) -> bool:
    # Image events concern kernels that still wait for their image when they arrive; one that
    # starts past that point is never touched by them.
    waits = start in KernelStatus.pre_prepared_statuses()
    return waits or not kind.value.startswith("image")
