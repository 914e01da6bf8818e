"""Placement throughput of `plan_placements`, against a naive placer timed in the same run.

    python benchmarks/placement.py [--agents 1000 5000] [--sessions 10000] [--seed N]
                                   [--repeat 5] [--naive-sessions 200] [--json out.json]

For every cluster size and scenario (sequencer + agent selection) the planner places the whole
backlog in memory, validators off. The cells run round-robin, `--repeat` rounds, so that a
noisy spell of a shared machine hits every cell alike; the time reported is each cell's best
run (CPU time and the median are recorded too). A decision is a session the planner placed or
rejected. The reference is a deliberately naive placer (FIFO order; for each session scan
every agent and keep the feasible one with the least free capacity), timed on the first
`--naive-sessions` sessions of the same snapshot: it is O(agents) per decision, so that
prefix gives its per-decision cost without taking minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import partial
from operator import truediv
from pathlib import Path
from typing import TypeVar

from _snapshot import T0, Workload, generate, scheduling_data
from rich.console import Console
from rich.table import Table

from sokovan.common.collector import collector_paused
from sokovan.common.ids import AgentId
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy
from sokovan.repositories.scheduler.snapshot_types import SchedulingData
from sokovan.scheduler.provisioner.planner import PlacementPlan, plan_placements
from sokovan.scheduler.provisioner.sequencers.ordering import submission_key
from sokovan.scheduler.provisioner.validators.validator import SchedulingValidator

R = TypeVar("R")

SCENARIOS: tuple[tuple[str, SequencerStrategy, AgentSelectionStrategy], ...] = (
    ("fifo+concentrated", SequencerStrategy.FIFO, AgentSelectionStrategy.CONCENTRATED),
    ("fifo+dispersed", SequencerStrategy.FIFO, AgentSelectionStrategy.DISPERSED),
    ("drf+concentrated", SequencerStrategy.DRF, AgentSelectionStrategy.CONCENTRATED),
)
HEADLINE = (5000, "fifo+concentrated")
TARGET_RATE = 50_000  # decisions/s for the headline scenario
TARGET_GROWTH = 1.3  # per-decision cost, largest vs smallest cluster
NO_VALIDATION = SchedulingValidator(())


@dataclass(frozen=True, slots=True)
class Timing:
    best_s: float
    median_s: float
    best_cpu_s: float

    @classmethod
    def of(cls, walls: Sequence[float], cpus: Sequence[float]) -> Timing:
        return cls(min(walls), statistics.median(walls), min(cpus))


@dataclass(frozen=True, slots=True)
class Measurement:
    agents: int
    scenario: str
    placed: int
    rejected: int
    timing: Timing
    naive_us_per_decision: float

    @property
    def decisions(self) -> int:
        return self.placed + self.rejected

    @property
    def us_per_decision(self) -> float:
        return self.timing.best_s / self.decisions * 1e6

    @property
    def decisions_per_s(self) -> float:
        return self.decisions / self.timing.best_s

    @property
    def speedup_vs_naive(self) -> float:
        return self.naive_us_per_decision / self.us_per_decision


@dataclass(slots=True)
class Cell:
    """One (cluster size, scenario) and the times of its runs so far."""

    agents: int
    scenario: str
    run: Callable[[], PlacementPlan]
    naive: Callable[[], int]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    plan: PlacementPlan | None = None


def clocked(run: Callable[[], R]) -> tuple[float, float, R]:
    """Wall and CPU seconds of one run, and its result.

    Garbage is collected first, and the cyclic collector is paused during the run, as the
    provisioner pauses it around planning (`collector_paused`).
    """
    gc.collect()
    with collector_paused():
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        return time.perf_counter() - wall, time.process_time() - cpu, result


def naive_place(data: SchedulingData, limit: int) -> int:
    """The reference placer: every agent examined for every session; returns the decisions."""
    free = {agent.agent_id: agent.available_slots - agent.occupied_slots for agent in data.agents}
    priority = data.scaling_group.agent_selection_resource_priority
    decisions = 0
    for session in sorted(data.pending_sessions, key=submission_key)[:limit]:
        request, architecture = session.requested_slots, session.kernels[0].architecture
        best: tuple[tuple[Decimal, ...], AgentId] | None = None
        for agent in data.agents:
            room = free[agent.agent_id]
            if agent.architecture == architecture and request.fits_in(room):
                rank = (tuple(room.amount(slot) for slot in priority), agent.agent_id)
                best = rank if best is None or rank < best else best
        if best is not None:
            free[best[1]] -= request
        decisions += 1
    return decisions


def cells(workload: Workload, naive_sessions: int) -> list[Cell]:
    made = []
    for name, sequencer, strategy in SCENARIOS:
        data = scheduling_data(workload, sequencer, strategy)
        run = partial(plan_placements, data, NO_VALIDATION, T0)
        naive = partial(naive_place, data, naive_sessions)
        made.append(Cell(len(workload.agents), name, run, naive))
    return made


def measure(all_cells: Sequence[Cell], repeat: int) -> list[Measurement]:
    """Round-robin over the cells, so that a noisy spell of the machine hits all of them alike."""
    naive: dict[int, list[float]] = {}
    for _ in range(repeat):
        for cell in all_cells:
            wall, cpu, cell.plan = clocked(cell.run)
            cell.walls.append(wall)
            cell.cpus.append(cpu)
        for cell in _one_per_size(all_cells):  # the naive placer ignores the scenario
            wall, _, decided = clocked(cell.naive)
            naive.setdefault(cell.agents, []).append(wall / decided * 1e6)
    return [_measurement(cell, min(naive[cell.agents])) for cell in all_cells]


def _one_per_size(all_cells: Sequence[Cell]) -> list[Cell]:
    return list({cell.agents: cell for cell in reversed(all_cells)}.values())


def _measurement(cell: Cell, naive_us: float) -> Measurement:
    assert cell.plan is not None
    placed, rejected = len(cell.plan.placed), len(cell.plan.unscheduled)
    timing = Timing.of(cell.walls, cell.cpus)
    return Measurement(cell.agents, cell.scenario, placed, rejected, timing, naive_us)


def growth(all_cells: Sequence[Cell]) -> dict[str, float]:
    """Per scenario: CPU µs/decision at the largest cluster ÷ at the smallest.

    The median over rounds of the ratio within each round: the two cells of a pair run one
    after the other, so a spell of load that slows both does not skew their ratio. CPU time,
    not wall time: the cost of a decision is the work it takes, and on a shared machine wall
    time also counts the moments another process had the core.
    """
    small, large = min(c.agents for c in all_cells), max(c.agents for c in all_cells)
    by_key = {(cell.agents, cell.scenario): cell for cell in all_cells}
    return {
        name: statistics.median(
            map(truediv, _costs(by_key[(large, name)]), _costs(by_key[(small, name)]))
        )
        for name, _, _ in SCENARIOS
    }


def _costs(cell: Cell) -> list[float]:
    assert cell.plan is not None
    decisions = len(cell.plan.placed) + len(cell.plan.unscheduled)
    return [cpu / decisions for cpu in cell.cpus]


def report(console: Console, results: Sequence[Measurement], ratios: dict[str, float]) -> None:
    table = Table(title="plan_placements, validators off (best of repeats, wall clock)")
    columns = (
        "agents",
        "scenario",
        "placed",
        "rejected",
        "decisions/s",
        "µs/decision",
        "naive µs/decision",
        "speedup_vs_naive",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in results:
        table.add_row(*_cells(r))
    console.print(table)
    small, large = min(r.agents for r in results), max(r.agents for r in results)
    for name, ratio in ratios.items():
        console.print(f"cost per decision, {large} vs {small} agents, {name}: {ratio:.2f}×")
    headline = [r for r in results if (r.agents, r.scenario) == HEADLINE]
    if headline:
        rate = headline[0].decisions_per_s
        console.print(
            f"target ≥ {TARGET_RATE:,}/s ({HEADLINE[1]}, {HEADLINE[0]} agents): "
            f"{rate:,.0f}/s, {_verdict(rate >= TARGET_RATE)}"
        )
    # The target sentence names fifo+concentrated; every scenario's growth is shown too.
    if HEADLINE[1] in ratios:
        growth_of = ratios[HEADLINE[1]]
        console.print(
            f"target growth < {TARGET_GROWTH}× ({HEADLINE[1]}): {growth_of:.2f}×, "
            f"{_verdict(growth_of < TARGET_GROWTH)}"
        )
    worst = max(ratios.values())
    console.print(
        f"growth < {TARGET_GROWTH}× in every scenario: worst {worst:.2f}×, "
        f"{_verdict(worst < TARGET_GROWTH)}"
    )


def _cells(r: Measurement) -> tuple[str, ...]:
    return (
        str(r.agents),
        r.scenario,
        str(r.placed),
        str(r.rejected),
        f"{r.decisions_per_s:,.0f}",
        f"{r.us_per_decision:.1f}",
        f"{r.naive_us_per_decision:,.0f}",
        f"{r.speedup_vs_naive:,.0f}×",
    )


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def as_json(
    args: argparse.Namespace,
    results: Sequence[Measurement],
    ratios: dict[str, float],
    load: tuple[float, float],
) -> str:
    rows = [
        {
            **asdict(r),
            "decisions_per_s": r.decisions_per_s,
            "us_per_decision": r.us_per_decision,
            "speedup_vs_naive": r.speedup_vs_naive,
        }
        for r in results
    ]
    settings = {key: getattr(args, key) for key in ("seed", "sessions", "repeat", "naive_sessions")}
    payload = {
        "benchmark": "placement",
        **settings,
        "load_average": load,
        "results": rows,
        "cost_growth": ratios,
    }
    return json.dumps(payload, indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Placement throughput of plan_placements.")
    parser.add_argument("--agents", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-sessions", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    console = Console(width=120)
    load_before = os.getloadavg()[0]
    all_cells: list[Cell] = []
    for agents in args.agents:
        workload = generate(agents, args.sessions, args.seed)
        all_cells += cells(workload, args.naive_sessions)
    # Sizes of a scenario side by side: each round then measures the pairs back to back.
    all_cells.sort(key=lambda cell: [name for name, _, _ in SCENARIOS].index(cell.scenario))
    console.print(f"[dim]{len(all_cells)} cells × {args.repeat} rounds, seed {args.seed}…[/dim]")
    results = measure(all_cells, args.repeat)
    ratios = growth(all_cells)
    report(console, results, ratios)
    load = (load_before, os.getloadavg()[0])
    console.print(f"load average (1 min) before and after: {load[0]:.2f}, {load[1]:.2f}")
    if args.json is not None:
        args.json.write_text(as_json(args, results, ratios, load))


if __name__ == "__main__":
    main()
