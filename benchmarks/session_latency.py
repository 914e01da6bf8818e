"""Submission-to-RUNNING latency of the whole scheduler, with simulated agents.

The system under test (`_session_stack.py`): `build_manager` on a throwaway SQLite database
with the in-process hint store, event bus and locks, and simulated agents (zero pull and
create time) in this process, reached over their ASGI apps.

Latency is measured from the call of `SchedulingController.enqueue_session` (so it includes
the submission itself) to the SchedulingBroadcastEvent that moves the session to RUNNING
(both `time.perf_counter()`).
Two modes: *sequential* (each session waits to be RUNNING before the next is submitted) and
*burst* (a sustained submission rate for a few seconds). The baseline is the same run with
the hints ignored: every step runs only on its periodic loop, every 2 s, the way the
reference system ticks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _session_stack import BASELINE_TICK, Stack, running_stack
from rich.console import Console
from rich.table import Table

#: How long one sequential session may take to reach RUNNING before it counts as missing.
SESSION_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Latencies (seconds) of one mode; `missing` sessions never reached RUNNING in time."""

    mode: str
    hinted: bool
    sessions: int
    p50: float
    p99: float
    max: float
    running_per_second: float
    #: Submissions per second actually achieved (enqueue_session is not free).
    submitted_per_second: float
    wall_seconds: float
    missing: int


def summarize(
    mode: str, hinted: bool, submitted: dict[Any, float], stack: Stack, wall: float
) -> ModeResult:
    """Sessions that never reached RUNNING count as infinitely late (censored, not dropped)."""
    running_at = stack.watch.running_at
    latencies = sorted(
        running_at[sid] - at if sid in running_at else math.inf for sid, at in submitted.items()
    )
    reached = [running_at[sid] for sid in submitted if sid in running_at]
    span = (max(reached) - min(submitted.values())) if reached else math.nan
    return ModeResult(
        mode=mode,
        hinted=hinted,
        sessions=len(submitted),
        p50=percentile(latencies, 0.50),
        p99=percentile(latencies, 0.99),
        max=latencies[-1] if latencies else math.nan,
        running_per_second=len(reached) / span if reached else 0.0,
        submitted_per_second=submission_rate(list(submitted.values())),
        wall_seconds=wall,
        missing=len(submitted) - len(reached),
    )


def submission_rate(moments: list[float]) -> float:
    if len(moments) < 2:
        return math.nan
    return (len(moments) - 1) / (max(moments) - min(moments))


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    rank = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[rank]


async def sequential(stack: Stack, hinted: bool, count: int, budget: float) -> ModeResult:
    """Submit one session, wait until it is RUNNING, then the next.

    No new session is submitted once `budget` seconds have passed; each one gets
    `SESSION_TIMEOUT` seconds to reach RUNNING before it counts as missing.
    """
    submitted: dict[Any, float] = {}
    started = time.perf_counter()
    for index in range(count):
        if time.perf_counter() - started >= budget:
            break
        called = time.perf_counter()
        session_id = await stack.submit(f"seq-{index}")
        submitted[session_id] = called
        with contextlib.suppress(TimeoutError):
            await stack.watch.wait(session_id, SESSION_TIMEOUT)
    return summarize("sequential", hinted, submitted, stack, time.perf_counter() - started)


async def burst(stack: Stack, hinted: bool, rate: float, count: int, drain: float) -> ModeResult:
    """Submit `count` sessions at `rate` per second, as independent clients would.

    Each submission is its own task, called on schedule whether or not the earlier ones have
    returned (nor reached RUNNING).
    """
    submitted: dict[Any, float] = {}

    async def submit(index: int) -> None:
        called = time.perf_counter()
        submitted[await stack.submit(f"burst-{index}")] = called

    started = time.perf_counter()
    clients: list[asyncio.Task[None]] = []
    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        clients.append(asyncio.create_task(submit(index)))
    await asyncio.gather(*clients)
    deadline = time.perf_counter() + drain
    while time.perf_counter() < deadline:
        if all(sid in stack.watch.running_at for sid in submitted):
            break
        await asyncio.sleep(0.05)
    return summarize("burst", hinted, submitted, stack, time.perf_counter() - started)


async def measure(hinted: bool, args: argparse.Namespace) -> list[ModeResult]:
    """The sequential mode once, then the burst `--burst-runs` times (the baseline's once),
    each on a fresh stack."""
    sequential_count = args.sequential if hinted else args.baseline_sequential
    burst_count = int(args.rate * args.burst_seconds)
    async with running_stack(hinted, args.agents) as stack:
        results = [await sequential(stack, hinted, sequential_count, args.budget)]
    for _ in range(args.burst_runs if hinted else 1):
        async with running_stack(hinted, args.agents) as stack:
            results.append(await burst(stack, hinted, args.rate, burst_count, args.budget))
    return results


def typical(results: list[ModeResult], mode: str, hinted: bool) -> ModeResult:
    """The run with the median p99 (the lower middle one of an even number)."""
    runs = sorted((r for r in results if r.mode == mode and r.hinted == hinted), key=p99_of)
    return runs[(len(runs) - 1) // 2]


def p99_of(result: ModeResult) -> float:
    return result.p99


def report(results: list[ModeResult], args: argparse.Namespace) -> dict[str, Any]:
    modes = ("sequential", "burst")
    by_key = {
        (mode, hinted): typical(results, mode, hinted) for mode in modes for hinted in (True, False)
    }
    ratios = {mode: by_key[(mode, False)].p99 / by_key[(mode, True)].p99 for mode in modes}
    targets = {"sequential": 0.5, "burst": 2.0}
    met_runs = {
        mode: [r.p99 <= limit and r.missing == 0 for r in results if r.mode == mode and r.hinted]
        for mode, limit in targets.items()
    }
    verdicts = {mode: all(runs) for mode, runs in met_runs.items()}
    table = Table(title="submission → RUNNING (seconds)")
    columns = ("mode", "scheduler", "sessions", "submit/s", "p50", "p99", "max", "RUNNING/s")
    for column in (*columns, "missing"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.mode,
            "hinted" if r.hinted else f"{BASELINE_TICK:g}s tick",
            str(r.sessions),
            f"{r.submitted_per_second:.0f}",
            f"{r.p50:.3f}",
            f"{r.p99:.3f}",
            f"{r.max:.3f}",
            f"{r.running_per_second:.0f}",
            str(r.missing),
        )
    console = Console(width=120)
    console.print(table)
    for mode, limit in targets.items():
        runs = met_runs[mode]
        verdict = "met" if verdicts[mode] else "MISSED"
        console.print(
            f"{mode}: median p99 {by_key[(mode, True)].p99:.3f} s (target ≤ {limit:g} s) "
            f"{verdict}, met in {sum(runs)} of {len(runs)} run(s); "
            f"baseline p99 / hinted p99 = {ratios[mode]:.1f}×"
        )
    return {
        "parameters": vars(args),
        "results": [{k: finite(v) for k, v in asdict(r).items()} for r in results],
        "baseline_over_hinted_p99": {mode: finite(ratio) for mode, ratio in ratios.items()},
        "targets_met": verdicts,
        "runs_meeting_target": {mode: sum(runs) for mode, runs in met_runs.items()},
    }


def finite(value: object) -> object:
    """JSON has no infinity: a censored percentile (sessions that never ran) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results = [*await measure(True, args), *await measure(False, args)]
    return report(results, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--sequential", type=int, default=1000, help="sessions, hinted")
    parser.add_argument(
        "--baseline-sequential", type=int, default=10, help="sessions, baseline (slow)"
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="burst submissions/s")
    parser.add_argument("--burst-seconds", type=float, default=3.0)
    parser.add_argument(
        "--burst-runs",
        type=int,
        default=3,
        help="hinted bursts, each on a fresh stack; the verdict needs every one",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=300.0,
        help="seconds per mode: sequential stops submitting, burst stops waiting for RUNNING",
    )
    parser.add_argument("--json", help="also write the JSON report to this file")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    text = json.dumps(asyncio.run(main(arguments)), indent=2)
    if arguments.json:
        Path(arguments.json).write_text(text + "\n", encoding="utf-8")
    print(text)
