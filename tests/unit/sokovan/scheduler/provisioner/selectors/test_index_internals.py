"""The pool's index plumbing: demands built once per request, groups indexed when searched,
and units made finer when a reservation needs it."""

from __future__ import annotations

from decimal import Decimal

from selector_testkit import PRIORITY, agent, config, kernel, place, session

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector
from sokovan.scheduler.provisioner.selectors.demand import DemandBuilder
from sokovan.scheduler.provisioner.selectors.feasibility import Reason
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


def _free_index_orders(pool: AgentPool) -> list[tuple[str, ...]]:
    return sorted(key[1] for key in pool._free_indexes)


def test_a_tally_counts_buckets_lacking_the_first_slot_without_indexing_them() -> None:
    cpu_only = [
        agent(f"c{n}", {"cpu": 4}, occupied={"cuda.shares": "0.5"} if n else None) for n in range(3)
    ]
    pool = AgentPool([*cpu_only, agent("g", {"cpu": 4, "cuda.shares": 1})])
    demand = DemandBuilder(PRIORITY).build("x86_64", ResourceSlot({"cuda.shares": 2, "cpu": 1}), 1)
    for _ in range(2):  # the second time from what the first one worked out
        tally = pool.tally(demand, None)
        # c0 has 0 shares free, c1 and c2 have 0 − 0.5; g has 1 (short too, through its index)
        assert tally.counts == {(Reason.RESOURCES, "cuda.shares"): 4}
        assert tally.most_free == {"cuda.shares": Decimal(1)}
    assert _free_index_orders(pool) == [("cuda.shares", "cpu")]


def test_a_finer_unit_rebuilds_only_the_indexes_ordered_by_its_slot() -> None:
    pool = AgentPool([agent("a", {"cpu": 4, "mem": 8}), agent("g", {"cpu": 8, "cuda.shares": 2})])
    selector = AgentSelector(AgentSelectionStrategy.CONCENTRATED)

    def reserve(slots: dict[str, str]) -> str:
        selection = selector.select_agents_for_batch_requirements(
            pool, session(kernel(slots)), config()
        )
        pool.reserve(selection)
        return selection.placements[0].agent_id

    assert reserve({"cpu": "1"}) == "a"
    assert reserve({"cpu": "1", "cuda.shares": "1"}) == "g"
    cpu_index = pool._free_indexes[(("x86_64", frozenset({"cpu", "mem"})), ("cpu",), False, None)]
    # Halves of a share: the shares unit becomes finer; the cpu-only index stays as it is.
    assert reserve({"cpu": "1", "cuda.shares": "0.5"}) == "g"
    assert (
        pool._free_indexes[(("x86_64", frozenset({"cpu", "mem"})), ("cpu",), False, None)]
        is cpu_index
    )
    # Quarters of a cpu: every index ordered by cpu is rebuilt, and the order stays exact.
    assert reserve({"cpu": "0.25"}) == "a"
    assert cpu_index not in pool._free_indexes.values()
    assert reserve({"cpu": "2.75", "cuda.shares": "0.5"}) == "g"
    assert reserve({"cpu": "2.5"}) == "a"
    # a: 4 − 1 − 0.25 − 2.5; g: 8 − 1 − 1 − 2.75 with every share taken
    assert pool.free_slots(AgentId("a")) == ResourceSlot({"cpu": "0.25", "mem": 8})
    assert pool.free_slots(AgentId("g")) == ResourceSlot({"cpu": "3.25", "cuda.shares": 0})
