"""Single-node vs multi-node sessions, in-batch tracking, and mixed workloads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selector_testkit import agent, config, hosts, kernel, place, session

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.scheduler.provisioner.errors import (
    InsufficientResourcesError,
    NoCompatibleAgentError,
)
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelector

CONCENTRATED = AgentSelectionStrategy.CONCENTRATED
MULTI = ClusterMode.MULTI_NODE


def test_ss_006_cluster_session_assigns_every_kernel() -> None:
    # free a 4, b 2; three kernels of cpu 2, concentrated:
    # k1 → b (2 is the least ≥ 2); b now holds 2 of 2 → k2 → a (4); a holds 2 of 4 → k3 → a.
    pool = AgentPool([agent("a", {"cpu": 4}), agent("b", {"cpu": 2})])
    cluster = session(*(kernel({"cpu": 2}) for _ in range(3)), mode=MULTI)
    selection = AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
        pool, cluster, config()
    )
    assert [p.kernel_id for p in selection.placements] == [k.kernel_id for k in cluster.kernels]
    assert hosts(selection) == ["b", "a", "a"]


def test_ss_006_selection_does_not_reserve_until_told() -> None:
    pool = AgentPool([agent("a", {"cpu": 4})])
    cluster = session(kernel({"cpu": 2}), kernel({"cpu": 2}), mode=MULTI)
    selection = AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
        pool, cluster, config()
    )
    assert pool.free_slots(AgentId("a")).amount("cpu") == Decimal(4)
    pool.reserve(selection)
    assert pool.free_slots(AgentId("a")).amount("cpu") == Decimal(0)
    assert pool.container_count(AgentId("a")) == 2


def test_ss_006_cluster_failure_names_the_kernel_and_leaves_the_pool_alone() -> None:
    # a 3: k1 (2) fits, k2 (2) sees only 3 − 2 = 1 left.
    pool = AgentPool([agent("a", {"cpu": 3})])
    cluster = session(kernel({"cpu": 2}), kernel({"cpu": 2}), mode=MULTI)
    selector = AgentSelector(CONCENTRATED)
    with pytest.raises(InsufficientResourcesError, match=r"^kernel 2 of 2: .*most free 1\)"):
        selector.select_agents_for_batch_requirements(pool, cluster, config())
    assert pool.free_slots(AgentId("a")) == ResourceSlot({"cpu": 3})
    # The failure came from tentative use: a lone 2-cpu kernel still fits.
    selection = selector.select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 2})), config()
    )
    assert hosts(selection) == ["a"]


def test_multi_node_kernels_may_differ_in_architecture() -> None:
    pool = AgentPool([agent("x", {"cpu": 4}), agent("arm", {"cpu": 4}, arch="aarch64")])
    cluster = session(kernel({"cpu": 1}), kernel({"cpu": 1}, arch="aarch64"), mode=MULTI)
    selection = AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
        pool, cluster, config()
    )
    assert hosts(selection) == ["x", "arm"]


def test_single_node_needs_the_sum_on_one_agent() -> None:
    # two kernels of cpu 2 → 4 on one agent: b (3) is too small, a (4) fits exactly.
    pool = AgentPool([agent("a", {"cpu": 4}), agent("b", {"cpu": 3})])
    pair = session(kernel({"cpu": 2}), kernel({"cpu": 2}))
    selection = AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
        pool, pair, config()
    )
    assert hosts(selection) == ["a", "a"]
    assert [p.slots for p in selection.placements] == [ResourceSlot({"cpu": 2})] * 2


def test_single_node_reports_the_summed_need() -> None:
    pool = AgentPool([agent("a", {"cpu": 3})])
    pair = session(kernel({"cpu": 2}), kernel({"cpu": 2}))
    with pytest.raises(InsufficientResourcesError, match=r"need 4, most free 3"):
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(pool, pair, config())


def test_single_node_kernels_must_share_an_architecture() -> None:
    pool = AgentPool([agent("x", {"cpu": 4})])
    pair = session(kernel({"cpu": 1}), kernel({"cpu": 1}, arch="aarch64"))
    with pytest.raises(NoCompatibleAgentError, match="aarch64, x86_64"):
        AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(pool, pair, config())


def test_session_without_kernels_selects_nothing() -> None:
    selection = AgentSelector(CONCENTRATED).select_agents_for_batch_requirements(
        AgentPool([agent("a", {"cpu": 1})]), session(), config()
    )
    assert selection.placements == ()


def test_second_session_sees_the_first_sessions_reservation() -> None:
    # a 4 free: session 1 takes 3 → 1 left, so session 2 (cpu 2) must go to b.
    agents = [agent("a", {"cpu": 4}), agent("b", {"cpu": 8})]
    jobs = [session(kernel({"cpu": 3})), session(kernel({"cpu": 2}))]
    assert place(CONCENTRATED, agents, jobs) == ["a", "b"]


@pytest.mark.parametrize(
    "strategy",
    [
        AgentSelectionStrategy.CONCENTRATED,
        AgentSelectionStrategy.DISPERSED,
        AgentSelectionStrategy.LEGACY,
    ],
)
def test_ss_007_mixed_gpu_and_cpu_workloads(strategy: AgentSelectionStrategy) -> None:
    # The GPU job can only run on gpu; the CPU job leaves no type unused on cpu (gpu: 1).
    agents = [
        agent("cpu", {"cpu": 8, "mem": 32}),
        agent("gpu", {"cpu": 8, "mem": 32, "cuda.shares": 4}),
    ]
    jobs = [
        session(kernel({"cpu": 1, "mem": 4, "cuda.shares": 1})),
        session(kernel({"cpu": 1, "mem": 4})),
        session(kernel({"cpu": 2, "mem": 8, "cuda.shares": "0.5"})),
        session(kernel({"cpu": 2, "mem": 8})),
    ]
    assert place(strategy, agents, jobs) == ["gpu", "cpu", "gpu", "cpu"]
