"""Replica spreading: prefer agents hosting the fewest replicas of the same deployment."""

from __future__ import annotations

import pytest
from selector_testkit import agent, config, hosts, kernel, place, session

from sokovan.common.ids import AgentId
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector, SessionRequirements

THREE = [agent("a", {"cpu": 8}), agent("b", {"cpu": 8}), agent("c", {"cpu": 8})]


def replicas(endpoint: object, count: int) -> list[SessionRequirements]:
    return [session(kernel({"cpu": 1}), endpoint=endpoint) for _ in range(count)]


@pytest.mark.parametrize("strategy", list(AgentSelectionStrategy), ids=str)
def test_replicas_spread_over_agents(strategy: AgentSelectionStrategy) -> None:
    # Each agent takes one replica before any takes a second (tiers 0, 0, 0, then 1).
    chosen = place(strategy, THREE, replicas("ep", 4), config(spread=True))
    assert sorted(chosen[:3]) == ["a", "b", "c"]


def test_spreading_falls_back_to_the_strategy_order_within_a_tier() -> None:
    # concentrated among tier 1 (a, b, c hold 1 each, all 7 free) → a by id.
    chosen = place(
        AgentSelectionStrategy.CONCENTRATED, THREE, replicas("ep", 4), config(spread=True)
    )
    assert chosen == ["a", "b", "c", "a"]


def test_without_spreading_concentrated_packs_replicas() -> None:
    chosen = place(AgentSelectionStrategy.CONCENTRATED, THREE, replicas("ep", 3), config())
    assert chosen == ["a", "a", "a"]


def test_spreading_counts_each_deployment_separately() -> None:
    # ep-1 on a, then ep-2 ignores ep-1's replica → a again (concentrated), then ep-1 → b.
    jobs = [*replicas("ep-1", 1), *replicas("ep-2", 1), *replicas("ep-1", 1)]
    chosen = place(AgentSelectionStrategy.CONCENTRATED, THREE, jobs, config(spread=True))
    assert chosen == ["a", "a", "b"]


def test_spreading_never_overrides_feasibility() -> None:
    # b and c have no room for cpu 4, so the second replica shares a with the first.
    agents = [agent("a", {"cpu": 8}), agent("b", {"cpu": 2}), agent("c", {"cpu": 2})]
    jobs = [session(kernel({"cpu": 4}), endpoint="ep") for _ in range(2)]
    assert place(AgentSelectionStrategy.DISPERSED, agents, jobs, config(spread=True)) == ["a", "a"]


def test_spreading_applies_among_designated_agents() -> None:
    pool, selector = AgentPool(THREE), AgentSelector(AgentSelectionStrategy.CONCENTRATED)
    chosen = []
    for job in replicas("ep", 2):
        selection = selector.select_agents_for_batch_requirements(
            pool, job, config(spread=True), [AgentId("b"), AgentId("c")]
        )
        pool.reserve(selection)
        chosen += hosts(selection)
    assert chosen == ["b", "c"]
    assert pool.replicas_of("ep") == {"b": 1, "c": 1}


def test_multi_node_replica_counts_once_per_agent() -> None:
    pool = AgentPool(THREE)
    replica = session(
        kernel({"cpu": 1}), kernel({"cpu": 1}), mode=ClusterMode.MULTI_NODE, endpoint="ep"
    )
    selection = AgentSelector(
        AgentSelectionStrategy.CONCENTRATED
    ).select_agents_for_batch_requirements(pool, replica, config(spread=True))
    pool.reserve(selection)
    assert hosts(selection) == ["a", "a"]
    assert pool.replicas_of("ep") == {"a": 1}
