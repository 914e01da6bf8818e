"""Lifecycle statuses of sessions, kernels, agents, routes and deployments.

The groups (`pre_prepared_statuses()`, …) are the contract the scheduler's promotion specs
and the repositories query with; see DESIGN §3.
"""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    PENDING = "PENDING"  #: queued, waiting for placement
    SCHEDULED = "SCHEDULED"  #: agents chosen and resources reserved
    PREPARING = "PREPARING"  #: images being checked on the agents
    PULLING = "PULLING"  #: at least one image is being pulled
    PREPARED = "PREPARED"  #: images ready on every agent
    CREATING = "CREATING"  #: kernels being created
    RUNNING = "RUNNING"  #: every kernel runs
    DEPRIORITIZING = "DEPRIORITIZING"  #: gave up placing; goes back to PENDING, lower priority
    TERMINATING = "TERMINATING"  #: kernels being destroyed
    TERMINATED = "TERMINATED"  #: finished; resources released
    CANCELLED = "CANCELLED"  #: ended before it ever ran
    ERROR = "ERROR"  #: ended by an unrecoverable error

    @classmethod
    def terminal_statuses(cls) -> frozenset[SessionStatus]:
        return frozenset({cls.TERMINATED, cls.CANCELLED, cls.ERROR})

    @classmethod
    def resource_occupied_statuses(cls) -> frozenset[SessionStatus]:
        return frozenset(cls) - {cls.PENDING, cls.DEPRIORITIZING} - cls.terminal_statuses()

    @classmethod
    def before_running_statuses(cls) -> frozenset[SessionStatus]:
        """Statuses a session passes through before RUNNING (DETECT_KERNEL_TERMINATION scope)."""
        return frozenset(
            {
                cls.PENDING,
                cls.SCHEDULED,
                cls.PREPARING,
                cls.PULLING,
                cls.PREPARED,
                cls.CREATING,
                cls.DEPRIORITIZING,
            }
        )


class KernelStatus(StrEnum):
    PENDING = "PENDING"  #: waiting with its session
    SCHEDULED = "SCHEDULED"  #: assigned to an agent
    PREPARING = "PREPARING"  #: agent checks the image
    BUILDING = "BUILDING"  #: agent builds the environment
    PULLING = "PULLING"  #: agent pulls the image
    PREPARED = "PREPARED"  #: image ready
    CREATING = "CREATING"  #: agent creates the container / process
    RUNNING = "RUNNING"  #: running
    TERMINATING = "TERMINATING"  #: being destroyed
    TERMINATED = "TERMINATED"  #: gone; resources released
    CANCELLED = "CANCELLED"  #: never started
    ERROR = "ERROR"  #: failed

    @classmethod
    def pre_prepared_statuses(cls) -> frozenset[KernelStatus]:
        return frozenset({cls.PENDING, cls.SCHEDULED, cls.PREPARING, cls.BUILDING, cls.PULLING})

    @classmethod
    def pre_running_statuses(cls) -> frozenset[KernelStatus]:
        return cls.pre_prepared_statuses() | {cls.PREPARED, cls.CREATING}

    @classmethod
    def terminal_statuses(cls) -> frozenset[KernelStatus]:
        return frozenset({cls.TERMINATED, cls.CANCELLED, cls.ERROR})

    @classmethod
    def finished_statuses(cls) -> frozenset[KernelStatus]:
        """Kernels that will never run again; a session whose kernels are all here is done."""
        return frozenset({cls.TERMINATED, cls.CANCELLED})

    @classmethod
    def resource_occupied_statuses(cls) -> frozenset[KernelStatus]:
        return frozenset(cls) - {cls.PENDING} - cls.terminal_statuses()

    @classmethod
    def retriable_statuses(cls) -> frozenset[KernelStatus]:
        """Statuses a retried session's kernels may be reset to PENDING from."""
        return cls.pre_running_statuses() - {cls.PENDING}


class AgentStatus(StrEnum):
    ALIVE = "ALIVE"  #: heartbeats arrive
    LOST = "LOST"  #: heartbeats stopped; kernels presumed gone after a grace period
    TERMINATED = "TERMINATED"  #: left the cluster cleanly


class RouteStatus(StrEnum):
    PROVISIONING = "PROVISIONING"  #: its session is being created
    HEALTHY = "HEALTHY"  #: passes health checks; receives traffic
    UNHEALTHY = "UNHEALTHY"  #: fails health checks
    DEGRADED = "DEGRADED"  #: health data is stale
    TERMINATING = "TERMINATING"  #: its session is being terminated
    TERMINATED = "TERMINATED"  #: gone
    FAILED_TO_START = "FAILED_TO_START"  #: its session never reached RUNNING

    @classmethod
    def active_statuses(cls) -> frozenset[RouteStatus]:
        return frozenset({cls.PROVISIONING, cls.HEALTHY, cls.UNHEALTHY, cls.DEGRADED})


class DeploymentLifecycle(StrEnum):
    PENDING = "PENDING"  #: created; endpoint not yet registered
    READY = "READY"  #: replicas match the desired count
    SCALING = "SCALING"  #: replicas being added or removed
    DESTROYING = "DESTROYING"  #: routes being terminated
    DESTROYED = "DESTROYED"  #: gone


class HealthCheckStatus(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    STALE = "STALE"  #: no recent health data


class SessionResult(StrEnum):
    UNDEFINED = "UNDEFINED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
