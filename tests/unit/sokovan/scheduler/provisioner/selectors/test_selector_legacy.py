"""Legacy: fewest unused capability types, then most TOTAL capacity (ignoring load), then id."""

from __future__ import annotations

from selector_testkit import agent, config, kernel, place, session

from sokovan.common.scheduling import AgentSelectionStrategy

LEGACY = AgentSelectionStrategy.LEGACY
DISPERSED = AgentSelectionStrategy.DISPERSED


def test_legacy_ranks_by_total_capacity_where_dispersed_ranks_by_free() -> None:
    # a: 16 total, 16 − 12 = 4 free; b: 8 total, 8 free.
    # legacy: total 16 > 8 → a; dispersed: free 8 > 4 → b.
    agents = [agent("a", {"cpu": 16}, occupied={"cpu": 12}), agent("b", {"cpu": 8})]
    one = [session(kernel({"cpu": 1}))]
    assert place(LEGACY, agents, one) == ["a"]
    assert place(DISPERSED, agents, one) == ["b"]


def test_legacy_fills_the_biggest_agent_before_the_next() -> None:
    # a: 8 total with 3 free, b: 4 total with 4 free; cpu 1 each:
    # a, a, a (now 0 free) then b: a stays first by total capacity until it cannot fit.
    agents = [agent("a", {"cpu": 8}, occupied={"cpu": 5}), agent("b", {"cpu": 4})]
    chosen = place(LEGACY, agents, [session(kernel({"cpu": 1})) for _ in range(5)])
    assert chosen == ["a", "a", "a", "b", "b"]


def test_legacy_compares_slots_in_priority_order() -> None:
    # mem first: b 32 > a 16 → b; cpu first: a 16 > b 8 → a.
    agents = [agent("a", {"cpu": 16, "mem": 16}), agent("b", {"cpu": 8, "mem": 32})]
    one = [session(kernel({"cpu": 1, "mem": 1}))]
    assert place(LEGACY, agents, one, config(priority=("mem", "cpu"))) == ["b"]
    assert place(LEGACY, agents, one, config(priority=("cpu", "mem"))) == ["a"]


def test_legacy_keeps_cpu_jobs_off_gpu_nodes() -> None:
    # unused types: gpu 1 (cuda.shares), cpu 0 → cpu although gpu is bigger (64 > 8).
    agents = [
        agent("gpu", {"cpu": 64, "mem": 64, "cuda.shares": 8}),
        agent("cpu", {"cpu": 8, "mem": 8}),
    ]
    assert place(LEGACY, agents, [session(kernel({"cpu": 1, "mem": 1}))]) == ["cpu"]


def test_legacy_skip_cursor_is_per_request_shape() -> None:
    # a (8 total) is left with 1 free after the 7-cpu job: the 2-cpu job skips it for b,
    # but a later 1-cpu job still fits on a (the skip of a was for the 2-cpu shape only).
    agents = [agent("a", {"cpu": 8}), agent("b", {"cpu": 4})]
    jobs = [session(kernel({"cpu": n})) for n in (7, 2, 1)]
    assert place(LEGACY, agents, jobs) == ["a", "b", "a"]
