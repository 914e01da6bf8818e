"""SchedulingController with a recording repository: what it writes and which hints it leaves."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

import pytest

from sokovan.common.ids import SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler.write_enqueue import (
    EnqueueContext,
    EnqueueLookup,
    SessionEnqueueRecord,
)
from sokovan.repositories.scheduler.write_termination_marks import TerminationMarkResult
from sokovan.scheduling_controller import SchedulingController, SessionSpecError
from sokovan.scheduling_controller.types import SessionReferenceError
from unit.sokovan.scheduling_controller.spec_builders import CONTEXT, SPEC

S1, S2 = SessionId(uuid.uuid4()), SessionId(uuid.uuid4())


class RecordingRepository:
    def __init__(self, context: EnqueueContext = CONTEXT) -> None:
        self.context = context
        self.lookups: list[EnqueueLookup] = []
        self.enqueued: list[SessionEnqueueRecord] = []
        self.termination_requests: list[tuple[list[SessionId], str]] = []
        self.termination_result = TerminationMarkResult((), (), ())

    async def get_enqueue_context(self, lookup: EnqueueLookup) -> EnqueueContext:
        self.lookups.append(lookup)
        return self.context

    async def enqueue_sessions(self, records: Sequence[SessionEnqueueRecord]) -> None:
        self.enqueued.extend(records)

    async def mark_sessions_for_termination(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> TerminationMarkResult:
        self.termination_requests.append((list(session_ids), reason))
        return self.termination_result


@pytest.fixture
def repository() -> RecordingRepository:
    return RecordingRepository()


@pytest.fixture
def store() -> InMemoryValkeySchedule:
    return InMemoryValkeySchedule()


@pytest.fixture
def controller(
    repository: RecordingRepository, store: InMemoryValkeySchedule
) -> SchedulingController:
    return SchedulingController(repository, store)


async def marked(store: InMemoryValkeySchedule) -> set[ScheduleType]:
    return {t for t in ScheduleType if await store.load_and_delete_schedule_mark(t)}


async def test_enqueue_writes_the_record_and_hints_schedule(
    controller: SchedulingController,
    repository: RecordingRepository,
    store: InMemoryValkeySchedule,
) -> None:
    session_id = await controller.enqueue_session(SPEC)
    [record] = repository.enqueued
    assert record.session_id == session_id
    assert record.creation_id  # generated when the spec has none
    assert [k.cluster_hostname for k in record.kernels] == ["main1"]
    assert await marked(store) == {ScheduleType.SCHEDULE}


async def test_enqueue_keeps_the_clients_creation_id(
    controller: SchedulingController, repository: RecordingRepository
) -> None:
    await controller.enqueue_session(replace(SPEC, creation_id="client-token"))
    assert repository.enqueued[0].creation_id == "client-token"


async def test_malformed_spec_is_refused_before_any_database_access(
    controller: SchedulingController,
    repository: RecordingRepository,
    store: InMemoryValkeySchedule,
) -> None:
    with pytest.raises(SessionSpecError):
        await controller.enqueue_session(replace(SPEC, cluster_size=3))
    assert repository.lookups == []
    assert repository.enqueued == []
    assert await marked(store) == set()


async def test_bad_reference_writes_nothing_and_leaves_no_hint(
    repository: RecordingRepository, store: InMemoryValkeySchedule
) -> None:
    repository.context = replace(CONTEXT, scaling_group_exists=False, scaling_group=None)
    controller = SchedulingController(repository, store)
    with pytest.raises(SessionReferenceError):
        await controller.enqueue_session(SPEC)
    assert repository.enqueued == []
    assert await marked(store) == set()


@pytest.mark.parametrize(
    ("result", "hints"),
    [
        (
            TerminationMarkResult(cancelled=(), terminating=(S1,), untouched=()),
            {ScheduleType.TERMINATE, ScheduleType.CHECK_TERMINATING_PROGRESS},
        ),
        (
            TerminationMarkResult(cancelled=(S1,), terminating=(), untouched=()),
            {ScheduleType.SCHEDULE},
        ),
        (
            TerminationMarkResult(cancelled=(S1,), terminating=(S2,), untouched=()),
            {
                ScheduleType.SCHEDULE,
                ScheduleType.TERMINATE,
                ScheduleType.CHECK_TERMINATING_PROGRESS,
            },
        ),
        (TerminationMarkResult(cancelled=(), terminating=(), untouched=(S1,)), set()),
    ],
    ids=["terminating", "cancelled", "both", "nothing-changed"],
)
async def test_termination_hints_the_steps_that_follow(
    controller: SchedulingController,
    repository: RecordingRepository,
    store: InMemoryValkeySchedule,
    result: TerminationMarkResult,
    hints: set[ScheduleType],
) -> None:
    repository.termination_result = result
    await controller.mark_sessions_for_termination([S1, S2])
    assert repository.termination_requests == [([S1, S2], "user-requested")]
    assert await marked(store) == hints


async def test_termination_passes_the_reason_and_skips_empty_requests(
    controller: SchedulingController, repository: RecordingRepository
) -> None:
    await controller.mark_sessions_for_termination([])
    await controller.mark_sessions_for_termination([S1], reason="route-scaled-in")
    assert repository.termination_requests == [([S1], "route-scaled-in")]


async def test_mark_scheduling_needed_sets_that_mark(
    controller: SchedulingController, store: InMemoryValkeySchedule
) -> None:
    await controller.mark_scheduling_needed(ScheduleType.CHECK_PRECONDITION)
    assert await marked(store) == {ScheduleType.CHECK_PRECONDITION}
