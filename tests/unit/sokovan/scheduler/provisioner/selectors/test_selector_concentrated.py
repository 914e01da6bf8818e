"""Concentrated: fewest unused capability types, then least free capacity, then agent id."""

from __future__ import annotations

import pytest
from selector_testkit import Slots, agent, config, kernel, place, session

from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot

CONCENTRATED = AgentSelectionStrategy.CONCENTRATED
CPU_NODE = {"cpu": 16, "mem": 64}
GPU_NODE = {"cpu": 16, "mem": 64, "cuda.shares": 4}


@pytest.mark.parametrize(
    ("agents", "request_slots", "priority", "expected"),
    [
        pytest.param(
            # free cpu: a 8, b 4, c 2; need 3 → c is infeasible (2 < 3), b is the least ≥ 3.
            [agent("a", {"cpu": 8}), agent("b", {"cpu": 4}), agent("c", {"cpu": 2})],
            {"cpu": 3},
            ("cpu",),
            "b",
            id="least-free-that-fits",
        ),
        pytest.param(
            # free = available − occupied: a 8 − 6 = 2 < b 4 → a.
            [agent("a", {"cpu": 8}, occupied={"cpu": 6}), agent("b", {"cpu": 4})],
            {"cpu": 1},
            ("cpu",),
            "a",
            id="occupied-is-subtracted",
        ),
        pytest.param(
            # mem first: a 8 < b 16 → a (although a has more cpu: 4 > 2).
            [agent("a", {"cpu": 4, "mem": 8}), agent("b", {"cpu": 2, "mem": 16})],
            {"cpu": 1, "mem": 1},
            ("mem", "cpu"),
            "a",
            id="priority-mem-first",
        ),
        pytest.param(
            # cpu first: b 2 < a 4 → b.
            [agent("a", {"cpu": 4, "mem": 8}), agent("b", {"cpu": 2, "mem": 16})],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "b",
            id="priority-cpu-first",
        ),
        pytest.param(
            # cpu ties (4 = 4) → mem decides: b 8 < a 16.
            [agent("a", {"cpu": 4, "mem": 16}), agent("b", {"cpu": 4, "mem": 8})],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "b",
            id="second-slot-breaks-tie",
        ),
        pytest.param(
            # unused types: gpu 1 (cuda.shares idle), cpu 0 → cpu node despite more free.
            [agent("gpu", GPU_NODE, occupied={"cpu": 12}), agent("cpu", CPU_NODE)],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "cpu",
            id="cpu-job-avoids-gpu-node",
        ),
        pytest.param(
            # the cpu node lacks mem (64 − 63.5 = 0.5 < 1) → the GPU node is the only fit.
            [agent("gpu", GPU_NODE), agent("cpu", CPU_NODE, occupied={"mem": "63.5"})],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "gpu",
            id="gpu-node-when-cpu-nodes-full",
        ),
        pytest.param(
            # identical free capacity → the lowest id.
            [agent("b", {"cpu": 4}), agent("a", {"cpu": 4})],
            {"cpu": 1},
            ("cpu",),
            "a",
            id="tie-by-agent-id",
        ),
        pytest.param(
            # slots outside the priority compare after it, by name: cpu 4 = 4, then mem 2 < 8.
            [agent("a", {"cpu": 4, "mem": 8}), agent("b", {"cpu": 4, "mem": 2})],
            {"cpu": 1, "mem": 1},
            ("cpu",),
            "b",
            id="unprioritised-slots-after",
        ),
    ],
)
def test_concentrated_ranking(
    agents: list[AgentSnapshot], request_slots: Slots, priority: tuple[str, ...], expected: str
) -> None:
    chosen = place(
        CONCENTRATED, agents, [session(kernel(request_slots))], config(priority=priority)
    )
    assert chosen == [expected]


def test_concentrated_packs_one_agent_before_the_next() -> None:
    # a: 4 → 3 → 2 → 1 → 0 free stays the least free that fits, then b (4) takes the fifth.
    agents = [agent("a", {"cpu": 4}), agent("b", {"cpu": 4})]
    chosen = place(CONCENTRATED, agents, [session(kernel({"cpu": 1})) for _ in range(5)])
    assert chosen == ["a", "a", "a", "a", "b"]


def test_concentrated_skips_agents_short_of_a_secondary_slot() -> None:
    # cpu order: a 2, b 3, c 4; only c has 4 mem.
    agents = [
        agent("a", {"cpu": 2, "mem": 1}),
        agent("b", {"cpu": 3, "mem": 2}),
        agent("c", {"cpu": 4, "mem": 4}),
    ]
    chosen = place(CONCENTRATED, agents, [session(kernel({"cpu": 1, "mem": 4}))], config())
    assert chosen == ["c"]
