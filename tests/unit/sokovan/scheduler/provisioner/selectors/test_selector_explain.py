"""Rejection tallies, error types, and the per-shape failure cache."""

from __future__ import annotations

import pytest
from selector_testkit import agent, config, hosts, kernel, session

from sokovan.common.ids import AgentId
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.scheduler.provisioner.errors import (
    ContainerLimitExceededError,
    InsufficientResourcesError,
    NoCompatibleAgentError,
)
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector

CONCENTRATED = AgentSelectionStrategy.CONCENTRATED


def twelve_agents() -> AgentPool:
    """8 arm GPU agents with 1.5 shares free (one has 1), 3 x86 agents, 1 full arm agent."""
    gpus = [
        agent(
            f"g{i}",
            {"cpu": 8, "cuda.shares": 2},
            arch="aarch64",
            occupied={"cuda.shares": "0.5" if i else 1},
        )
        for i in range(8)
    ]
    x86 = [agent(f"x{i}", {"cpu": 8, "cuda.shares": 8}) for i in range(3)]
    full = agent("f", {"cpu": 8, "cuda.shares": 8}, arch="aarch64", containers=4)
    return AgentPool([*gpus, *x86, full])


def test_message_tallies_rejections_per_reason() -> None:
    # g0: 2 − 1 = 1 free, g1..g7: 2 − 0.5 = 1.5 free → 8 short of 2 shares, most free 1.5.
    with pytest.raises(InsufficientResourcesError) as raised:
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
            twelve_agents(),
            session(kernel({"cpu": 1, "cuda.shares": 2}, arch="aarch64")),
            config(max_containers=4),
        )
    assert raised.value.message == (
        "0/12 agents fit: 8 insufficient cuda.shares (need 2, most free 1.5), "
        "3 architecture mismatch (need aarch64), 1 container limit (max 4); "
        "request fewer resources or wait for running sessions to finish"
    )
    assert raised.value.code == "insufficient-resources"


def test_only_architecture_rejections_mean_no_compatible_agent() -> None:
    pool = AgentPool([agent("a", {"cpu": 8}), agent("b", {"cpu": 8})])
    with pytest.raises(NoCompatibleAgentError) as raised:
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1}, arch="riscv64")), config()
        )
    assert raised.value.message == (
        "0/2 agents fit: 2 architecture mismatch (need riscv64); "
        "use an image built for an architecture this scaling group runs"
    )


def test_only_container_rejections_mean_container_limit() -> None:
    pool = AgentPool([agent("a", {"cpu": 8}, containers=2), agent("b", {"cpu": 1}, arch="arm")])
    with pytest.raises(ContainerLimitExceededError, match=r"1 container limit \(max 2\)"):
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1})), config(max_containers=2)
        )


def test_first_failing_slot_in_priority_order_is_reported() -> None:
    # short of both cpu and mem; with mem first in priority, mem is what the tally names.
    pool = AgentPool([agent("a", {"cpu": 1, "mem": 1})])
    request = session(kernel({"cpu": 2, "mem": 2}))
    selector = AgentSelector(CONCENTRATED)
    with pytest.raises(InsufficientResourcesError, match=r"1 insufficient mem \(need 2, most"):
        selector.select_agents_for_batch_requirements(
            pool, request, config(priority=("mem", "cpu"))
        )
    with pytest.raises(InsufficientResourcesError, match=r"1 insufficient cpu \(need 2, most"):
        selector.select_agents_for_batch_requirements(
            AgentPool([agent("a", {"cpu": 1, "mem": 1})]), request, config(priority=("cpu",))
        )


def test_repeated_failure_is_answered_from_the_cache() -> None:
    pool = AgentPool([agent("a", {"cpu": 4})])
    selector = AgentSelector(CONCENTRATED)
    messages = []
    for _ in range(2):
        with pytest.raises(InsufficientResourcesError) as raised:
            selector.select_agents_for_batch_requirements(
                pool, session(kernel({"cpu": 8})), config()
            )
        messages.append(raised.value.message)
    assert messages[0] == messages[1]
    assert messages[0].startswith("0/1 agents fit: 1 insufficient cpu (need 8, most free 4)")


def test_smaller_request_succeeds_after_a_cached_failure() -> None:
    pool = AgentPool([agent("a", {"cpu": 4})])
    selector = AgentSelector(CONCENTRATED)
    with pytest.raises(InsufficientResourcesError):
        selector.select_agents_for_batch_requirements(pool, session(kernel({"cpu": 5})), config())
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 4})), config()
    )
    assert hosts(selection) == ["a"]


def test_cached_failure_depends_on_the_container_limit() -> None:
    pool = AgentPool([agent("a", {"cpu": 4}, containers=1)])
    selector = AgentSelector(CONCENTRATED)
    with pytest.raises(ContainerLimitExceededError):
        selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1})), config(max_containers=1)
        )
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1})), config(max_containers=2)
    )
    assert hosts(selection) == ["a"]


def test_failure_under_tentative_use_is_not_cached() -> None:
    # kernel 2 fails only because kernel 1 holds 3 of a's 4 cpu; a lone kernel of 2 fits.
    pool = AgentPool([agent("a", {"cpu": 4})])
    selector = AgentSelector(CONCENTRATED)
    cluster = session(kernel({"cpu": 3}), kernel({"cpu": 2}), mode=ClusterMode.MULTI_NODE)
    with pytest.raises(InsufficientResourcesError, match=r"^kernel 2 of 2: "):
        selector.select_agents_for_batch_requirements(pool, cluster, config())
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 2})), config()
    )
    assert hosts(selection) == ["a"]


def test_designated_failure_is_not_cached_for_undesignated_requests() -> None:
    pool = AgentPool([agent("a", {"cpu": 1}), agent("b", {"cpu": 8})])
    selector = AgentSelector(CONCENTRATED)
    with pytest.raises(InsufficientResourcesError):
        selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 4})), config(), [AgentId("a")]
        )
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 4})), config()
    )
    assert hosts(selection) == ["b"]


def test_long_designation_lists_are_shortened() -> None:
    wanted = [AgentId(f"d{i}") for i in range(7)]
    with pytest.raises(NoCompatibleAgentError, match=r"\(d0, d1, d2, d3, d4 and 2 more\)"):
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
            AgentPool([agent("a", {"cpu": 1})]), session(kernel({"cpu": 1})), config(), wanted
        )
