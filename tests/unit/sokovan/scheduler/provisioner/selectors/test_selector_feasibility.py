"""Feasibility filters, in order: architecture, resources, container count, designated agents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selector_testkit import agent, config, hosts, kernel, place, session

from sokovan.common.ids import AgentId
from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.scheduler.provisioner.errors import (
    ContainerLimitExceededError,
    InsufficientResourcesError,
    NoAvailableAgentError,
    NoCompatibleAgentError,
)
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector

ALL_STRATEGIES = list(AgentSelectionStrategy)


@pytest.fixture(params=ALL_STRATEGIES, ids=str)
def selector(request: pytest.FixtureRequest) -> AgentSelector:
    return AgentSelector(request.param)


def test_architecture_must_match(selector: AgentSelector) -> None:
    pool = AgentPool([agent("x", {"cpu": 64}), agent("arm", {"cpu": 2}, arch="aarch64")])
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1}, arch="aarch64")), config()
    )
    assert hosts(selection) == ["arm"]


def test_no_agent_of_the_architecture(selector: AgentSelector) -> None:
    pool = AgentPool([agent("x", {"cpu": 64})])
    with pytest.raises(NoCompatibleAgentError, match=r"architecture mismatch \(need aarch64\)"):
        selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1}, arch="aarch64")), config()
        )


@pytest.mark.parametrize(
    ("free", "need", "fits"),
    [
        ("2", "2", True),  # 2 ≥ 2: an exact fit is a fit
        ("2", "2.000001", False),  # 2 < 2.000001
        ("0.3", "0.3", True),  # exact decimals, no binary rounding
    ],
)
def test_every_requested_slot_must_fit(free: str, need: str, fits: bool) -> None:
    pool = AgentPool([agent("a", {"cpu": 8, "cuda.shares": free})])
    request = session(kernel({"cpu": 1, "cuda.shares": need}))
    selector = AgentSelector(AgentSelectionStrategy.CONCENTRATED)
    if fits:
        assert hosts(selector.select_agents_for_batch_requirements(pool, request, config())) == [
            "a"
        ]
    else:
        with pytest.raises(InsufficientResourcesError):
            selector.select_agents_for_batch_requirements(pool, request, config())


def test_shares_add_up_exactly() -> None:
    # 0.1 + 0.1 + 0.1 = 0.3 exactly: three fit, the fourth does not.
    agents = [agent("a", {"cuda.shares": "0.3"})]
    three = [session(kernel({"cuda.shares": "0.1"})) for _ in range(3)]
    assert place(AgentSelectionStrategy.CONCENTRATED, agents, three) == ["a", "a", "a"]
    with pytest.raises(InsufficientResourcesError):
        place(AgentSelectionStrategy.CONCENTRATED, agents, [*three, three[0]])


def test_zero_amounts_are_not_requests() -> None:
    # mem 0 is no request: an agent without (or overcommitted on) mem still fits.
    pool = AgentPool([agent("a", {"cpu": 4}, occupied={"mem": 1})])
    selection = AgentSelector(
        AgentSelectionStrategy.DISPERSED
    ).select_agents_for_batch_requirements(pool, session(kernel({"cpu": 1, "mem": 0})), config())
    assert hosts(selection) == ["a"]
    assert pool.free_slots(AgentId("a")).amount("cpu") == Decimal(4)


@pytest.mark.parametrize(
    ("containers", "kernels", "fits"),
    [
        (2, 1, True),  # 2 + 1 = 3 ≤ 3
        (3, 1, False),  # 3 + 1 = 4 > 3
        (2, 2, False),  # single-node pair: 2 + 2 = 4 > 3
        (1, 2, True),  # 1 + 2 = 3 ≤ 3
    ],
)
def test_container_limit(
    selector: AgentSelector, containers: int, kernels: int, fits: bool
) -> None:
    pool = AgentPool([agent("a", {"cpu": 8}, containers=containers)])
    request = session(*(kernel({"cpu": 1}) for _ in range(kernels)))
    cfg = config(max_containers=3)
    if fits:
        selection = selector.select_agents_for_batch_requirements(pool, request, cfg)
        assert hosts(selection) == ["a"] * kernels
    else:
        with pytest.raises(ContainerLimitExceededError, match=r"container limit \(max 3"):
            selector.select_agents_for_batch_requirements(pool, request, cfg)


def test_container_limit_counts_this_cycles_reservations(selector: AgentSelector) -> None:
    pool = AgentPool([agent("a", {"cpu": 8}), agent("b", {"cpu": 8})])
    cfg = config(max_containers=1)
    for _ in range(2):
        pool.reserve(
            selector.select_agents_for_batch_requirements(pool, session(kernel({"cpu": 1})), cfg)
        )
    assert pool.container_count(AgentId("a")) == pool.container_count(AgentId("b")) == 1
    with pytest.raises(ContainerLimitExceededError):
        selector.select_agents_for_batch_requirements(pool, session(kernel({"cpu": 1})), cfg)


def test_empty_pool_has_no_available_agent(selector: AgentSelector) -> None:
    with pytest.raises(NoAvailableAgentError, match="no schedulable agent"):
        selector.select_agents_for_batch_requirements(
            AgentPool([]), session(kernel({"cpu": 1})), config()
        )


# --- designated agents --------------------------------------------------------------------


def test_ss_004_designated_agent_is_used(selector: AgentSelector) -> None:
    # Every strategy would prefer "a" or "c" on its own; the designation wins.
    pool = AgentPool([agent("a", {"cpu": 2}), agent("b", {"cpu": 8}), agent("c", {"cpu": 64})])
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1})), config(), [AgentId("b")]
    )
    assert hosts(selection) == ["b"]


def test_ss_004_strategy_ranks_among_designated_agents() -> None:
    # designated b (free 8) and c (free 4): concentrated takes the least free → c.
    pool = AgentPool([agent("a", {"cpu": 1}), agent("b", {"cpu": 8}), agent("c", {"cpu": 4})])
    selector = AgentSelector(AgentSelectionStrategy.CONCENTRATED)
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1})), config(), [AgentId("b"), AgentId("c")]
    )
    assert hosts(selection) == ["c"]


def test_ss_005_missing_designated_agent_fails(selector: AgentSelector) -> None:
    pool = AgentPool([agent("a", {"cpu": 8})])
    with pytest.raises(NoCompatibleAgentError) as raised:
        selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 1})), config(), [AgentId("gone-1")]
        )
    assert raised.value.message == (
        "0/1 designated agents (gone-1) fit, other agents are not considered: "
        "1 not schedulable in this scaling group; "
        "designate agents that are alive and schedulable in this scaling group"
    )


def test_ss_005_designated_agents_never_fall_back(selector: AgentSelector) -> None:
    # b is designated but has 2 free < 4; a has room, yet must not be used.
    pool = AgentPool([agent("a", {"cpu": 64}), agent("b", {"cpu": 2})])
    with pytest.raises(InsufficientResourcesError) as raised:
        selector.select_agents_for_batch_requirements(
            pool, session(kernel({"cpu": 4})), config(), [AgentId("b"), AgentId("zz")]
        )
    assert "designated agents (b, zz)" in raised.value.message
    assert "1 insufficient cpu (need 4, most free 2)" in raised.value.message
    assert "1 not schedulable in this scaling group" in raised.value.message


def test_empty_designation_means_any_agent(selector: AgentSelector) -> None:
    pool = AgentPool([agent("a", {"cpu": 8})])
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1})), config(), []
    )
    assert hosts(selection) == ["a"]
