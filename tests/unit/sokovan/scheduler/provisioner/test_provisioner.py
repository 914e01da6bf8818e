"""SessionProvisioner: plan, commit, and queue the rest with reasons (fake allocator)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AccessKey, SessionId
from sokovan.repositories.scheduler.snapshot_types import SchedulingData
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    AllocationOutcome,
    RejectedAllocation,
)
from sokovan.scheduler.provisioner.provisioner import SessionProvisioner
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    T0,
    agent,
    pending_session,
    policies,
    policy,
    scheduling_data,
    slots,
)
from unit.sokovan.scheduler.test_observer import RecordingObserver


class RecordingAllocator:
    """Accepts every allocation except the sessions listed in `lose`."""

    def __init__(self, lose: Sequence[SessionId] = ()) -> None:
        self.batches: list[AllocationBatch] = []
        self._lose = set(lose)

    async def allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        self.batches.append(batch)
        ids = [a.session_id for a in batch.allocations]
        return AllocationOutcome(
            allocated=tuple(i for i in ids if i not in self._lose),
            rejected=tuple(RejectedAllocation(i, "taken by another manager") for i in self._lose),
        )


class RecordingPendingQueue:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[SessionId]]] = []

    async def set_pending_queue(self, scaling_group: str, session_ids: Sequence[SessionId]) -> None:
        self.calls.append((scaling_group, list(session_ids)))


def _with_agents(data: SchedulingData, *cpus: int) -> SchedulingData:
    agents = tuple(agent(f"a{i}", slots(cpu=cpu, mem="64g")) for i, cpu in enumerate(cpus))
    return dataclasses.replace(data, agents=agents)


def _provisioner(allocator: RecordingAllocator, queue: RecordingPendingQueue) -> SessionProvisioner:
    return SessionProvisioner(allocator, queue, clock=ManualClock(T0))


async def test_missing_snapshot_schedules_nothing_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    allocator, queue = RecordingAllocator(), RecordingPendingQueue()
    with caplog.at_level(logging.WARNING):
        result = await _provisioner(allocator, queue).schedule_scaling_group("default", None)
    assert result.scheduled_sessions == []
    assert result.unscheduled_sessions == []
    assert allocator.batches == []
    assert "no scheduling snapshot" in caplog.text


async def test_placed_sessions_are_committed_in_one_batch_and_the_rest_queued_in_order() -> None:
    # One agent with 2 cpu; three 1-cpu sessions: s0 and s1 fit, s2 waits.
    sessions = [pending_session(at=n, requested=slots(cpu=1, mem="1g")) for n in range(3)]
    data = _with_agents(scheduling_data(sessions=sessions), 2)
    allocator, queue = RecordingAllocator(), RecordingPendingQueue()

    result = await _provisioner(allocator, queue).schedule_scaling_group("default", data)

    (batch,) = allocator.batches
    assert [a.session_id for a in batch.allocations] == [s.session_id for s in sessions[:2]]
    assert batch.roundrobin_next_index == ("default", 0)
    assert [s.session_id for s in result.scheduled_sessions] == [s.session_id for s in sessions[:2]]
    (waiting,) = result.unscheduled_sessions
    assert waiting.session_id == sessions[2].session_id
    assert waiting.code == "insufficient-resources"
    assert queue.calls == [("default", [sessions[2].session_id])]


async def test_a_session_that_loses_the_commit_race_is_reported_as_a_conflict() -> None:
    sessions = [pending_session(at=n) for n in range(2)]
    data = _with_agents(scheduling_data(sessions=sessions), 8)
    allocator = RecordingAllocator(lose=[sessions[0].session_id])
    queue = RecordingPendingQueue()

    result = await _provisioner(allocator, queue).schedule_scaling_group("default", data)

    assert [s.session_id for s in result.scheduled_sessions] == [sessions[1].session_id]
    (lost,) = result.unscheduled_sessions
    assert (lost.session_id, lost.code, lost.reason) == (
        sessions[0].session_id,
        "allocation-conflict",
        "taken by another manager",
    )


async def test_lower_priority_sessions_wait_for_the_higher_bucket_and_say_so() -> None:
    high = pending_session(at=1, priority=20)
    low = pending_session(at=0, priority=10)
    data = _with_agents(scheduling_data(sessions=[low, high]), 8)
    queue = RecordingPendingQueue()

    result = await _provisioner(RecordingAllocator(), queue).schedule_scaling_group("default", data)

    assert [s.session_id for s in result.scheduled_sessions] == [high.session_id]
    (waiting,) = result.unscheduled_sessions
    assert waiting.code == "lower-priority"
    assert "higher priority (20)" in waiting.reason


async def test_cp_007_mixed_outcomes_are_each_classified_with_their_own_reason() -> None:
    """Seed 000 CP-007: one cycle places what passes and explains each rejection."""
    capped = AccessKey("AKCAPPED")
    ok = pending_session(at=0, requested=slots(cpu=1, mem="1g"))
    over_quota = pending_session(at=1, access_key=capped, requested=slots(cpu=4, mem="1g"))
    too_big = pending_session(at=2, requested=slots(cpu=64, mem="1g"))
    # The capped keypair may hold 2 cpu: 0 + 4 > 2. The agent has 8 cpu: 64 never fits.
    data = _with_agents(
        scheduling_data(
            sessions=[ok, over_quota, too_big],
            policy_snapshot=policies(by_keypair={capped: policy("capped", total=slots(cpu=2))}),
        ),
        8,
    )

    result = await _provisioner(
        RecordingAllocator(), RecordingPendingQueue()
    ).schedule_scaling_group("default", data)

    assert [s.session_id for s in result.scheduled_sessions] == [ok.session_id]
    codes = {u.session_id: u.code for u in result.unscheduled_sessions}
    assert codes == {
        over_quota.session_id: "quota-exceeded",
        too_big.session_id: "insufficient-resources",
    }


async def test_placements_and_waiting_reasons_are_counted_for_monitoring() -> None:
    # One agent with 2 cpu; three 1-cpu sessions: two placed, one left for lack of room.
    sessions = [pending_session(at=n, requested=slots(cpu=1, mem="1g")) for n in range(3)]
    data = _with_agents(scheduling_data(sessions=sessions), 2)
    observer = RecordingObserver()
    provisioner = SessionProvisioner(
        RecordingAllocator(), RecordingPendingQueue(), clock=ManualClock(T0), observer=observer
    )

    await provisioner.schedule_scaling_group("default", data)

    assert observer.placements == [2]
    assert observer.unscheduled == [("insufficient-resources", 1)]
