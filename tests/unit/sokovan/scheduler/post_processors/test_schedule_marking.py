"""SC-CO-020 … SC-CO-022: ScheduleMarkingPostProcessor."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import SessionStatus
from sokovan.scheduler.post_processors import PostProcessContext, ScheduleMarkingPostProcessor
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import session_info


@dataclass
class RecordingController:
    marked: list[ScheduleType] = field(default_factory=list)

    async def mark_scheduling_needed(self, schedule_type: ScheduleType) -> None:
        self.marked.append(schedule_type)


def successes() -> SessionExecutionResult:
    return SessionExecutionResult(successes=[SessionTransitionInfo.of(session_info(), "ok")])


async def test_sc_co_020_marks_the_schedule_type_that_follows_the_target_status() -> None:
    controller = RecordingController()

    await ScheduleMarkingPostProcessor(controller).execute(
        PostProcessContext(successes(), SessionStatus.SCHEDULED)
    )

    assert controller.marked == [ScheduleType.CHECK_PRECONDITION]


async def test_sc_co_021_nothing_marked_for_an_unmapped_status() -> None:
    controller = RecordingController()

    await ScheduleMarkingPostProcessor(controller).execute(
        PostProcessContext(successes(), SessionStatus.PENDING)
    )

    assert controller.marked == []


async def test_sc_co_022_nothing_marked_without_a_target_status() -> None:
    controller = RecordingController()

    await ScheduleMarkingPostProcessor(controller).execute(PostProcessContext(successes(), None))

    assert controller.marked == []


@pytest.mark.parametrize(
    ("status", "marked"),
    [
        (SessionStatus.PREPARING, [ScheduleType.CHECK_PULLING_PROGRESS]),
        (SessionStatus.PULLING, [ScheduleType.CHECK_PULLING_PROGRESS]),
        (SessionStatus.PREPARED, [ScheduleType.START]),
        (SessionStatus.CREATING, [ScheduleType.CHECK_CREATING_PROGRESS]),
        (SessionStatus.DEPRIORITIZING, [ScheduleType.DEPRIORITIZE]),
        (
            SessionStatus.TERMINATING,
            [ScheduleType.TERMINATE, ScheduleType.CHECK_TERMINATING_PROGRESS],
        ),
        (SessionStatus.TERMINATED, [ScheduleType.SCHEDULE]),
        (SessionStatus.RUNNING, []),
        (SessionStatus.CANCELLED, []),
    ],
)
async def test_each_status_marks_its_next_hops(
    status: SessionStatus, marked: list[ScheduleType]
) -> None:
    controller = RecordingController()

    await ScheduleMarkingPostProcessor(controller).execute(PostProcessContext(successes(), status))

    assert controller.marked == marked
