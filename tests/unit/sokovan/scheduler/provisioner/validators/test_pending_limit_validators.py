"""Pending limits govern admission to the queue; a queued session always passes them."""

from __future__ import annotations

import pytest

from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession, PendingStats
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import (
    PendingSessionCountLimitExceeded,
    PendingSessionResourceLimitExceeded,
)
from sokovan.scheduler.provisioner.validators.pending_count import PendingCountValidator
from sokovan.scheduler.provisioner.validators.pending_resource import PendingResourceValidator
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    AK,
    T0,
    occupancy,
    pending_session,
    policies,
    policy,
    scheduling_data,
    slots,
)


def _cycle(
    pending: PendingStats,
    *,
    max_count: int | None = None,
    max_slots: ResourceSlot | None = None,
    queued: tuple[PendingSession, ...] = (),
) -> CycleState:
    gold = policy("gold", max_pending_count=max_count, max_pending_slots=max_slots)
    data = scheduling_data(
        sessions=queued,
        policy_snapshot=policies(by_keypair={AK: gold}),
        occupancy_snapshot=occupancy(pending={AK: pending}),
    )
    return CycleState(data=data, now=T0)


# --- pending count ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "limit"),
    [
        (2, 3),  # 2 + 1 = 3 ≤ 3
        (0, 1),  # 0 + 1 = 1 ≤ 1
        (99, None),  # no limit
    ],
)
def test_submission_within_the_pending_count_limit_passes(pending: int, limit: int | None) -> None:
    cycle = _cycle(PendingStats(count=pending), max_count=limit)

    PendingCountValidator().validate(pending_session(), cycle)


def test_cp_005_submission_beyond_the_pending_count_limit_is_rejected() -> None:
    """CP-005 (resource policy violation): the seed's example is max_vfolder_count; sokovan has
    no vfolders, so the keypair policy's max_pending_session_count stands in for it."""
    cycle = _cycle(PendingStats(count=3), max_count=3)

    # 3 pending + 1 = 4 > 3
    with pytest.raises(PendingSessionCountLimitExceeded) as caught:
        PendingCountValidator().validate(pending_session(), cycle)

    assert caught.value.message == (
        f"keypair {AK} has 3 of 3 pending sessions (policy 'gold'); "
        "wait for one to start or cancel one"
    )


def test_a_queued_session_passes_even_when_the_queue_exceeds_the_limit() -> None:
    """The limit was lowered to 1 while 5 sessions wait: placing them is what drains the queue."""
    session = pending_session()
    cycle = _cycle(PendingStats(count=5), max_count=1, queued=(session,))

    PendingCountValidator().validate(session, cycle)


# --- pending resources --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "requested", "limit"),
    [
        (slots(cpu=28), slots(cpu=4), slots(cpu=32)),  # 28 + 4 = 32 ≤ 32
        (slots(cpu=100), slots(cpu=4), ResourceSlot()),  # empty limit: unlimited
        (slots(cpu=30, mem="1t"), slots(cpu=2, mem="1t"), slots(cpu=32)),  # mem not limited
    ],
)
def test_submission_within_the_pending_resource_limit_passes(
    pending: ResourceSlot, requested: ResourceSlot, limit: ResourceSlot
) -> None:
    cycle = _cycle(PendingStats(count=1, slots=pending), max_slots=limit)

    PendingResourceValidator().validate(pending_session(requested=requested), cycle)


def test_submission_beyond_the_pending_resource_limit_is_rejected() -> None:
    cycle = _cycle(PendingStats(count=3, slots=slots(cpu=30)), max_slots=slots(cpu=32))

    # cpu: 30 pending + 4 requested = 34 > 32
    with pytest.raises(PendingSessionResourceLimitExceeded) as caught:
        PendingResourceValidator().validate(pending_session(requested=slots(cpu=4)), cycle)

    assert caught.value.message == (
        f"pending resource limit of keypair {AK}: cpu 30 + 4 > 32 (policy 'gold'); "
        "wait for pending sessions to start or cancel some"
    )
    assert caught.value.code == "pending-resource-limit"


def test_a_queued_session_passes_the_pending_resource_limit() -> None:
    session = pending_session(requested=slots(cpu=4))
    cycle = _cycle(
        PendingStats(count=9, slots=slots(cpu=90)), max_slots=slots(cpu=32), queued=(session,)
    )

    PendingResourceValidator().validate(session, cycle)
