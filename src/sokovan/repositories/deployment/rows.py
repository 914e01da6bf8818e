"""Row-to-value conversions shared by the deployment repository's modules."""

from __future__ import annotations

from typing import Any

from sokovan.common.ids import AccessKey, DeploymentId, GroupId, RouteId, SessionId, UserId
from sokovan.db import tables as t
from sokovan.repositories.deployment.types import (
    AutoScalingRule,
    AutoScalingRuleId,
    AutoScalingRuleSpec,
    Comparator,
    DeploymentInfo,
    MetricSource,
    RouteData,
)

DEPLOYMENT_COLUMNS = (
    t.deployments.c.id,
    t.deployments.c.name,
    t.deployments.c.domain_name,
    t.deployments.c.group_id,
    t.deployments.c.created_user,
    t.deployments.c.session_owner,
    t.deployments.c.resource_group,
    t.deployments.c.image,
    t.deployments.c.architecture,
    t.deployments.c.resource_slots,
    t.deployments.c.command,
    t.deployments.c.environ,
    t.deployments.c.port,
    t.deployments.c.health_check_path,
    t.deployments.c.replicas,
    t.deployments.c.lifecycle_stage,
    t.deployments.c.url,
    t.deployments.c.open_to_public,
    t.deployments.c.created_at,
)


def deployment_from_row(row: Any) -> DeploymentInfo:
    """Build a DeploymentInfo from a row selected with DEPLOYMENT_COLUMNS."""
    return DeploymentInfo(
        id=DeploymentId(row.id),
        name=row.name,
        domain_name=row.domain_name,
        group_id=GroupId(row.group_id),
        created_user=UserId(row.created_user),
        session_owner=AccessKey(row.session_owner),
        resource_group=row.resource_group,
        image=row.image,
        architecture=row.architecture,
        resource_slots=row.resource_slots,
        command=row.command,
        environ=dict(row.environ),
        port=row.port,
        health_check_path=row.health_check_path,
        replicas=row.replicas,
        lifecycle_stage=row.lifecycle_stage,
        url=row.url,
        open_to_public=row.open_to_public,
        created_at=row.created_at,
    )


def route_from_row(row: Any) -> RouteData:
    """Build a RouteData from a full `routes` row."""
    return RouteData(
        route_id=RouteId(row.id),
        endpoint_id=DeploymentId(row.endpoint_id),
        session_id=None if row.session_id is None else SessionId(row.session_id),
        status=row.status,
        traffic_ratio=row.traffic_ratio,
        created_at=row.created_at,
        error_data=row.error_data,
    )


def rule_from_row(row: Any) -> AutoScalingRule:
    """Build an AutoScalingRule from a full `auto_scaling_rules` row."""
    return AutoScalingRule(
        id=AutoScalingRuleId(row.id),
        spec=AutoScalingRuleSpec(
            endpoint_id=DeploymentId(row.endpoint_id),
            metric_source=MetricSource(row.metric_source),
            metric_name=row.metric_name,
            threshold=row.threshold,
            comparator=Comparator(row.comparator),
            step_size=row.step_size,
            cooldown_seconds=row.cooldown_seconds,
            min_replicas=row.min_replicas,
            max_replicas=row.max_replicas,
        ),
        created_at=row.created_at,
        last_triggered_at=row.last_triggered_at,
    )
