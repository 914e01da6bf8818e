"""SchedulingMetrics and the cluster gauges render as parseable Prometheus text."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sokovan.api.metrics import (
    ClusterStatsCollector,
    SchedulingMetrics,
    build_registry,
    render_metrics,
)
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import SessionStatus
from sokovan.repositories.api.types import AgentUsage, ClusterStats


def _values(text: str) -> dict[str, float]:
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _stats(pending: int) -> ClusterStats:
    counts = dict.fromkeys(SessionStatus, 0) | {SessionStatus.PENDING: pending}
    agent = AgentUsage("a1", "default", ResourceSlot({"cpu": "0.5"}), ResourceSlot())
    return ClusterStats(sessions_by_status=counts, agents=(agent,))


def test_scheduler_counters_and_cycle_histogram() -> None:
    metrics = SchedulingMetrics()
    metrics.observe_cycle(ScheduleType.START, 0.3)
    metrics.observe_cycle(ScheduleType.START, -1.0)
    metrics.count_placements(2)
    metrics.count_placements(0)
    metrics.count_unscheduled("quota-exceeded", 4)
    registry = build_registry(metrics, ClusterStatsCollector())

    values = _values(render_metrics(registry, ClusterStatsCollector(), _stats(0)).decode())

    start = "[('schedule_type', 'start')]"
    assert values["sokovan_scheduler_cycle_duration_seconds_count" + start] == 2
    assert values["sokovan_scheduler_cycle_duration_seconds_sum" + start] == pytest.approx(0.3)
    assert values["sokovan_scheduler_placements_total[]"] == 2
    assert values["sokovan_scheduler_unscheduled_total[('code', 'quota-exceeded')]"] == 4
    with pytest.raises(ValueError, match="negative"):
        metrics.count_placements(-1)
    with pytest.raises(ValueError, match="negative"):
        metrics.count_unscheduled("x", -1)


def test_cluster_gauges_follow_the_latest_stats() -> None:
    cluster = ClusterStatsCollector()
    registry = build_registry(SchedulingMetrics(), cluster)
    # Before the first scrape there is nothing to show.
    assert all(family.samples == [] for family in cluster.collect())

    first = _values(render_metrics(registry, cluster, _stats(3)).decode())
    second = _values(render_metrics(registry, cluster, _stats(1)).decode())

    pending = "sokovan_sessions[('status', 'PENDING')]"
    assert (first[pending], second[pending]) == (3, 1)
    capacity = (
        "sokovan_agent_capacity[('agent', 'a1'), ('scaling_group', 'default'), ('slot', 'cpu')]"
    )
    assert second[capacity] == 0.5


def test_one_scheduling_metrics_can_feed_several_registries() -> None:
    metrics = SchedulingMetrics()
    first = build_registry(metrics, ClusterStatsCollector())
    second = build_registry(metrics, ClusterStatsCollector())
    metrics.count_placements(1)

    for registry in (first, second):
        assert registry.get_sample_value("sokovan_scheduler_placements_total") == 1
