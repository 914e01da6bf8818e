"""Values the deployment repository reads and writes: deployments, routes, scaling rules."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NewType

from sokovan.common.ids import AccessKey, DeploymentId, GroupId, RouteId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import DeploymentLifecycle, RouteStatus

AutoScalingRuleId = NewType("AutoScalingRuleId", uuid.UUID)


@dataclass(frozen=True, slots=True)
class RouteData:
    """One replica of a deployment; `session_id` is None until a session is enqueued for it."""

    route_id: RouteId
    endpoint_id: DeploymentId
    session_id: SessionId | None
    status: RouteStatus
    traffic_ratio: float
    created_at: datetime
    error_data: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class DeploymentInfo:
    """A deployment (an "endpoint" in the route layer's words) as stored."""

    id: DeploymentId
    name: str
    domain_name: str
    group_id: GroupId
    created_user: UserId
    session_owner: AccessKey
    resource_group: str
    image: str
    architecture: str
    resource_slots: ResourceSlot
    command: str | None
    environ: Mapping[str, str]
    port: int
    health_check_path: str | None
    replicas: int
    lifecycle_stage: DeploymentLifecycle
    url: str | None
    open_to_public: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeploymentContext:
    """Everything needed to enqueue one replica session of `deployment`.

    The session belongs to the deployment's domain and group and is owned by the
    `session_owner` keypair, whose user is `user_id`. `image_environment` is the image row's
    environment (command, workdir, requirements, env) for the deployment's architecture.
    """

    deployment: DeploymentInfo
    user_id: UserId
    access_key: AccessKey
    domain_name: str
    group_id: GroupId
    image_environment: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RouteDiscoveryData:
    """Where Prometheus (or any service discovery) can reach one replica."""

    route_id: RouteId
    endpoint_id: DeploymentId
    endpoint_name: str
    session_id: SessionId
    kernel_host: str
    port: int
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CleanupConfig:
    """Route statuses whose routes a scaling group wants replaced automatically."""

    scaling_group: str
    cleanup_target_statuses: frozenset[RouteStatus]


@dataclass(frozen=True, slots=True)
class DeploymentCreationSpec:
    """What a user asks for when creating a deployment; validated on creation."""

    name: str
    domain_name: str
    group_id: GroupId
    created_user: UserId
    session_owner: AccessKey
    resource_group: str
    image: str
    architecture: str
    resource_slots: ResourceSlot
    port: int
    replicas: int
    command: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    health_check_path: str | None = None
    url: str | None = None
    open_to_public: bool = False


class MetricSource(StrEnum):
    KERNEL = "kernel"  #: container statistics (cpu, memory, …) of the replicas
    INFERENCE_FRAMEWORK = "inference-framework"  #: metrics the model server itself exports


class Comparator(StrEnum):
    LESS_THAN = "lt"
    LESS_THAN_OR_EQUAL = "le"
    GREATER_THAN = "gt"
    GREATER_THAN_OR_EQUAL = "ge"


@dataclass(frozen=True, slots=True)
class AutoScalingRuleSpec:
    """When `metric_name` compares to `threshold`, change replicas by `step_size`.

    A negative step scales in. The result is clamped to [min_replicas, max_replicas] by the
    scaler; `cooldown_seconds` is the quiet time after a rule fired.
    """

    endpoint_id: DeploymentId
    metric_source: MetricSource
    metric_name: str
    threshold: Decimal
    comparator: Comparator
    step_size: int
    cooldown_seconds: int
    min_replicas: int | None = None
    max_replicas: int | None = None


@dataclass(frozen=True, slots=True)
class AutoScalingRule:
    id: AutoScalingRuleId
    spec: AutoScalingRuleSpec
    created_at: datetime
    last_triggered_at: datetime | None
