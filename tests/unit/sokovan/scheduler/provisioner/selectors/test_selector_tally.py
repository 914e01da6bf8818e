"""The index-based rejection tally must count exactly what a per-agent `check` would."""

from __future__ import annotations

from contextlib import suppress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selector_strategies import agents, configs, sessions
from selector_testkit import PRIORITY, agent, config, kernel, session

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.errors import AgentSelectionRejection
from sokovan.scheduler.provisioner.selectors import (
    AgentPool,
    AgentSelector,
    SelectionConfig,
    SessionRequirements,
)
from sokovan.scheduler.provisioner.selectors.demand import DemandBuilder
from sokovan.scheduler.provisioner.selectors.explain import Tally
from sokovan.scheduler.provisioner.selectors.feasibility import Reason, check


def brute_force(
    pool: AgentPool, demand_args: tuple[str, ResourceSlot, int], cfg: SelectionConfig
) -> Tally:
    demand = DemandBuilder(cfg.resource_priority).build(*demand_args)
    tally = Tally()
    for state in pool.states():
        rejection = check(state, None, demand, cfg.max_container_count)
        if rejection is not None:
            tally.add(rejection)
    return tally


@settings(max_examples=150, deadline=None)
@given(
    strategy=st.sampled_from(list(AgentSelectionStrategy)),
    snapshot=agents(),
    earlier=st.lists(sessions(), max_size=8),
    probe=sessions(),
    containers=st.integers(1, 3),
    cfg=configs,
)
def test_index_tally_matches_per_agent_checks(
    strategy: AgentSelectionStrategy,
    snapshot: list[AgentSnapshot],
    earlier: list[SessionRequirements],
    probe: SessionRequirements,
    containers: int,
    cfg: SelectionConfig,
) -> None:
    pool = AgentPool(snapshot)
    selector = AgentSelector(strategy)
    for request in earlier:  # builds and then moves the indexes the tally reuses
        with suppress(AgentSelectionRejection):
            pool.reserve(selector.select_agents_for_batch_requirements(pool, request, cfg))
    first = probe.kernels[0]
    args = (first.architecture, first.slots, containers)
    demand = DemandBuilder(cfg.resource_priority).build(*args)
    fast = pool.tally(demand, cfg.max_container_count)
    slow = brute_force(pool, args, cfg)
    assert fast.counts == slow.counts
    assert fast.most_free == slow.most_free


@pytest.mark.parametrize("strategy", list(AgentSelectionStrategy), ids=str)
def test_tally_counts_short_agents_with_their_most_free(strategy: AgentSelectionStrategy) -> None:
    # free cpu 1, 2, 3, 6. A first job of cpu 1 builds the strategy's index and lands on the
    # 1 (→ 0) or on the 6 (→ 5); either way, against a need of 4, three agents are short
    # and the most free of them has 3.
    pool = AgentPool([agent(f"a{n}", {"cpu": n}) for n in (1, 2, 3, 6)])
    first = AgentSelector(strategy).select_agents_for_batch_requirements(
        pool, session(kernel({"cpu": 1})), config()
    )
    pool.reserve(first)
    demand = DemandBuilder(PRIORITY).build("x86_64", ResourceSlot({"cpu": 4}), 1)
    tally = pool.tally(demand, None)
    assert dict(tally.counts) == {(Reason.RESOURCES, "cpu"): 3}
    assert tally.most_free == {"cpu": 3}
