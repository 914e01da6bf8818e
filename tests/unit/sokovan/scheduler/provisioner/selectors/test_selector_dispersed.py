"""Dispersed: fewest unused capability types, then MOST free capacity, then agent id."""

from __future__ import annotations

import pytest
from selector_testkit import Slots, agent, config, kernel, place, session

from sokovan.common.scheduling import AgentSelectionStrategy
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot

DISPERSED = AgentSelectionStrategy.DISPERSED


@pytest.mark.parametrize(
    ("agents", "request_slots", "priority", "expected"),
    [
        pytest.param(
            # free cpu: a 2, b 8, c 4 → b.
            [agent("a", {"cpu": 2}), agent("b", {"cpu": 8}), agent("c", {"cpu": 4})],
            {"cpu": 1},
            ("cpu",),
            "b",
            id="most-free",
        ),
        pytest.param(
            # free = available − occupied: a 16 − 12 = 4 < b 8 → b.
            [agent("a", {"cpu": 16}, occupied={"cpu": 12}), agent("b", {"cpu": 8})],
            {"cpu": 1},
            ("cpu",),
            "b",
            id="occupied-is-subtracted",
        ),
        pytest.param(
            # mem first: b 16 > a 8 → b; cpu first: a 4 > b 2 → a (next case).
            [agent("a", {"cpu": 4, "mem": 8}), agent("b", {"cpu": 2, "mem": 16})],
            {"cpu": 1, "mem": 1},
            ("mem", "cpu"),
            "b",
            id="priority-mem-first",
        ),
        pytest.param(
            [agent("a", {"cpu": 4, "mem": 8}), agent("b", {"cpu": 2, "mem": 16})],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "a",
            id="priority-cpu-first",
        ),
        pytest.param(
            # equal free (4 = 4) → the LOWEST id, as for every strategy.
            [agent("b", {"cpu": 4}), agent("a", {"cpu": 4}), agent("c", {"cpu": 4})],
            {"cpu": 1},
            ("cpu",),
            "a",
            id="tie-by-agent-id",
        ),
        pytest.param(
            # unused types: gpu 1, cpu 0 → the cpu node although the GPU node has 64 > 8 cpu.
            [
                agent("gpu", {"cpu": 64, "mem": 64, "cuda.shares": 4}),
                agent("cpu", {"cpu": 8, "mem": 64}),
            ],
            {"cpu": 1, "mem": 1},
            ("cpu", "mem"),
            "cpu",
            id="cpu-job-avoids-gpu-node",
        ),
        pytest.param(
            # a has the most cpu (8) but only 1 mem < 2 → b (cpu 4, mem 4).
            [agent("a", {"cpu": 8, "mem": 1}), agent("b", {"cpu": 4, "mem": 4})],
            {"cpu": 1, "mem": 2},
            ("cpu", "mem"),
            "b",
            id="skips-agent-short-of-secondary-slot",
        ),
    ],
)
def test_dispersed_ranking(
    agents: list[AgentSnapshot], request_slots: Slots, priority: tuple[str, ...], expected: str
) -> None:
    chosen = place(DISPERSED, agents, [session(kernel(request_slots))], config(priority=priority))
    assert chosen == [expected]


def test_dispersed_alternates_as_free_capacity_evens_out() -> None:
    # a 4, b 3 → a (now 3); a 3 = b 3 → a by id (now 2); b 3 → b (now 2); a 2 = b 2 → a.
    agents = [agent("a", {"cpu": 4}), agent("b", {"cpu": 3})]
    chosen = place(DISPERSED, agents, [session(kernel({"cpu": 1})) for _ in range(4)])
    assert chosen == ["a", "a", "b", "a"]
