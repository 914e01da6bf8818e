"""DeploymentRepository: every query and write of the deployment and route layers.

The methods live in focused mixins (deployments, routes, service discovery, cleanup
settings, auto-scaling rules) that share the engine and clock of `RepositoryBase`. Batch
methods take collections and issue one set-based statement; an empty collection returns
at once without touching the database.
"""

from __future__ import annotations

from sokovan.repositories.deployment.auto_scaling import AutoScalingMixin
from sokovan.repositories.deployment.cleanup import CleanupConfigMixin
from sokovan.repositories.deployment.deployments import DeploymentsMixin
from sokovan.repositories.deployment.discovery import DiscoveryMixin
from sokovan.repositories.deployment.routes import RoutesMixin


class DeploymentRepository(
    DeploymentsMixin,
    RoutesMixin,
    DiscoveryMixin,
    CleanupConfigMixin,
    AutoScalingMixin,
):
    """The deployment and route coordinators' only door to the database."""
