"""DRF: progressive filling by dominant share, checked against hand-computed cases."""

from __future__ import annotations

import pytest

from sokovan.common.ids import AccessKey
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.sequencers.base import SequenceCursor
from sokovan.scheduler.provisioner.sequencers.drf import DRFSequencer
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    occupancy,
    pending_session,
    scheduling_data,
    session_id,
    slots,
)

A, B, C = AccessKey("A"), AccessKey("B"), AccessKey("C")


def _place_while_it_fits(cursor: SequenceCursor, capacity: ResourceSlot) -> list[PendingSession]:
    """A tiny placement loop: place when the session fits what is left, else reject it."""
    left = capacity
    placed = []
    while (session := cursor.next()) is not None:
        if session.requested_slots.fits_in(left):
            left -= session.requested_slots
            placed.append(session)
            cursor.placed(session)
        else:
            cursor.rejected(session)
    return placed


def test_drf_paper_example_gives_a_three_and_b_two() -> None:
    """Ghodsi et al., NSDI 2011, §4: capacity ⟨9 cpu, 18 GiB⟩, A ⟨1, 4⟩, B ⟨3, 1⟩.

    Shares (A's dominant slot is mem, B's is cpu), A submitted first so A wins the 0 = 0 tie:
      A ⟨1, 4⟩   → A 4/18 = 2/9;  B 0        → B ⟨3, 1⟩ → B 3/9 = 1/3
      A 2/9 < 1/3 → A ⟨2, 8⟩ → 4/9; B 1/3 < 4/9 → B ⟨6, 2⟩ → 6/9 = 2/3
      A 4/9 < 2/3 → A ⟨3, 12⟩ → 2/3; cpu 3 + 6 = 9 is exhausted: every later session is rejected.
    """
    capacity = slots(cpu=9, mem="18g")
    sessions = [
        *(pending_session(access_key=A, at=i, requested=slots(cpu=1, mem="4g")) for i in range(10)),
        *(
            pending_session(access_key=B, at=10 + i, requested=slots(cpu=3, mem="1g"))
            for i in range(10)
        ),
    ]
    data = scheduling_data(sessions=sessions, total_capacity=capacity)

    placed = _place_while_it_fits(DRFSequencer().start(sessions, data), capacity)

    assert [s.access_key for s in placed] == [A, B, A, B, A]


def test_existing_occupancy_counts_toward_the_share() -> None:
    """Capacity 10 cpu; A already holds 4 (share 0.4), B holds 1 (0.1), sessions of 1 cpu.

    B: 0.1 → 0.2 → 0.3 → 0.4; then the tie at 0.4 goes to A's earlier session (at=0).
    """
    sessions = [
        pending_session(access_key=A, at=0, requested=slots(cpu=1)),
        *(pending_session(access_key=B, at=1 + i, requested=slots(cpu=1)) for i in range(4)),
    ]
    data = scheduling_data(
        sessions=sessions,
        total_capacity=slots(cpu=10),
        occupancy_snapshot=occupancy(by_keypair={A: slots(cpu=4), B: slots(cpu=1)}),
    )

    placed = _place_while_it_fits(DRFSequencer().start(sessions, data), slots(cpu=10))

    assert [s.access_key for s in placed] == [B, B, B, A, B]


def test_a_rejected_session_is_dropped_but_its_owner_keeps_competing() -> None:
    """Capacity 4 cpu. A's first session (8 cpu) can never fit; A's second (1 cpu) still runs.

    A 0 (tie, earlier) → 8 cpu rejected, share stays 0 → A's next (1 cpu) placed → 1/4;
    B 0 → 1 cpu placed → 1/4; A and B tie at 1/4; A has no session left, B's next goes.
    """
    big = pending_session(access_key=A, at=0, requested=slots(cpu=8))
    a_small = pending_session(access_key=A, at=1, requested=slots(cpu=1))
    b_first = pending_session(access_key=B, at=2, requested=slots(cpu=1))
    b_second = pending_session(access_key=B, at=3, requested=slots(cpu=1))
    sessions = [big, a_small, b_first, b_second]
    data = scheduling_data(sessions=sessions, total_capacity=slots(cpu=4))

    placed = _place_while_it_fits(DRFSequencer().start(sessions, data), slots(cpu=4))

    assert placed == [a_small, b_first, b_second]


@pytest.mark.parametrize(
    ("a_at", "b_at", "first"),
    [
        (0, 1, A),  # equal shares: A's next session was submitted first
        (1, 0, B),  # equal shares: B's next session was submitted first
    ],
)
def test_ties_go_to_the_earlier_next_session(a_at: int, b_at: int, first: AccessKey) -> None:
    sessions = [
        pending_session(access_key=A, at=a_at, requested=slots(cpu=1)),
        pending_session(access_key=B, at=b_at, requested=slots(cpu=1)),
    ]
    data = scheduling_data(sessions=sessions, total_capacity=slots(cpu=4))

    offered = DRFSequencer().start(sessions, data).next()

    assert offered is not None
    assert offered.access_key == first


def test_equal_timestamps_fall_back_to_the_session_id() -> None:
    later_id = pending_session(sid=session_id(2), access_key=A, at=0)
    earlier_id = pending_session(sid=session_id(1), access_key=B, at=0)
    sessions = [later_id, earlier_id]
    data = scheduling_data(sessions=sessions, total_capacity=slots(cpu=4))

    assert DRFSequencer().start(sessions, data).next() == earlier_id


def test_each_owners_sessions_come_in_submission_order() -> None:
    capacity = slots(cpu=100, mem="100g")
    sessions = [pending_session(access_key=A, at=at) for at in (3, 1, 2)]
    data = scheduling_data(sessions=sessions, total_capacity=capacity)

    placed = _place_while_it_fits(DRFSequencer().start(sessions, data), capacity)

    assert [s.created_at for s in placed] == sorted(s.created_at for s in sessions)


def test_slots_missing_from_the_capacity_do_not_count() -> None:
    """Capacity has no GPU: B's 4 cuda.device are ignored, B's share is cpu 1/10 < A's 2/10."""
    sessions = [
        pending_session(access_key=A, at=0, requested=slots(cpu=2)),
        pending_session(access_key=A, at=1, requested=slots(cpu=2)),
        pending_session(access_key=B, at=2, requested=ResourceSlot({"cpu": 1, "cuda.device": 4})),
        pending_session(access_key=B, at=3, requested=slots(cpu=1)),
    ]
    data = scheduling_data(sessions=sessions, total_capacity=slots(cpu=10))
    cursor = DRFSequencer().start(sessions, data)
    order = []
    while (session := cursor.next()) is not None:
        order.append(session.access_key)
        cursor.placed(session)

    # A 0 (earliest) → 2/10; B 0 → 1/10; B 1/10 → 2/10; tie 2/10: A's next (at=1) first.
    assert order == [A, B, B, A]


def test_an_owner_with_an_unreported_session_does_not_compete() -> None:
    sessions = [pending_session(access_key=A, at=0), pending_session(access_key=A, at=1)]
    sessions.append(pending_session(access_key=C, at=2))
    cursor = DRFSequencer().start(sessions, scheduling_data(total_capacity=slots(cpu=8)))

    first = cursor.next()
    second = cursor.next()

    assert first is not None
    assert first.access_key == A
    assert second is not None
    assert second.access_key == C
    cursor.rejected(first)
    assert cursor.next() == sessions[1]


def test_reporting_a_session_that_was_not_yielded_is_an_error() -> None:
    session = pending_session()
    cursor = DRFSequencer().start([session], scheduling_data(total_capacity=slots(cpu=8)))

    with pytest.raises(ValueError, match="was not yielded"):
        cursor.placed(session)
