"""AgentStates: free capacity of every agent at once, its `AgentState` only when asked for."""

from __future__ import annotations

from decimal import Decimal

from selector_testkit import agent, config, kernel, session

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector
from sokovan.scheduler.provisioner.selectors.agent_states import AgentStates
from sokovan.scheduler.provisioner.selectors.free_index import FreeIndex
from sokovan.scheduler.provisioner.selectors.units import SlotUnits


def test_a_state_is_built_on_first_read_and_kept() -> None:
    states = AgentStates([agent("a", {"cpu": 8}), agent("b", {"cpu": 4})])
    assert len(states) == 2
    assert [states.built(0), states.built(1)] == [False, False]
    state = states[1]
    assert (state.agent_id, state.seq) == ("b", 1)
    assert [states.built(0), states.built(1)] == [False, True]
    assert states[1] is state


def test_state_starts_as_available_minus_occupied() -> None:
    snapshot = agent("a", {"cpu": 8, "mem": 16}, occupied={"cpu": 3, "gpu": 1}, containers=2)
    state = AgentStates([snapshot])[0]
    # cpu 8 − 3 = 5, mem 16, gpu 0 − 1 = −1; gpu is no capability: nothing of it is available
    assert state.free == {"cpu": Decimal(5), "mem": Decimal(16), "gpu": Decimal(-1)}
    assert state.capabilities == {"cpu", "mem"}
    assert state.available is snapshot.available_slots
    assert state.containers == 2


def test_capabilities_leave_out_zero_and_negative_amounts_and_are_shared() -> None:
    states = AgentStates(
        [
            agent("a", {"cpu": 8, "cuda.shares": 0}),
            agent("b", {"cpu": 4}),
            agent("c", {"cpu": 4, "mem": -1}),
            agent("d", {}),
        ]
    )
    assert states.capabilities == [{"cpu"}, {"cpu"}, {"cpu"}, set()]
    assert states.capabilities[0] is states.capabilities[1] is states.capabilities[2]


def test_columns_read_the_same_whether_a_state_is_built_or_not() -> None:
    states = AgentStates(
        [
            agent("a", {"cpu": 8}, occupied={"cpu": "1.5"}, containers=1),
            agent("b", {"cpu": 4}),
        ]
    )
    before = (states.free_column([0, 1], "cpu"), states.container_counts([0, 1]))
    assert before == ([Decimal("6.5"), Decimal(4)], [1, 0])
    assert states.free_column([1, 0], "mem") == [Decimal(0), Decimal(0)]
    # A reservation writes through the state; the columns see it.
    state = states[0]
    state.free["cpu"] -= 2
    state.containers += 1
    assert states.free_column([0, 1], "cpu") == [Decimal("4.5"), Decimal(4)]
    assert states.container_counts([0, 1]) == [2, 0]


def test_iterating_builds_every_state_in_id_order() -> None:
    states = AgentStates([agent("a", {"cpu": 1}), agent("b", {"cpu": 2})])
    assert [state.agent_id for state in states] == ["a", "b"]
    assert [states.built(0), states.built(1)] == [True, True]


def test_a_cycle_builds_states_only_for_the_agents_it_looks_at() -> None:
    pool = AgentPool([agent(f"a{n}", {"cpu": 4 + n}) for n in range(6)])
    selector = AgentSelector(AgentSelectionStrategy.CONCENTRATED)
    for _ in range(3):
        selection = selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 2})), config()
        )
        pool.reserve(selection)
    # a0 (cpu 4) takes two requests, then a1 (cpu 5) the third: only those two are built.
    assert [pool._agents.built(seq) for seq in range(6)] == [True, True] + [False] * 4
    assert pool.free_slots(AgentId("a1")) == ResourceSlot({"cpu": 3})


def test_free_index_sets_aside_agents_that_can_take_nothing_of_its_order() -> None:
    states = AgentStates(
        [
            agent("a", {"cpu": 4, "mem": 8}),
            agent("b", {"cpu": 4, "mem": 8}, occupied={"cpu": 4}),  # no cpu left: short
            agent("c", {"cpu": 4, "mem": 8}, occupied={"mem": 8}),  # no mem left: spent
            agent("d", {"cpu": 4, "mem": 8}, containers=3),  # at the container limit: spent
        ]
    )
    index = FreeIndex(
        [0, 1, 2, 3], states, ("cpu", "mem"), SlotUnits(), descending=False, max_containers=3
    )
    assert index._short == [1]
    assert index._spent == [2, 3]
    assert not any(states.built(seq) for seq in range(4))


def test_agents_of_equal_capacity_share_a_table_until_one_state_is_built() -> None:
    # As the snapshot reads them, equal capacities are one ResourceSlot object.
    available, occupied = ResourceSlot({"cpu": 8}), ResourceSlot({"cpu": 2})
    twins = [
        AgentSnapshot(AgentId(name), f"{name}.local:6001", "x86_64", available, occupied, 1)
        for name in ("a", "b")
    ]
    states = AgentStates(twins)
    assert states.free_column([0, 1], "cpu") == [Decimal(6), Decimal(6)]
    # A reservation on a's state (8 − 2 − 5 = 1) must not show on b, which still reads the
    # shared table, nor on a state built for b later.
    states[0].free["cpu"] -= 5
    assert states.free_column([0, 1], "cpu") == [Decimal(1), Decimal(6)]
    assert states[1].free == {"cpu": Decimal(6)}
