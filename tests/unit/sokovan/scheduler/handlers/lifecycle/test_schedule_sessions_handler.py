"""ScheduleSessionsLifecycleHandler (seed 001 SC-SS-*, seed 000 SS-*)."""

from __future__ import annotations

from dataclasses import dataclass, field
from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.ids import SessionId
from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.snapshot_types import SchedulingData
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.lifecycle import ScheduleSessionsLifecycleHandler
from sokovan.scheduler.handlers.ports import SchedulingDataReader, SessionProvisionerPort
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session
from unit.sokovan.scheduler.provisioner.snapshot_builders import pending_session, scheduling_data


@dataclass(frozen=True, slots=True)
class _Placed:
    session_id: SessionId


@dataclass(frozen=True, slots=True)
class _Waiting:
    session_id: SessionId
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    scheduled_sessions: list[_Placed] = field(default_factory=list)
    unscheduled_sessions: list[_Waiting] = field(default_factory=list)


def _snapshot(*sessions: SessionWithKernels) -> SchedulingData:
    return scheduling_data(sessions=[pending_session(sid=s.session_id) for s in sessions])


def _placed(*sessions: SessionWithKernels) -> _Outcome:
    return _Outcome([_Placed(s.session_id) for s in sessions])


@pytest.fixture
def repository() -> Mock:
    return create_autospec(SchedulingDataReader, instance=True)


@pytest.fixture
def provisioner() -> Mock:
    return create_autospec(SessionProvisionerPort, instance=True)


@pytest.fixture
def handler(repository: Mock, provisioner: Mock) -> ScheduleSessionsLifecycleHandler:
    return ScheduleSessionsLifecycleHandler(repository, provisioner)


def test_spec_declares_contract() -> None:
    spec = ScheduleSessionsLifecycleHandler.spec
    assert spec.name == "schedule-sessions"
    assert spec.target_statuses == {SessionStatus.PENDING}
    assert spec.target_kernels is None
    assert spec.status_transitions == StatusTransitions(
        success=TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED),
        expired=TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING),
        give_up=TransitionStatus(SessionStatus.DEPRIORITIZING, None),
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_TARGET_PENDING


async def test_sc_ss_001_sessions_successfully_scheduled_via_provisioner(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    data = _snapshot(s1, s2)
    repository.get_scheduling_data.return_value = data
    provisioner.schedule_scaling_group.return_value = _placed(s1, s2)

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 2
    assert [info.session_id for info in result.successes] == [s1.session_id, s2.session_id]
    assert result.successes[0].from_status == SessionStatus.PENDING
    assert len(result.failures) == 0
    assert result.skipped == []
    repository.get_scheduling_data.assert_called_once_with(SCALING_GROUP)
    provisioner.schedule_scaling_group.assert_called_once_with(SCALING_GROUP, data)


async def test_sc_ss_002_no_scheduling_data_returns_all_sessions_as_skipped(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = None

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    assert len(result.skipped) == 2
    assert result.skipped[0].session_id == s1.session_id
    assert result.skipped[0].reason == "no-scheduling-data"
    assert result.skipped[1].session_id == s2.session_id
    assert result.skipped[1].reason == "no-scheduling-data"
    repository.get_scheduling_data.assert_called_once_with(SCALING_GROUP)
    provisioner.schedule_scaling_group.assert_not_called()


async def test_sc_ss_003_partial_success_non_scheduled_sessions_returned_as_skipped(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1, s2)
    provisioner.schedule_scaling_group.return_value = _placed(s1)

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 1
    assert result.successes[0].session_id == s1.session_id
    assert len(result.failures) == 0
    assert len(result.skipped) == 1
    assert result.skipped[0].session_id == s2.session_id
    assert result.skipped[0].from_status == SessionStatus.PENDING
    assert result.skipped[0].reason == "not-scheduled-this-cycle"


async def test_sc_ss_004_empty_session_list_returns_empty_result(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    assert len(result.skipped) == 0
    repository.get_scheduling_data.assert_not_called()
    provisioner.schedule_scaling_group.assert_not_called()


async def test_sc_ss_005_insufficient_resources_all_sessions_skipped(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1, s2)
    provisioner.schedule_scaling_group.return_value = _Outcome([])

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    assert len(result.skipped) == 2
    assert result.skipped[0].session_id == s1.session_id
    assert result.skipped[0].reason == "not-scheduled-this-cycle"
    assert result.skipped[1].session_id == s2.session_id
    assert result.skipped[1].reason == "not-scheduled-this-cycle"
    repository.get_scheduling_data.assert_called_once_with(SCALING_GROUP)
    provisioner.schedule_scaling_group.assert_called_once()


async def test_successes_follow_placement_order(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1, s2)
    provisioner.schedule_scaling_group.return_value = _placed(s2, s1)

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert [info.session_id for info in result.successes] == [s2.session_id, s1.session_id]


async def test_placed_session_missing_from_input_is_success_described_from_snapshot(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    # Submitted after the coordinator's query, but read into the snapshot and placed.
    s1 = session(SessionStatus.PENDING)
    late = pending_session()
    data = scheduling_data(sessions=[pending_session(sid=s1.session_id), late])
    repository.get_scheduling_data.return_value = data
    provisioner.schedule_scaling_group.return_value = _Outcome(
        [_Placed(s1.session_id), _Placed(late.session_id)]
    )

    result = await handler.execute(SCALING_GROUP, [s1])

    [first, second] = result.successes
    assert first.session_id == s1.session_id
    assert first.creation_id == s1.session_info.creation_id
    assert second.session_id == late.session_id
    assert second.from_status == SessionStatus.PENDING
    assert second.creation_id == late.creation_id
    assert second.access_key == late.access_key
    assert result.skipped == []


async def test_ss_001_single_session_is_scheduled(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    # Agent assignment itself is the provisioner's (tested with it); the handler reports it.
    s1 = session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1)
    provisioner.schedule_scaling_group.return_value = _placed(s1)

    result = await handler.execute(SCALING_GROUP, [s1])

    assert [info.session_id for info in result.successes] == [s1.session_id]
    assert result.failures == result.skipped == []


async def test_ss_002_multiple_sessions_all_scheduled(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    sessions = [session(SessionStatus.PENDING) for _ in range(5)]
    repository.get_scheduling_data.return_value = _snapshot(*sessions)
    provisioner.schedule_scaling_group.return_value = _placed(*sessions)

    result = await handler.execute(SCALING_GROUP, sessions)

    assert [info.session_id for info in result.successes] == [s.session_id for s in sessions]
    assert result.failures == result.skipped == []


async def test_ss_003_insufficient_resources_leaves_session_pending_not_failed(
    handler: ScheduleSessionsLifecycleHandler, repository: Mock, provisioner: Mock
) -> None:
    # Reconciled with seed 001: an unplaced session is skipped (it stays PENDING and is
    # retried next cycle), never a failure; the why-pending text comes from the provisioner.
    s1 = session(SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1)
    provisioner.schedule_scaling_group.return_value = _Outcome([])

    result = await handler.execute(SCALING_GROUP, [s1])

    assert result.failures == []
    assert result.successes == []
    [skipped] = result.skipped
    assert skipped.session_id == s1.session_id
    assert skipped.reason == "not-scheduled-this-cycle"


async def test_why_a_session_waits_travels_as_detail_under_the_seed_reason(
    repository: Mock, provisioner: Mock
) -> None:
    s1 = session(status=SessionStatus.PENDING)
    repository.get_scheduling_data.return_value = _snapshot(s1)
    provisioner.schedule_scaling_group.return_value = _Outcome(
        unscheduled_sessions=[
            _Waiting(s1.session_id, "quota-exceeded", "user quota: cpu 9 + 2 > 10")
        ]
    )

    result = await ScheduleSessionsLifecycleHandler(repository, provisioner).execute(
        SCALING_GROUP, [s1]
    )

    (skipped,) = result.skipped
    assert skipped.reason == "not-scheduled-this-cycle"
    assert skipped.detail == "user quota: cpu 9 + 2 > 10"
    assert skipped.error_code == "quota-exceeded"
