"""Status enums and the status groups the scheduler and repositories query with."""

from __future__ import annotations

from enum import StrEnum

import pytest

from sokovan.common.status import (
    AgentStatus,
    DeploymentLifecycle,
    HealthCheckStatus,
    KernelStatus,
    RouteStatus,
    SessionResult,
    SessionStatus,
)

K = KernelStatus
S = SessionStatus


@pytest.mark.parametrize(
    "enum",
    [
        SessionStatus,
        KernelStatus,
        AgentStatus,
        RouteStatus,
        DeploymentLifecycle,
        HealthCheckStatus,
        SessionResult,
    ],
)
def test_every_status_value_is_its_name(enum: type[StrEnum]) -> None:
    # Statuses are stored and shown by value; the value must read as the member name.
    assert all(member.value == member.name for member in enum)


def test_kernel_pre_prepared_statuses() -> None:
    assert K.pre_prepared_statuses() == {K.PENDING, K.SCHEDULED, K.PREPARING, K.BUILDING, K.PULLING}


def test_kernel_pre_running_statuses() -> None:
    assert K.pre_running_statuses() == K.pre_prepared_statuses() | {K.PREPARED, K.CREATING}


def test_kernel_terminal_and_finished_statuses() -> None:
    assert K.terminal_statuses() == {K.TERMINATED, K.CANCELLED, K.ERROR}
    # ERROR is terminal but not finished: an errored kernel keeps its session from completing.
    assert K.finished_statuses() == {K.TERMINATED, K.CANCELLED}


def test_kernel_resource_occupied_statuses() -> None:
    assert K.resource_occupied_statuses() == {
        K.SCHEDULED,
        K.PREPARING,
        K.BUILDING,
        K.PULLING,
        K.PREPARED,
        K.CREATING,
        K.RUNNING,
        K.TERMINATING,
    }


def test_kernel_retriable_statuses() -> None:
    assert K.retriable_statuses() == {
        K.SCHEDULED,
        K.PREPARING,
        K.BUILDING,
        K.PULLING,
        K.PREPARED,
        K.CREATING,
    }


def test_kernel_groups_partition_the_lifecycle() -> None:
    occupied = K.resource_occupied_statuses()
    assert occupied.isdisjoint(K.terminal_statuses())
    assert occupied | K.terminal_statuses() | {K.PENDING} == set(K)
    assert K.pre_running_statuses().isdisjoint({K.RUNNING, K.TERMINATING})
    assert K.pre_running_statuses().isdisjoint(K.terminal_statuses())


def test_session_terminal_statuses() -> None:
    assert S.terminal_statuses() == {S.TERMINATED, S.CANCELLED, S.ERROR}


def test_session_resource_occupied_statuses() -> None:
    assert S.resource_occupied_statuses() == {
        S.SCHEDULED,
        S.PREPARING,
        S.PULLING,
        S.PREPARED,
        S.CREATING,
        S.RUNNING,
        S.TERMINATING,
    }


def test_session_before_running_statuses() -> None:
    assert S.before_running_statuses() == {
        S.PENDING,
        S.SCHEDULED,
        S.PREPARING,
        S.PULLING,
        S.PREPARED,
        S.CREATING,
        S.DEPRIORITIZING,
    }
    assert S.before_running_statuses().isdisjoint(S.terminal_statuses() | {S.RUNNING})


def test_session_statuses_mirror_kernel_statuses() -> None:
    # BUILDING exists only for kernels; DEPRIORITIZING only for sessions.
    assert {s.value for s in S} - {k.value for k in K} == {"DEPRIORITIZING"}
    assert {k.value for k in K} - {s.value for s in S} == {"BUILDING"}


def test_groups_are_frozen_sets() -> None:
    groups = [
        K.pre_prepared_statuses(),
        K.pre_running_statuses(),
        K.terminal_statuses(),
        K.finished_statuses(),
        K.resource_occupied_statuses(),
        K.retriable_statuses(),
        S.terminal_statuses(),
        S.resource_occupied_statuses(),
        S.before_running_statuses(),
        RouteStatus.active_statuses(),
    ]
    assert all(isinstance(group, frozenset) for group in groups)


def test_route_statuses() -> None:
    assert [status.name for status in RouteStatus] == [
        "PROVISIONING",
        "HEALTHY",
        "UNHEALTHY",
        "DEGRADED",
        "TERMINATING",
        "TERMINATED",
        "FAILED_TO_START",
    ]
    assert RouteStatus.active_statuses() == {
        RouteStatus.PROVISIONING,
        RouteStatus.HEALTHY,
        RouteStatus.UNHEALTHY,
        RouteStatus.DEGRADED,
    }


def test_deployment_lifecycle() -> None:
    assert [stage.name for stage in DeploymentLifecycle] == [
        "PENDING",
        "READY",
        "SCALING",
        "DESTROYING",
        "DESTROYED",
    ]


def test_health_check_and_agent_statuses() -> None:
    assert {status.name for status in HealthCheckStatus} == {"HEALTHY", "UNHEALTHY", "STALE"}
    assert {status.name for status in AgentStatus} == {"ALIVE", "LOST", "TERMINATED"}


def test_statuses_compare_with_their_stored_strings() -> None:
    assert KernelStatus("PULLING") is KernelStatus.PULLING
    assert SessionStatus.RUNNING == "RUNNING"
    assert f"{RouteStatus.FAILED_TO_START}" == "FAILED_TO_START"
