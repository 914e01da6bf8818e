"""PlacedTotals: per-owner sums added up when read, equal to summing on every placement."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter

from hypothesis import given, settings
from hypothesis import strategies as st

from sokovan.common.ids import AccessKey
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.placed_totals import PlacedTotals
from unit.sokovan.scheduler.provisioner.snapshot_builders import pending_session

owners = st.sampled_from([AccessKey("ak-1"), AccessKey("ak-2"), AccessKey("ak-3")])
cpus = st.integers(0, 40).map(lambda n: ResourceSlot({"cpu": Decimal(n) / 4}))


@settings(max_examples=100, deadline=None)
@given(steps=st.lists(st.tuples(owners, cpus, st.booleans()), max_size=20), probe=owners)
def test_totals_read_between_placements_match_eager_sums(
    steps: list[tuple[AccessKey, ResourceSlot, bool]], probe: AccessKey
) -> None:
    placed: list[PendingSession] = []
    totals: PlacedTotals[AccessKey] = PlacedTotals(placed, attrgetter("access_key"))
    eager: dict[AccessKey, ResourceSlot] = {}
    counts: dict[AccessKey, int] = {}
    for owner, slots, read in steps:
        placed.append(pending_session(access_key=owner, requested=slots))
        eager[owner] = eager.get(owner, ResourceSlot()) + slots
        counts[owner] = counts.get(owner, 0) + 1
        if read:  # folding part of the way must not change the end result
            assert totals.slots(owner) == eager[owner]
    assert totals.slots(probe) == eager.get(probe, ResourceSlot())
    assert totals.count(probe) == counts.get(probe, 0)


def test_an_owner_without_placements_has_nothing() -> None:
    totals: PlacedTotals[AccessKey] = PlacedTotals([], attrgetter("access_key"))
    assert totals.slots(AccessKey("nobody")) == ResourceSlot()
    assert totals.count(AccessKey("nobody")) == 0
