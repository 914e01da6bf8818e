"""DRF property: every step offers a session of an owner with the lowest dominant share.

The reference model recomputes every owner's dominant share from scratch at each step (with
`ResourceSlot.dominant_share`, independently of the cursor's incremental bookkeeping) and
derives the exact session that must come next, including the tie-break.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sokovan.common.ids import AccessKey, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.sequencers.drf import DRFSequencer
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    occupancy,
    pending_session,
    scheduling_data,
    session_id,
)

OWNERS = [AccessKey(f"O{n}") for n in range(4)]


def _slots(cpu: int, mem: int, gpu: int) -> ResourceSlot:
    return ResourceSlot({"cpu": cpu, "mem": mem, "cuda.device": gpu})


amounts = st.builds(
    _slots,
    cpu=st.integers(0, 8),
    mem=st.integers(0, 16),
    gpu=st.integers(0, 2),
)
# A zero GPU capacity exercises slot types the scaling group lacks.
capacities = st.builds(
    _slots, cpu=st.integers(1, 32), mem=st.integers(1, 64), gpu=st.integers(0, 4)
)
submissions = st.lists(st.tuples(st.sampled_from(OWNERS), st.integers(0, 10), amounts), max_size=24)
held_by_owner = st.dictionaries(st.sampled_from(OWNERS), amounts)


def _submission(session: PendingSession) -> tuple[datetime, SessionId]:
    return (session.created_at, session.session_id)


@settings(max_examples=150, deadline=None)
@given(
    capacity=capacities,
    submitted=submissions,
    held=held_by_owner,
    outcomes=st.data(),
)
def test_drf_always_offers_an_owner_with_the_lowest_dominant_share(
    capacity: ResourceSlot,
    submitted: list[tuple[AccessKey, int, ResourceSlot]],
    held: dict[AccessKey, ResourceSlot],
    outcomes: st.DataObject,
) -> None:
    sessions = [
        pending_session(sid=session_id(n), access_key=owner, at=at, requested=requested)
        for n, (owner, at, requested) in enumerate(submitted)
    ]
    data = scheduling_data(
        sessions=sessions,
        total_capacity=capacity,
        occupancy_snapshot=occupancy(by_keypair=held),
    )
    usage = {owner: held.get(owner, ResourceSlot()) for owner in OWNERS}
    waiting = {
        owner: sorted((s for s in sessions if s.access_key == owner), key=_submission)
        for owner in OWNERS
    }
    cursor = DRFSequencer().start(sessions, data)

    while (session := cursor.next()) is not None:
        shares = {o: usage[o].dominant_share(capacity) for o in OWNERS if waiting[o]}
        lowest = min(shares.values())
        assert shares[session.access_key] == lowest
        tied_heads = [waiting[o][0] for o, share in shares.items() if share == lowest]
        assert session == min(tied_heads, key=_submission)
        waiting[session.access_key].pop(0)
        if outcomes.draw(st.booleans(), label="placed"):
            usage[session.access_key] += session.requested_slots
            cursor.placed(session)
        else:
            cursor.rejected(session)

    assert not any(waiting.values())
