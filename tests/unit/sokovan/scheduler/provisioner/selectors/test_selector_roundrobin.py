"""Round-robin: feasible agents by id, the next index modulo their number; index advances."""

from __future__ import annotations

import pytest
from selector_testkit import agent, config, hosts, kernel, session

from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.scheduler.provisioner.errors import InsufficientResourcesError
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector

ROUNDROBIN = AgentSelectionStrategy.ROUNDROBIN
THREE = [agent("c", {"cpu": 8}), agent("a", {"cpu": 8}), agent("b", {"cpu": 8})]


def test_roundrobin_rotates_and_wraps() -> None:
    # sorted ids a, b, c; indexes 0, 1, 2, 3 → a, b, c, (3 % 3 = 0) a.
    pool, selector = AgentPool(THREE), AgentSelector(ROUNDROBIN)
    chosen = []
    for expected_next in (1, 2, 3, 4):
        selection = selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1})), config()
        )
        pool.reserve(selection)
        chosen += hosts(selection)
        assert selector.roundrobin_next_index == expected_next
    assert chosen == ["a", "b", "c", "a"]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (0, "a"),  # 0 % 2 = 0 → a
        (1, "c"),  # 1 % 2 = 1 → c (b is infeasible, so the feasible list is [a, c])
        (5, "c"),  # 5 % 2 = 1 → c
    ],
)
def test_roundrobin_counts_only_feasible_agents(start: int, expected: str) -> None:
    agents = [agent("a", {"cpu": 8}), agent("b", {"cpu": 1}), agent("c", {"cpu": 8})]
    selector = AgentSelector(ROUNDROBIN, roundrobin_start_index=start)
    selection = selector.select_agents_for_batch_requirements(
        AgentPool(agents), session(kernel({"cpu": 2})), config()
    )
    assert hosts(selection) == [expected]
    assert selector.roundrobin_next_index == start + 1


def test_roundrobin_failure_does_not_advance() -> None:
    selector = AgentSelector(ROUNDROBIN, roundrobin_start_index=7)
    with pytest.raises(InsufficientResourcesError):
        selector.select_agents_for_batch_requirements(
            AgentPool(THREE), session(kernel({"cpu": 9})), config()
        )
    assert selector.roundrobin_next_index == 7


def test_roundrobin_multi_node_gives_each_kernel_a_turn() -> None:
    # turns 0, 1, 2 → a, b, c; the index advances by one per kernel.
    selector = AgentSelector(ROUNDROBIN)
    cluster = session(*(kernel({"cpu": 1}) for _ in range(3)), mode=ClusterMode.MULTI_NODE)
    selection = selector.select_agents_for_batch_requirements(AgentPool(THREE), cluster, config())
    assert hosts(selection) == ["a", "b", "c"]
    assert selector.roundrobin_next_index == 3


def test_roundrobin_single_node_session_takes_one_turn() -> None:
    selector = AgentSelector(ROUNDROBIN, roundrobin_start_index=1)
    pair = session(kernel({"cpu": 1}), kernel({"cpu": 1}))
    selection = selector.select_agents_for_batch_requirements(AgentPool(THREE), pair, config())
    assert hosts(selection) == ["b", "b"]
    assert selector.roundrobin_next_index == 2


def test_non_rotating_strategies_leave_the_index_alone() -> None:
    selector = AgentSelector(AgentSelectionStrategy.CONCENTRATED, roundrobin_start_index=4)
    selector.select_agents_for_batch_requirements(
        AgentPool(THREE), session(kernel({"cpu": 1})), config()
    )
    assert selector.roundrobin_next_index == 4
