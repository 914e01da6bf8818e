"""Properties against a brute-force reference written from the contract, for every strategy.

The reference ranks every agent on every request; the selector must agree on each choice and
on each failure, never pick an infeasible agent, and never overcommit an agent.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selector_reference import Reference, assert_never_overcommitted
from selector_strategies import agents, configs, designations, sessions
from selector_testkit import agent, config, kernel, session

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.errors import AgentSelectionRejection
from sokovan.scheduler.provisioner.selectors import (
    AgentPool,
    AgentSelector,
    SelectionConfig,
    SessionRequirements,
)


@settings(max_examples=250, deadline=None)
@given(
    strategy=st.sampled_from(list(AgentSelectionStrategy)),
    snapshot=agents(),
    requests=st.lists(st.tuples(sessions(), designations), min_size=1, max_size=12),
    cfg=configs,
)
def test_selector_matches_the_brute_force_reference(
    strategy: AgentSelectionStrategy,
    snapshot: list[AgentSnapshot],
    requests: list[tuple[SessionRequirements, list[str] | None]],
    cfg: SelectionConfig,
) -> None:
    replay(strategy, snapshot, requests, cfg)


@pytest.mark.parametrize("strategy", list(AgentSelectionStrategy), ids=str)
@pytest.mark.parametrize("seed", [1, 2])
def test_selector_matches_the_reference_on_a_large_pool(
    strategy: AgentSelectionStrategy, seed: int
) -> None:
    # 150 agents spread the indexes over several blocks; 250 sessions overflow the pool.
    rng = random.Random(seed)

    def amount(high: int) -> Decimal:
        return Decimal(rng.randint(0, high * 4)) / 4

    snapshot = [
        agent(
            f"a{i:03d}",
            {"cpu": amount(16), "mem": amount(32), **({"cuda.shares": 4} if i % 5 == 0 else {})},
            arch="aarch64" if i % 10 == 3 else "x86_64",
            containers=rng.randint(0, 3),
        )
        for i in range(150)
    ]
    requests = []
    for n in range(250):
        slots = {"cpu": amount(4), "mem": amount(8), "cuda.shares": amount(1) if n % 4 else 0}
        kernels = [kernel(slots) for _ in range(1 + n % 3)]
        mode = ClusterMode.MULTI_NODE if n % 2 else ClusterMode.SINGLE_NODE
        requests.append((session(*kernels, mode=mode, endpoint=f"e{n % 3}"), None))
    replay(strategy, snapshot, requests, config(max_containers=8, spread=seed == 2))


def replay(
    strategy: AgentSelectionStrategy,
    snapshot: list[AgentSnapshot],
    requests: Sequence[tuple[SessionRequirements, list[str] | None]],
    cfg: SelectionConfig,
) -> None:
    """Select and reserve each request in turn; every outcome must be the reference's."""
    pool = AgentPool(snapshot)
    selector = AgentSelector(strategy)
    reference = Reference(strategy, cfg, snapshot)
    for request, designated in requests:
        expected = reference.place(request, designated)
        wanted = None if designated is None else [AgentId(a) for a in designated]
        try:
            selection = selector.select_agents_for_batch_requirements(pool, request, cfg, wanted)
        except AgentSelectionRejection:
            assert expected is None
            continue
        assert [p.agent_id for p in selection.placements] == expected
        pool.reserve(selection)
        reference.reserve(request, expected)
        assert selector.roundrobin_next_index == (
            reference.turn if strategy is AgentSelectionStrategy.ROUNDROBIN else 0
        )
    assert_never_overcommitted(pool, snapshot, cfg)


@settings(max_examples=100, deadline=None)
@given(
    strategy=st.sampled_from(list(AgentSelectionStrategy)),
    snapshot=agents(),
    requests=st.lists(sessions(), min_size=1, max_size=12),
    cfg=configs,
)
def test_every_chosen_agent_is_feasible_when_chosen(
    strategy: AgentSelectionStrategy,
    snapshot: list[AgentSnapshot],
    requests: list[SessionRequirements],
    cfg: SelectionConfig,
) -> None:
    by_id = {a.agent_id: a for a in snapshot}
    pool = AgentPool(snapshot)
    selector = AgentSelector(strategy)
    for request in requests:
        try:
            selection = selector.select_agents_for_batch_requirements(pool, request, cfg)
        except AgentSelectionRejection:
            continue
        taken: dict[AgentId, ResourceSlot] = {}
        for p, k in zip(selection.placements, request.kernels, strict=True):
            taken[p.agent_id] = taken.get(p.agent_id, ResourceSlot()) + p.slots
            assert by_id[p.agent_id].architecture == k.architecture
            assert p.slots == k.slots
        for agent_id, slots in taken.items():
            free = pool.free_slots(agent_id)
            # a zero amount is no request, even on an agent overcommitted in that slot
            assert all(slots[s] <= free.amount(s) for s in slots.nonzero_slots())
            limit = cfg.max_container_count
            added = sum(1 for p in selection.placements if p.agent_id == agent_id)
            assert limit is None or pool.container_count(agent_id) + added <= limit
        pool.reserve(selection)
