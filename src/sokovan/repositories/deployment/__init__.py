"""The deployment repository and the value types it speaks."""

from sokovan.repositories.deployment.repository import DeploymentRepository
from sokovan.repositories.deployment.types import (
    AutoScalingRule,
    AutoScalingRuleId,
    AutoScalingRuleSpec,
    CleanupConfig,
    Comparator,
    DeploymentContext,
    DeploymentCreationSpec,
    DeploymentInfo,
    MetricSource,
    RouteData,
    RouteDiscoveryData,
)

__all__ = [
    "AutoScalingRule",
    "AutoScalingRuleId",
    "AutoScalingRuleSpec",
    "CleanupConfig",
    "Comparator",
    "DeploymentContext",
    "DeploymentCreationSpec",
    "DeploymentInfo",
    "DeploymentRepository",
    "MetricSource",
    "RouteData",
    "RouteDiscoveryData",
]
