"""The pool's index plumbing: demands built once per request, groups indexed when searched,
and units made finer when a reservation needs it."""

from __future__ import annotations

from selector_testkit import PRIORITY, agent, kernel, place, session

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.scheduler.provisioner.selectors.demand import DemandBuilder
from sokovan.scheduler.provisioner.selectors.free_index import FreeIndex
from sokovan.scheduler.provisioner.selectors.pool import FreeIndexKey, IndexGroup


def test_equal_requests_share_one_demand() -> None:
    builder = DemandBuilder(PRIORITY)
    first = builder.build("x86_64", ResourceSlot({"cpu": 1, "mem": 2}), 1)
    assert builder.build("x86_64", ResourceSlot({"cpu": "1.0", "mem": 2}), 1) is first
    assert builder.build("x86_64", ResourceSlot({"cpu": 1, "mem": 2}), 2) is not first
    assert builder.build("aarch64", ResourceSlot({"cpu": 1, "mem": 2}), 1) is not first
    assert first.order == ("cpu", "mem")


def test_an_index_group_is_built_once_and_only_when_searched() -> None:
    built: list[tuple[FreeIndexKey, ...]] = []

    def build(keys: tuple[FreeIndexKey, ...]) -> tuple[FreeIndex, ...]:
        built.append(keys)
        return ()

    group = IndexGroup((), build)
    assert built == []
    assert group.indexes() == ()
    assert group.indexes() == ()
    assert built == [()]


def test_reservations_finer_than_any_amount_seen_keep_the_order_exact() -> None:
    # Whole cpus at first; then halves and quarters, each making the unit finer mid-cycle.
    agents = [agent("a", {"cpu": 1}), agent("b", {"cpu": 2}), agent("c", {"cpu": 3})]
    requests = [kernel({"cpu": c}) for c in ("0.5", "0.75", "0.5", "1.25", "0.25", "0.5")]
    chosen = place(AgentSelectionStrategy.CONCENTRATED, agents, [session(k) for k in requests])
    # a 1 → 0.5; b 2 → 1.25 (a too small); a 0.5 → 0; b 1.25 → 0; c 3 → 2.75; c → 2.25
    assert chosen == ["a", "b", "a", "b", "c", "c"]
    chosen = place(AgentSelectionStrategy.DISPERSED, agents, [session(k) for k in requests])
    # c 3 → 2.5; c 2.5 → 1.75; b 2 → 1.5; c 1.75 → 0.5; b 1.5 → 1.25; b 1.25 → 0.75
    assert chosen == ["c", "c", "b", "c", "b", "b"]
