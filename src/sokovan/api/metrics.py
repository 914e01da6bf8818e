"""Prometheus metrics: what the scheduler counts, and the cluster as the database sees it.

Nothing here is global. `SchedulingMetrics` holds unregistered counters and a histogram and is
itself a collector, so the scheduler wiring can feed one instance while each app registers
it in its own `CollectorRegistry`. `ClusterStatsCollector` turns a `ClusterStats` read at
scrape time into gauges; `render_metrics` refreshes it and renders the exposition.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from sokovan.common.scheduling import ScheduleType
from sokovan.repositories.api.types import ClusterStats

#: Cycle durations span sub-millisecond no-ops to slow placement rounds of large groups.
CYCLE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SchedulingMetrics:
    """Counters fed by the scheduler; register the instance in a registry to expose them."""

    def __init__(self) -> None:
        self._cycles = Histogram(
            "sokovan_scheduler_cycle_duration_seconds",
            "Duration of one scheduler step run, per schedule type.",
            ["schedule_type"],
            buckets=CYCLE_BUCKETS,
            registry=None,
        )
        self._placements = Counter(
            "sokovan_scheduler_placements",
            "Sessions placed on agents.",
            registry=None,
        )
        self._unscheduled = Counter(
            "sokovan_scheduler_unscheduled",
            "Pending sessions left waiting by a placement cycle, by reason code.",
            ["code"],
            registry=None,
        )
        # Every schedule type is exposed from the start, so dashboards see zeros, not gaps.
        for schedule_type in ScheduleType:
            self._cycles.labels(schedule_type.value)

    def observe_cycle(self, schedule_type: ScheduleType, seconds: float) -> None:
        """Record how long one run of `schedule_type` took."""
        self._cycles.labels(schedule_type.value).observe(max(seconds, 0.0))

    def count_placements(self, n: int) -> None:
        """Add `n` (≥ 0) sessions placed."""
        if n < 0:
            raise ValueError(f"placements cannot be negative, got {n}")
        self._placements.inc(n)

    def count_unscheduled(self, code: str, n: int = 1) -> None:
        """Add `n` sessions left waiting for reason `code` ("insufficient-resources", …)."""
        if n < 0:
            raise ValueError(f"unscheduled sessions cannot be negative, got {n}")
        self._unscheduled.labels(code).inc(n)

    def describe(self) -> Iterator[Metric]:
        for metric in (self._cycles, self._placements, self._unscheduled):
            yield from metric.describe()

    def collect(self) -> Iterator[Metric]:
        for metric in (self._cycles, self._placements, self._unscheduled):
            yield from metric.collect()


class ClusterStatsCollector:
    """Gauges of the last `ClusterStats` given to `update` (nothing before the first)."""

    def __init__(self) -> None:
        self._stats: ClusterStats | None = None

    def update(self, stats: ClusterStats) -> None:
        self._stats = stats

    def describe(self) -> Iterator[Metric]:
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        sessions, capacity, occupied = _families()
        stats = self._stats
        if stats is not None:
            for status, count in stats.sessions_by_status.items():
                sessions.add_metric([status.value], count)
            for agent in stats.agents:
                labels = (agent.agent_id, agent.scaling_group)
                for slot, amount in agent.available_slots.items():
                    capacity.add_metric([*labels, slot], float(amount))
                for slot, amount in agent.occupied_slots.items():
                    occupied.add_metric([*labels, slot], float(amount))
        yield from (sessions, capacity, occupied)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    agent_labels = ["agent", "scaling_group", "slot"]
    return (
        GaugeMetricFamily("sokovan_sessions", "Sessions by status.", labels=["status"]),
        GaugeMetricFamily(
            "sokovan_agent_capacity", "Slots an ALIVE agent offers in total.", labels=agent_labels
        ),
        GaugeMetricFamily(
            "sokovan_agent_occupied", "Slots an ALIVE agent has allocated.", labels=agent_labels
        ),
    )


def build_registry(
    scheduling: SchedulingMetrics, cluster: ClusterStatsCollector
) -> CollectorRegistry:
    """A fresh registry exposing both collectors (one per app)."""
    registry = CollectorRegistry()
    registry.register(scheduling)
    registry.register(cluster)
    return registry


def render_metrics(
    registry: CollectorRegistry, cluster: ClusterStatsCollector, stats: ClusterStats
) -> bytes:
    """The exposition with `stats` as the cluster gauges.

    Synchronous on purpose: nothing can interleave between the update and the rendering, so
    concurrent scrapes each render the stats they read.
    """
    cluster.update(stats)
    return generate_latest(registry)
