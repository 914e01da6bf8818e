"""One SCHEDULE step on PostgreSQL: snapshot → plan → commit, against a per-row reference.

    python benchmarks/schedule_step.py --database-url postgresql://postgres@127.0.0.1:5432/test
        [--agents 5000] [--sessions 10000] [--seed N] [--repeat 3] [--naive-sessions 1000]
        [--json out.json]

The URL names a server and a database to connect to for administration; the benchmark
creates its own databases next to it and drops them at the end, also on error. A template
is migrated and bulk-loaded once (the workload of `_snapshot.py`: agents with running
kernels, pending single-kernel sessions; loading is not measured) and vacuumed, then each
run works on a fresh copy of it, in a freshly started interpreter: `get_scheduling_data` →
`plan_placements` → `allocate_sessions`, through `SessionProvisioner` with
`RepositoryAllocator` and a pending queue that discards its input.
The best run is reported. The reference commits the first `--naive-sessions` placements of
that run on another fresh copy, one transaction per session with per-row UPDATEs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from _database import Databases, migrate_and_load
from _naive_allocation import allocate_naively
from _snapshot import SCALING_GROUP, generate
from rich.console import Console
from rich.table import Table

from sokovan.common.clock import SystemClock
from sokovan.common.ids import SessionId
from sokovan.db.engine import create_engine
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    AllocationOutcome,
    SessionAllocation,
)
from sokovan.scheduler.provisioner.allocators.repository_allocator import (
    RepositoryAllocator,
)
from sokovan.scheduler.provisioner.provisioner import SessionProvisioner

R = TypeVar("R")
TARGET = 5_000  # sessions committed per second, whole step


class DiscardingQueue:
    async def set_pending_queue(self, scaling_group: str, session_ids: Sequence[SessionId]) -> None:
        """The pending queue lives in Valkey in production; it is not what is measured."""


class TimedAllocator:
    """Times the commit and keeps the batch, for the reference to replay."""

    def __init__(self, inner: RepositoryAllocator) -> None:
        self._inner = inner
        self.started = self.finished = 0.0
        self.batch = AllocationBatch(allocations=())

    async def allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        self.batch, self.started = batch, time.perf_counter()
        try:
            return await self._inner.allocate(batch)
        finally:
            self.finished = time.perf_counter()


@dataclass(frozen=True, slots=True)
class StepRun:
    pending: int
    committed: int
    snapshot_s: float
    plan_s: float
    allocate_s: float
    result_s: float

    @property
    def total_s(self) -> float:
        return self.snapshot_s + self.plan_s + self.allocate_s + self.result_s

    @property
    def committed_per_s(self) -> float:
        return self.committed / self.total_s


async def run_step(url: str) -> tuple[StepRun, list[SessionAllocation]]:
    engine = create_engine(url)
    try:
        repository = SchedulerRepository(engine)
        # Warm the connection pool, the statement caches and the server's buffers, as a
        # scheduler that runs every few seconds has them.
        await repository.get_scheduling_data(SCALING_GROUP)
        allocator = TimedAllocator(RepositoryAllocator(repository))
        provisioner = SessionProvisioner(allocator, DiscardingQueue(), clock=SystemClock())
        start = time.perf_counter()
        data = await repository.get_scheduling_data(SCALING_GROUP)
        loaded = time.perf_counter()
        result = await provisioner.schedule_scaling_group(SCALING_GROUP, data)
        done = time.perf_counter()
    finally:
        await engine.dispose()
    run = StepRun(
        pending=len(data.pending_sessions) if data else 0,
        committed=len(result.scheduled_sessions),
        snapshot_s=loaded - start,
        plan_s=allocator.started - loaded,
        allocate_s=allocator.finished - allocator.started,
        result_s=done - allocator.finished,
    )
    return run, list(allocator.batch.allocations)


async def run_naive(url: str, allocations: list[SessionAllocation]) -> tuple[int, float]:
    """(sessions committed, seconds) for the reference on `allocations`."""
    engine = create_engine(url)
    try:
        async with engine.connect():
            pass  # open the pool's first connection outside the timing
        start = time.perf_counter()
        committed = await allocate_naively(engine, allocations, SystemClock().now())
        return committed, time.perf_counter() - start
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Report:
    agents: int
    sessions: int
    best: StepRun
    runs: list[StepRun]
    naive_committed: int
    naive_s: float

    @property
    def naive_per_s(self) -> float:
        return self.naive_committed / self.naive_s

    @property
    def allocate_per_s(self) -> float:
        return self.best.committed / self.best.allocate_s


async def load_template(url: str, agents: int, sessions: int, seed: int) -> None:
    await migrate_and_load(url, generate(agents, sessions, seed))


async def prepare(databases: Databases, args: argparse.Namespace) -> str:
    """The template every run copies: migrated, loaded, vacuumed; returns its name."""
    template = await databases.create()
    url = databases.url_of(template)
    await in_fresh_process(load_template, url, args.agents, args.sessions, args.seed)
    await databases.vacuum(template)
    return template


async def in_fresh_process(function: Callable[..., Coroutine[Any, Any, R]], *args: object) -> R:
    """`function(*args)` in a newly started interpreter, so that every timed run starts
    alike, without the objects of the loader or of an earlier run in its heap."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        call = partial(_run_async, function, *args)
        return await asyncio.get_running_loop().run_in_executor(pool, call)


def _run_async(function: Callable[..., Coroutine[Any, Any, R]], *args: object) -> R:
    return asyncio.run(function(*args))


async def benchmark(args: argparse.Namespace, console: Console) -> Report:
    databases = Databases(args.database_url)
    try:
        console.print(f"[dim]loading {args.agents} agents, {args.sessions} sessions…[/dim]")
        template = await prepare(databases, args)
        runs = []
        for _ in range(args.repeat):
            url = databases.url_of(await databases.create(template))
            run, allocations = await in_fresh_process(run_step, url)
            console.print(f"[dim]step: {run.total_s:.2f} s, {run.committed} committed[/dim]")
            runs.append((run, allocations))
        best, allocations = min(runs, key=lambda pair: pair[0].total_s)
        naive_url = databases.url_of(await databases.create(template))
        naive = await in_fresh_process(run_naive, naive_url, allocations[: args.naive_sessions])
    finally:
        await databases.drop_all()
    return Report(args.agents, args.sessions, best, [run for run, _ in runs], *naive)


def report(console: Console, result: Report) -> None:
    best = result.best
    table = Table(
        title=f"SCHEDULE step on PostgreSQL, {result.agents} agents (best of {len(result.runs)})"
    )
    for column in ("phase", "seconds", "share"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    phases = (
        ("get_scheduling_data", best.snapshot_s),
        ("plan_placements", best.plan_s),
        ("allocate_sessions", best.allocate_s),
        ("result + queue", best.result_s),
    )
    for name, seconds in phases:
        table.add_row(name, f"{seconds:.3f}", f"{seconds / best.total_s:.0%}")
    table.add_row("whole step", f"{best.total_s:.3f}", "100%", style="bold")
    console.print(table)
    console.print(
        f"{best.committed} of {best.pending} pending sessions committed: "
        f"{best.committed_per_s:,.0f} sessions/s over the whole step, "
        f"{result.allocate_per_s:,.0f}/s in allocate_sessions"
    )
    console.print(
        f"reference (per-session transactions, per-row UPDATEs), {result.naive_committed} "
        f"sessions: {result.naive_per_s:,.0f}/s; allocate_sessions is "
        f"{result.allocate_per_s / result.naive_per_s:.1f}× faster, the whole step "
        f"{best.committed_per_s / result.naive_per_s:.1f}×"
    )
    verdict = "met" if best.committed_per_s >= TARGET else "MISSED"
    console.print(f"target ≥ {TARGET:,} sessions/s: {best.committed_per_s:,.0f} ({verdict})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-sessions", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    console = Console(width=110)
    load_before = os.getloadavg()[0]
    result = asyncio.run(benchmark(args, console))
    report(console, result)
    load = (load_before, os.getloadavg()[0])
    console.print(f"load average (1 min) before and after: {load[0]:.2f}, {load[1]:.2f}")
    if args.json is not None:
        payload = {
            "benchmark": "schedule_step",
            "seed": args.seed,
            "load_average": load,
            **asdict(result),
            "committed_per_s": result.best.committed_per_s,
            "allocate_per_s": result.allocate_per_s,
            "naive_per_s": result.naive_per_s,
            "speedup_vs_naive": result.allocate_per_s / result.naive_per_s,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
